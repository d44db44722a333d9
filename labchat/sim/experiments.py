"""Experiments over several seeds: the mean of a measure and its 95% interval.

One seeded run is one sample of a random network; a student cannot tell noise
from a bug without the spread. ``sweep_seeds`` runs ``labchat.sim.sweep`` once
per seed; ``spread`` groups the runs by (protocol, loss rate) and gives, for a
measure of ``Stats``, the mean over the seeds and a 95% confidence interval
for it, ``mean ± t · s / sqrt(n)`` with Student's t for ``n - 1`` degrees of
freedom (the seeds are independent samples; ``s`` is the sample standard
deviation).

``sweep_utilization`` does the same for K&R 3.4.2-3.4.3's pipelining lesson:
a link with a rate, windows x round trips, the sender's measured
utilisation beside ``pipelined_utilization``, the textbook's
``min(1, N (L/R) / (RTT + L/R))``. Pure: no plotting, no widgets.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from labchat import voice
from labchat.sim.simulator import Stats, simulate, sweep

#: Student's t, two-sided 95%, by degrees of freedom (1-30); beyond, the normal 1.96.
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def t95(degrees: int) -> float:
    """Student's t quantile for a two-sided 95% interval with ``degrees`` of freedom."""
    if degrees < 1:
        raise ValueError(voice.interval_too_few(degrees + 1))
    return _T95[degrees - 1] if degrees <= len(_T95) else 1.96


@dataclass(frozen=True)
class Interval:
    """A measure's mean over ``n`` seeds and its 95% confidence interval."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


def interval(samples: Sequence[float]) -> Interval:
    """The mean of ``samples`` and its 95% interval (Student's t)."""
    n = len(samples)
    mean = statistics.fmean(samples)
    half = t95(n - 1) * statistics.stdev(samples) / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n)


def sweep_seeds(protocols: Sequence[str], losses: Sequence[float], messages: int,
                seeds: Sequence[int], *, progress: Callable[[int, int], None] | None = None,
                **kwargs: Any) -> list[Stats]:
    """``sweep`` once per seed; the runs of every seed, in seed order."""
    runs: list[Stats] = []
    per_seed = len(protocols) * len(losses)
    for number, seed in enumerate(seeds):
        def step(done: int, _total: int, before: int = number * per_seed) -> None:
            if progress is not None:
                progress(before + done, per_seed * len(seeds))
        runs.extend(sweep(protocols, losses, messages, seed=seed, progress=step, **kwargs))
    return runs


def spread(runs: Sequence[Stats], measure: Callable[[Stats], float | None]
           ) -> dict[tuple[str, float], Interval]:
    """``measure``'s interval per (protocol, loss rate); runs where it is None are left out."""
    samples: dict[tuple[str, float], list[float]] = {}
    for run in runs:
        value = measure(run)
        if value is not None:
            samples.setdefault((run.protocol, run.loss), []).append(value)
    return {key: interval(values) for key, values in samples.items() if len(values) >= 2}


def pipelined_utilization(window: float, rtt: float, transmit: float) -> float:
    """K&R 3.4.2-3.4.3: the sender's utilisation with ``window`` packets in flight.

    (A plot may ask for a window between two whole numbers, to draw the line.)

    ``transmit`` is L/R, the time to put one packet on the link; ``rtt`` the
    round trip of a bit. A window of N keeps the link busy N L/R out of every
    RTT + L/R, at most all the time: ``min(1, N (L/R) / (RTT + L/R))``.
    Assumes a constant RTT, no loss, ACKs that take no time to send, and a
    sender that always has a packet waiting.
    """
    if window < 1 or not rtt >= 0.0 or not transmit > 0.0:
        raise ValueError(voice.pipeline_bad(window, rtt, transmit))
    return min(1.0, window * transmit / (rtt + transmit))


@dataclass(frozen=True)
class LinkRun:
    """One run of a utilisation sweep: its window, one-way delay, seed and what it measured."""

    window: int
    delay: float
    jitter: float
    seed: int
    stats: Stats

    @property
    def rtt(self) -> float:
        """The mean round trip of a bit: each way ``delay`` plus half the jitter on average."""
        return 2 * self.delay + self.jitter


def sweep_utilization(windows: Sequence[int], delays: Sequence[float], seeds: Sequence[int], *,
                      messages: int, rate: float, size: int, jitter: float = 0.0,
                      protocol: str = "selective-repeat", timeout: float = 1.0,
                      progress: Callable[[int, int], None] | None = None) -> list[LinkRun]:
    """``simulate`` once per window x one-way delay x seed, over a link of ``rate`` bytes/s.

    Each message is padded to ``size`` bytes; ``jitter`` adds uniform(0, jitter)
    seconds to each datagram's delay (what makes one seed differ from another).
    """
    runs: list[LinkRun] = []
    total = len(windows) * len(delays) * len(seeds)
    for delay in delays:
        for window in windows:
            for seed in seeds:
                stats = simulate(protocol, messages, delay=delay, jitter=jitter, rate=rate,
                                 size=size, seed=seed,
                                 settings={"window": window, "timeout": timeout})
                runs.append(LinkRun(window, delay, jitter, seed, stats))
                if progress is not None:
                    progress(len(runs), total)
    return runs


def utilization_spread(runs: Sequence[LinkRun]) -> dict[tuple[float, int], Interval]:
    """The measured utilisation's interval per (one-way delay, window)."""
    samples: dict[tuple[float, int], list[float]] = {}
    for run in runs:
        if run.stats.utilization is not None:
            samples.setdefault((run.delay, run.window), []).append(run.stats.utilization)
    return {key: interval(values) for key, values in samples.items() if len(values) >= 2}

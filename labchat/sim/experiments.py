"""Experiments over several seeds: the mean of a measure and its 95% interval.

One seeded run is one sample of a random network; a student cannot tell noise
from a bug without the spread. ``sweep_seeds`` runs ``labchat.sim.sweep`` once
per seed; ``spread`` groups the runs by (protocol, loss rate) and gives, for a
measure of ``Stats``, the mean over the seeds and a 95% confidence interval
for it, ``mean ± t · s / sqrt(n)`` with Student's t for ``n - 1`` degrees of
freedom (the seeds are independent samples; ``s`` is the sample standard
deviation). Pure: no plotting, no widgets.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from labchat import voice
from labchat.sim.simulator import Stats, sweep

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

"""How every benchmark here measures: a ratio to a baseline taken in the same run.

Absolute seconds say more about the machine (and whatever else it is doing)
than about labchat, so each figure is ``subject / baseline`` where both do
the same job: the baseline and the subject are each run once to warm up
(imports, caches, the allocator), then alternately, and the figure is the
median of the per-pair ratios. Interleaving means a burst of load from
elsewhere hits both sides of a pair alike.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Ratio:
    """``subject / baseline``: the median ratio and the median seconds of each."""

    ratio: float
    subject: float
    baseline: float


def seconds(job: Callable[[], object], clock: Callable[[], float] = time.perf_counter) -> float:
    start = clock()
    job()
    return clock() - start


def ratio(subject: Callable[[], object], baseline: Callable[[], object], *, repeats: int = 5,
          clock: Callable[[], float] = time.perf_counter) -> Ratio:
    """Warm both, then ``repeats`` interleaved pairs; the median of the ratios."""
    subject()
    baseline()
    ratios, subjects, baselines = [], [], []
    for _ in range(repeats):
        b = seconds(baseline, clock)
        s = seconds(subject, clock)
        ratios.append(s / b)
        subjects.append(s)
        baselines.append(b)
    return Ratio(statistics.median(ratios), statistics.median(subjects),
                 statistics.median(baselines))


def median_of(job: Callable[[], float], repeats: int) -> float:
    """The median of ``repeats`` measurements ``job`` returns (after one warm-up)."""
    job()
    return statistics.median(job() for _ in range(repeats))


@dataclass(frozen=True)
class Figure:
    """One line of the table: what, the measured value, the target, whether it is met."""

    name: str
    value: str
    target: str
    met: bool | None  # None: nothing to meet (context for another figure)
    note: str = ""


def machine() -> str:
    """One line naming the machine, for RESULTS.md."""
    return (f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")

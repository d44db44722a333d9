"""Several seeds: means and 95% intervals a student can check by hand."""

from __future__ import annotations

import pytest

from labchat.sim.experiments import interval, spread, sweep_seeds, t95


def test_the_interval_of_known_samples() -> None:
    # mean 2, sample standard deviation 1, n = 3: half width t(2) / sqrt(3)
    result = interval([1.0, 2.0, 3.0])
    assert result.mean == 2.0 and result.n == 3
    assert result.half_width == pytest.approx(4.303 / 3 ** 0.5)


def test_one_sample_has_no_interval() -> None:
    with pytest.raises(ValueError, match="at least 2 samples"):
        t95(0)


def test_a_sweep_over_seeds_groups_by_protocol_and_loss() -> None:
    runs = sweep_seeds(["stop-and-wait"], [0.0, 0.2], 40, seeds=[1, 2, 3])
    assert len(runs) == 6
    overhead = spread(runs, lambda run: run.overhead)
    assert set(overhead) == {("stop-and-wait", 0.0), ("stop-and-wait", 0.2)}
    no_loss = overhead[("stop-and-wait", 0.0)]
    assert (no_loss.mean, no_loss.low, no_loss.high) == (1.0, 1.0, 1.0)
    lossy = overhead[("stop-and-wait", 0.2)]
    assert lossy.low < lossy.mean < lossy.high and lossy.mean > 1.0

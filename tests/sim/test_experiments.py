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


def test_the_pipelining_formula_of_k_and_r() -> None:
    from labchat.sim.experiments import pipelined_utilization

    # K&R 3.4.2: L/R = 0.008 ms, RTT = 30 ms: U = 0.008 / 30.008; a window of 3 triples it.
    assert pipelined_utilization(1, 0.030, 0.000008) == pytest.approx(0.008 / 30.008)
    assert pipelined_utilization(3, 0.030, 0.000008) == pytest.approx(0.024 / 30.008)
    assert pipelined_utilization(10_000, 0.030, 0.000008) == 1.0
    with pytest.raises(ValueError):
        pipelined_utilization(0, 0.030, 0.000008)


def test_a_utilisation_sweep_measures_each_window_and_round_trip_on_every_seed() -> None:
    from labchat.sim.experiments import (
        pipelined_utilization,
        sweep_utilization,
        utilization_spread,
    )

    runs = sweep_utilization([1, 4, 64], [0.005, 0.02], [1, 2, 3], messages=300, rate=1e6,
                             size=994, jitter=0.0005)
    assert len(runs) == 18 and all(run.stats.resends == 0 for run in runs)
    assert sorted({run.rtt for run in runs}) == pytest.approx([0.0105, 0.0405])
    measured = utilization_spread(runs)
    assert set(measured) == {(d, w) for d in (0.005, 0.02) for w in (1, 4, 64)}
    for (delay, window), found in measured.items():
        rtt = 2 * delay + 0.0005
        formula = pipelined_utilization(window, rtt, 0.001)
        # The formula, but for the last round trip, when A has nothing left to send:
        # 300 packets take 300 L/R / U, then one more RTT.
        busy = 300 * 0.001
        assert found.mean == pytest.approx(busy / (busy / formula + rtt), rel=0.02)
        assert found.low <= found.mean <= found.high and found.n == 3

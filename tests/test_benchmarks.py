"""The benchmark scripts still run: every group at a tiny size (``--quick``).

``make bench`` takes minutes and its figures depend on the machine, so the
test suite never times anything: it checks that each script runs to the end
and reports every figure of the table, with a verdict for each target.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks import run
from benchmarks.bench_simulator import speed
from benchmarks.bench_udp import _PeerPingPong
from labchat.sim.simulator import simulate


def test_every_benchmark_runs_and_reports_its_figures(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    assert run.main(["--quick", "--results", str(results)]) == 0
    text = results.read_text(encoding="utf-8")
    for phrase in ("round trip of one message", "one-way throughput", "window 4096",
                   "data datagrams per delivered message", "bare heapq loop", "engine floor",
                   "Send to the text in the other panel", "chart_svg", "memory per message",
                   "wait_for_events", "widgets alive after", "machine:", "wire floor",
                   "floor: bare UDP moving the rung's", "ceiling: the same engines"):
        assert phrase in text


def test_a_rung_that_gave_messages_up_has_no_speed() -> None:
    gave_up = simulate("stop-and-wait", 20, loss=0.9, seed=1, settings={"max_retries": 0})
    assert gave_up.delivered < gave_up.messages
    assert speed(gave_up, 0.5, 1.0) == (
        "meaningless", f"gave up or lost {gave_up.lost} of 20: it did not do the job")
    done = simulate("stop-and-wait", 20, seed=1)
    assert speed(done, 1.25, 0.5) == ("1.25x", "40 messages/s")


def test_the_round_trip_floor_counts_the_datagrams_each_rung_really_sends() -> None:
    # The report's rung carries its count on the answer itself; an ARQ rung
    # acknowledges both messages: the floor's bare ping-pong must move as many.
    for protocol, datagrams in (("report", 2), ("stop-and-wait", 4), ("selective-repeat", 4)):
        peers = _PeerPingPong(protocol)
        try:
            peers.trips(20)
            assert round(peers.datagrams_per_trip()) == datagrams, protocol
        finally:
            peers.close()

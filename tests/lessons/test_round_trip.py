"""Round-trip estimation (RFC 6298) and fast retransmit, on the virtual clock.

The numbers in these tests are worked out by hand from RFC 6298's rules
(alpha = 1/8, beta = 1/4, K = 4, G = 0.001 s), step by step.
"""

from __future__ import annotations

import pytest

from labchat.events import (
    FastRetransmitted,
    MessageDelivered,
    MessageRetransmitted,
    RttSampled,
    TimerExpired,
)
from labchat.protocols import create_engine
from labchat.protocols.rtt import RttEstimator
from labchat.protocols.stop_and_wait import StopAndWaitEngine
from labchat.sim.channel import Impairment, ImpairmentModel
from labchat.sim.network import VirtualNetwork
from labchat.sim.recording import Recording
from labchat.sim.simulator import simulate
from tests.protocols.engine_pair import Pair


def test_the_estimator_follows_rfc_6298_sample_by_sample() -> None:
    rtt = RttEstimator(initial=1.0, low=0.01, high=60.0)
    assert (rtt.srtt, rtt.rttvar, rtt.rto) == (None, None, 1.0)  # (2.1)
    rtt.sample(0.5)  # (2.2): SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR
    assert (rtt.srtt, rtt.rttvar, rtt.rto) == pytest.approx((0.5, 0.25, 1.5))
    rtt.sample(0.3)  # (2.3): RTTVAR = 3/4 0.25 + 1/4 |0.5 - 0.3|; SRTT = 7/8 0.5 + 1/8 0.3
    assert (rtt.srtt, rtt.rttvar, rtt.rto) == pytest.approx((0.475, 0.2375, 1.425))
    rtt.sample(0.7)  # RTTVAR = 3/4 0.2375 + 1/4 0.225; SRTT = 7/8 0.475 + 1/8 0.7
    assert (rtt.srtt, rtt.rttvar, rtt.rto) == pytest.approx((0.503125, 0.234375, 1.440625))
    rtt.back_off()  # (5.5)
    assert rtt.rto == pytest.approx(2.88125)
    rtt.sample(0.503125)  # a new sample collapses the backed-off RTO
    assert rtt.rto == pytest.approx(0.503125 + 4 * 0.75 * 0.234375)


def test_the_clock_granularity_and_the_bounds_hold_the_rto() -> None:
    rtt = RttEstimator(initial=0.2, low=0.01, high=3.2)
    for _ in range(60):  # the same round trip again and again: RTTVAR shrinks to ~0
        rtt.sample(0.1)
    assert rtt.rto == pytest.approx(0.1 + 0.001)  # SRTT + G
    floored = RttEstimator(initial=1.0, low=1.0, high=60.0)  # the RFC's 1 s floor
    floored.sample(0.1)
    assert floored.rto == 1.0
    capped = RttEstimator(initial=1.0, low=0.01, high=3.2)
    capped.sample(2.0)
    assert capped.rto == 3.2
    for _ in range(3):
        capped.back_off()
    assert capped.rto == 3.2


def adaptive_pair(**settings: object) -> Pair:
    base = {"adaptive_timeout": True, "timeout": 1.0, "max_timeout": 60.0, "seq_bits": 16}
    return Pair(lambda: StopAndWaitEngine(**{**base, **settings}))


def samples(p: Pair) -> list[tuple[int, float, float, float, float]]:
    return [(e.seq, e.sample, e.srtt, e.rttvar, e.rto) for e in p.of("a", RttSampled)
            if isinstance(e, RttSampled)]


def round_trip(p: Pair, text: str, *, leave: float, there: float, back: float) -> None:
    """A sends ``text`` at ``leave``; it arrives ``there`` s later and the ACK ``back`` s later."""
    p.now = leave
    p.send("a", text)
    p.now += there
    p.deliver(0)
    p.now += back
    p.deliver(0)


def test_stop_and_wait_learns_the_round_trip_and_keeps_karns_rule() -> None:
    p = adaptive_pair()
    engine = p.engines["a"]
    round_trip(p, "m0", leave=0.0, there=0.1, back=0.1)  # R = 0.2
    ((seq, *numbers),) = samples(p)
    assert seq == 0 and numbers == pytest.approx([0.2, 0.2, 0.1, 0.6])
    assert engine.snapshot()["srtt"] == pytest.approx(0.2)
    assert engine.snapshot()["rttvar"] == pytest.approx(0.1)
    assert engine.snapshot()["learned rto"] == pytest.approx(0.6)
    round_trip(p, "m1", leave=1.0, there=0.2, back=0.2)  # R = 0.4
    # RTTVAR = 3/4 0.1 + 1/4 |0.2 - 0.4| = 0.125; SRTT = 7/8 0.2 + 1/8 0.4 = 0.225
    assert samples(p)[-1][1:] == pytest.approx((0.4, 0.225, 0.125, 0.725))
    # m2: its timer runs the learned 0.725 s; it fires, the RTO doubles to 1.45.
    p.now = 2.0
    p.send("a", "m2")
    p.drop(0)
    assert engine.next_deadline() == pytest.approx(2.725)
    p.fire()
    assert [e.timeout for e in p.of("a", TimerExpired) if isinstance(e, TimerExpired)] == \
        [pytest.approx(0.725)]
    p.now += 0.1
    p.deliver(0)
    p.now += 0.1
    p.deliver(0)  # Karn: m2 was sent twice, its ACK gives no sample
    assert len(samples(p)) == 2
    # The doubled RTO is kept for the next message, until a new sample.
    p.now = 4.0
    p.send("a", "m3")
    assert engine.next_deadline() == pytest.approx(4.0 + 1.45)
    p.now += 0.1
    p.deliver(0)
    p.now += 0.1
    p.deliver(0)  # R = 0.2: RTTVAR = 3/4 0.125 + 1/4 0.025; SRTT = 7/8 0.225 + 1/8 0.2
    assert samples(p)[-1][1:] == pytest.approx((0.2, 0.221875, 0.1, 0.621875))
    p.now = 5.0
    p.send("a", "m4")
    assert engine.next_deadline() == pytest.approx(5.621875)  # collapsed again


def test_a_fixed_timeout_goes_back_to_its_value_on_every_ack() -> None:
    p = Pair(lambda: StopAndWaitEngine(timeout=0.5, max_timeout=4.0))
    p.send("a", "m0")
    p.drop(0)
    p.fire()  # 0.5 s, doubled to 1.0
    p.settle()
    p.send("a", "m1")
    assert p.engines["a"].next_deadline() == pytest.approx(p.now + 0.5)
    assert "srtt" not in p.engines["a"].snapshot()
    assert p.of("a", RttSampled) == []


JITTERY = Impairment(delay=0.15, jitter=0.1)  # round trips of 0.3 to 0.5 s


def spurious(protocol: str, **settings: object) -> int:
    """Resends over a network that loses nothing: every one of them is spurious."""
    stats = simulate(protocol, 40, delay=JITTERY.delay, jitter=JITTERY.jitter, seed=7,
                     interval=1.0, settings={"timeout": 0.2, **settings})
    assert stats.delivered == 40 and stats.duplicates_delivered == 0
    return stats.resends


@pytest.mark.parametrize(("protocol", "fixed", "adaptive"), [
    ("stop-and-wait", 40, 1), ("go-back-n", 40, 1), ("selective-repeat", 40, 1)])
def test_a_fixed_timeout_fires_too_early_where_the_adaptive_one_learns(
        protocol: str, fixed: int, adaptive: int) -> None:
    seq_bits = {"seq_bits": 16}
    assert spurious(protocol, **seq_bits) == fixed
    assert spurious(protocol, adaptive_timeout=True, **seq_bits) == adaptive


def test_once_learned_no_message_is_resent() -> None:
    engines = [create_engine("stop-and-wait", seq_bits=16, timeout=0.2, adaptive_timeout=True)
               for _ in range(2)]
    network = VirtualNetwork(engines[0], engines[1], ImpairmentModel(JITTERY, seed=7))
    for number in range(40):
        network.schedule_send("A", f"m{number}", at=float(number))
    network.run()
    resent = [e.seq for e in network.events["A"] if isinstance(e, MessageRetransmitted)]
    assert resent == [0]  # the first message, before any sample; never again
    assert len([e for e in network.events["B"] if isinstance(e, MessageDelivered)]) == 40


def test_go_back_n_keeps_the_doubled_timeout_until_a_message_sent_once_is_acknowledged() -> None:
    """RFC 6298 5.5 and Karn's rule in Go-Back-N: ACKs of resent messages undo nothing."""
    p = Pair(lambda: create_engine("go-back-n", window=2, timeout=0.2, max_timeout=3.2,
                                   adaptive_timeout=True))
    engine = p.engines["a"]
    round_trip(p, "m0", leave=0.0, there=0.05, back=0.05)  # R = 0.1: RTO = 0.1 + 4 * 0.05
    p.now = 1.0
    for text in ("m1", "m2", "m3"):  # m3 waits for room in the window
        p.send("a", text)
    p.drop(0)  # m1 is lost
    p.deliver(0)  # m2 arrives beyond the gap: discarded, ACK 0 again
    p.deliver(0)  # an old ACK: nothing moves
    assert engine.next_deadline() == pytest.approx(1.3)
    p.fire()  # after 0.3 s: m1 and m2 go again; the RTO doubles to 0.6
    p.now = 1.35
    p.deliver(0)
    p.deliver(0)  # m1 and m2 arrive: ACK 1, ACK 2
    p.now = 1.4
    p.deliver(0)  # ACK 1 moves the window (m3 leaves) but m1 was sent twice: no sample
    assert engine.next_deadline() == pytest.approx(1.4 + 0.6)  # still doubled
    p.deliver(0)  # ACK 2: m2 was sent twice too
    assert engine.next_deadline() == pytest.approx(1.4 + 0.6)
    p.now = 1.45
    p.deliver(0)
    p.now = 1.5
    p.deliver(0)  # ACK 3: m3 was sent once, R = 0.1; RTTVAR = 3/4 0.05; RTO = 0.1 + 4 * 0.0375
    assert [seq for seq, *_ in samples(p)] == [0, 3]
    assert [rto for *_, rto in samples(p)] == pytest.approx([0.3, 0.25])
    p.now = 2.0
    p.send("a", "m4")
    assert engine.next_deadline() == pytest.approx(2.25)  # collapsed by m3's sample


def lossy_run(protocol: str, adaptive: bool) -> tuple[Recording, list[TimerExpired], int]:
    """200 messages at once, window 16, 0.05 s each way, 1 datagram in 10 lost (notebook 09)."""
    run = Recording(protocol, Impairment(delay=0.05, loss=0.1), seed=1,
                    settings={"window": 16, "adaptive_timeout": adaptive})
    run.send_together(("A", f"m{number}") for number in range(200))
    events = run.network.events["A"]
    expiries = [e for e in events if isinstance(e, TimerExpired)]
    return run, expiries, len([e for e in events if isinstance(e, RttSampled)])


def test_go_back_n_learning_its_timeout_waits_out_the_backoff_under_loss() -> None:
    """The same losses and expiries; the learned timeout waits 3.2 s where the fixed one 0.2 s.

    With a fixed timeout every ACK that moves the window resets it; learned,
    only an RTT sample does, and Go-Back-N, resending the whole window, rarely
    has a message sent once to sample.
    """
    fixed, fixed_expiries, fixed_samples = lossy_run("go-back-n", False)
    learned, learned_expiries, learned_samples = lossy_run("go-back-n", True)
    assert len(fixed.delivered("B")) == len(learned.delivered("B")) == 200
    assert len(fixed_expiries) == len(learned_expiries) == 20
    assert sum(e.timeout for e in fixed_expiries) == pytest.approx(4.4)
    assert max(e.timeout for e in fixed_expiries) == pytest.approx(0.4)
    assert sum(e.timeout for e in learned_expiries) == pytest.approx(48.0, abs=0.05)
    assert [e.timeout for e in learned_expiries].count(3.2) == 14  # max_timeout
    assert (fixed_samples, learned_samples) == (0, 48)
    assert fixed.delivered_at("B")[-1] == pytest.approx(6.6, abs=0.05)
    assert learned.delivered_at("B")[-1] == pytest.approx(50.3, abs=0.05)


def test_selective_repeat_doubles_the_rto_as_it_is_now_not_as_a_stale_timer_ran() -> None:
    """RFC 6298 5.5 with a timer per message: a sample since the message left counts."""
    p = Pair(lambda: create_engine("selective-repeat", window=4, timeout=0.2, max_timeout=3.2,
                                   adaptive_timeout=True))
    engine = p.engines["a"]
    round_trip(p, "m0", leave=0.0, there=0.05, back=0.05)  # R = 0.1: RTO 0.3
    p.now = 1.0
    p.send("a", "m1")
    p.drop(0)
    p.fire()  # at 1.3: m1 again, the RTO doubles to 0.6 and no sample can undo it yet
    p.now = 1.35
    p.deliver(0)
    p.now = 1.4
    p.deliver(0)  # m1 was sent twice: no sample
    assert engine.snapshot()["learned rto"] == pytest.approx(0.6)
    p.now = 2.0
    p.send("a", "m2")
    p.send("a", "m3")  # both timers run the backed-off 0.6 s
    p.drop(0)  # m2 is lost
    p.now = 2.05
    p.deliver(0)
    p.now = 2.1
    p.deliver(0)  # m3's ACK: R = 0.1, RTTVAR = 3/4 0.05, the RTO collapses to 0.25
    assert engine.snapshot()["learned rto"] == pytest.approx(0.25)
    p.fire()  # m2's timer, armed at 0.6 before that sample, fires at 2.6
    assert [e.timeout for e in p.of("a", TimerExpired) if isinstance(e, TimerExpired)] == \
        pytest.approx([0.3, 0.6])
    # Doubled is the RTO now, 0.25, not the 0.6 the stale timer ran.
    assert engine.snapshot()["learned rto"] == pytest.approx(0.5)
    assert engine.next_deadline() == pytest.approx(2.6 + 0.5)
    p.now = 3.0
    p.drop(0)  # m2's resend is lost too
    p.send("a", "m4")  # a new message starts at the learned 0.5
    p.fire()
    assert p.now == pytest.approx(3.1)  # m2's timer first; m4's would fire at 3.5


def test_selective_repeat_learning_its_timeout_keeps_up_with_the_fixed_one_under_loss() -> None:
    """Notebook 09's question: Selective Repeat has samples, and its RTO does not ratchet."""
    fixed, fixed_expiries, _ = lossy_run("selective-repeat", False)
    learned, learned_expiries, learned_samples = lossy_run("selective-repeat", True)
    assert len(fixed.delivered("B")) == len(learned.delivered("B")) == 200
    assert len(fixed_expiries) == len(learned_expiries) == 33
    assert learned_samples == 171
    learned_waits = [e.timeout for e in learned_expiries]
    assert learned_waits.count(3.2) == 0  # it was 16 of 33 when a stale RTO was doubled
    assert max(learned_waits) == pytest.approx(0.808)
    assert sum(learned_waits) == pytest.approx(10.7, abs=0.05)
    assert sum(e.timeout for e in fixed_expiries) == pytest.approx(7.4)
    assert fixed.delivered_at("B")[-1] == pytest.approx(4.15, abs=0.005)
    assert learned.delivered_at("B")[-1] == pytest.approx(5.29, abs=0.005)


def time_to_deliver(fast: bool) -> tuple[float, int]:
    """16 messages, window 8, the second datagram lost; when is the last delivered?"""
    settings = {"window": 8, "timeout": 1.0, "fast_retransmit": fast}
    engines = [create_engine("go-back-n", **settings) for _ in range(2)]
    model = ImpairmentModel(Impairment(delay=0.05), seed=0)
    model.drop_number("A->B", 2)
    network = VirtualNetwork(engines[0], engines[1], model)
    for number in range(16):
        network.send("A", f"m{number}")
    network.run()
    delivered = [e for e in network.events["B"] if isinstance(e, MessageDelivered)]
    assert [e.text for e in delivered] == [f"m{number}" for number in range(16)]
    fast_events = [e for e in network.events["A"] if isinstance(e, FastRetransmitted)]
    return delivered[-1].at, len(fast_events)


def test_fast_retransmit_recovers_a_loss_before_the_timer() -> None:
    slow, slow_fast_events = time_to_deliver(fast=False)
    quick, quick_fast_events = time_to_deliver(fast=True)
    assert (slow_fast_events, quick_fast_events) == (0, 1)
    # Timer: restarted by ACK 0 at 0.1 s, fires at 1.1 s, the rest arrive by 1.25 s.
    assert slow == pytest.approx(1.25)
    # Three duplicates are back at 0.1 s: the window goes again, all in by 0.25 s.
    assert quick == pytest.approx(0.25)


def test_fast_retransmit_counts_only_stand_alone_duplicates() -> None:
    p = Pair(lambda: create_engine("go-back-n", window=8, timeout=1.0, fast_retransmit=True))
    for number in range(5):
        p.send("a", f"m{number}")
    p.deliver(0)  # m0 arrives
    p.drop(0)  # m1 is lost
    for _ in range(3):
        p.deliver(0)  # m2, m3, m4: each answered "A 0" again
    p.wire()
    p.deliver(0)  # the first ACK 0 moves the base
    for _ in range(2):
        p.deliver(0)
    assert p.wire() == []  # two duplicates: not yet
    p.deliver(0)  # the third
    assert p.wire() == [f"a@0 D{n} ack- m{n}" for n in range(1, 5)]
    assert [(e.seq, e.duplicates) for e in p.of("a", FastRetransmitted)
            if isinstance(e, FastRetransmitted)] == [(1, 3)]

"""Stop-and-wait (rdt 3.0) on a virtual clock: the textbook cases, datagram by datagram."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labchat.errors import MessageTooLong
from labchat.events import GapSkipped, TimerExpired
from labchat.protocols import create_engine
from labchat.protocols.stop_and_wait import StopAndWaitEngine
from tests.protocols.engine_pair import (
    Fate,
    Pair,
    assert_delivered_or_gave_up,
    assert_exactly_once_in_order,
    assert_recovers,
    assert_rejected_without_change,
    fates,
    run_fates,
)

# Powers of two keep the virtual times exact.
QUICK: dict[str, Any] = {"timeout": 0.25, "max_timeout": 1.0, "max_retries": 3}


def pair(**overrides: Any) -> Pair:
    return Pair(lambda: StopAndWaitEngine(**{**QUICK, **overrides}))


def test_lost_data_is_resent_when_the_timer_fires() -> None:
    p = pair()
    p.send("a", "hi")
    assert p.wire() == ["a@0 D0 ack- hi"]
    assert p.engines["a"].next_deadline() == 0.25
    p.drop()
    p.fire()
    assert p.wire() == ["a@0.25 D0 ack- hi"]
    p.deliver()
    assert p.wire() == ["b@0.25 ACK 0"]
    p.deliver()
    assert p.delivered("b") == ["hi"]
    assert p.names("a") == ["sent", "timeout", "resent", "acked"]
    assert p.engines["a"].next_deadline() is None
    assert p.engines["a"].snapshot()["rto"] == 0.25  # progress resets the backoff


def test_lost_ack_makes_a_duplicate_that_is_acknowledged_again_not_delivered() -> None:
    p = pair()
    p.send("a", "hi")
    p.deliver()
    assert p.wire() == ["a@0 D0 ack- hi", "b@0 ACK 0"]
    p.drop()  # the ACK
    p.fire()
    p.deliver()
    assert p.wire() == ["a@0.25 D0 ack- hi", "b@0.25 ACK 0"]
    assert p.names("b") == ["delivered", "duplicate"]
    p.deliver()
    assert p.delivered("b") == ["hi"]
    assert p.engines["a"].unfinished() == 0


def test_premature_timeout_delivers_once_and_ignores_the_second_ack() -> None:
    p = pair()
    p.send("a", "hi")
    p.send("a", "next")  # queued: one message outstanding at a time
    assert p.names("a") == ["sent"]
    p.fire()  # before anything arrived: two copies of D0 in flight
    p.deliver(0)
    p.deliver(0)
    assert p.wire() == ["a@0 D0 ack- hi", "a@0.25 D0 ack- hi", "b@0.25 ACK 0", "b@0.25 ACK 0"]
    p.deliver(0)  # the first ACK 0 lets "next" go
    assert p.wire() == ["a@0.25 D1 ack- next"]
    p.deliver(0)  # the second ACK 0 names the old bit: ignored
    assert p.engines["a"].snapshot()["state"] == "waiting for ACK 1"
    p.settle()
    assert p.delivered("b") == ["hi", "next"]
    assert p.names("b").count("duplicate") == 1


def test_duplicated_datagram_is_delivered_once() -> None:
    p = pair()
    p.send("a", "hi")
    p.duplicate()
    p.deliver()
    assert p.delivered("b") == ["hi"]
    assert p.names("b") == ["delivered", "duplicate"]
    assert p.wire() == ["a@0 D0 ack- hi", "b@0 ACK 0", "b@0 ACK 0"]


def test_a_resend_overtaking_its_original_is_harmless() -> None:
    p = pair()
    p.send("a", "hi")
    p.fire()
    p.deliver(1)  # the resend arrives first
    p.deliver(0)
    assert p.delivered("b") == ["hi"]
    p.settle()
    assert p.engines["a"].unfinished() == 0


def test_the_alternating_bit_assumes_no_reordering() -> None:
    """A copy delayed past a whole round arrives with the expected bit: delivered twice.

    That is rdt 3.0's stated assumption, shown; a wider number fixes it.
    """
    for bits, expected in ((1, ["m0", "m1", "m0"]), (2, ["m0", "m1", "m2"])):
        p = pair(seq_bits=bits)
        p.send("a", "m0")
        p.fire()  # premature: the original stays delayed in the network
        delayed = p.in_flight.pop(0)
        p.settle()
        p.send("a", "m1")
        p.settle()
        p.send("a", "m2")
        p.in_flight.insert(0, delayed)  # the old copy of m0 arrives just before m2
        p.settle()
        assert p.delivered("b") == expected


def test_a_stale_ack_with_the_right_bit_loses_a_message_without_a_trace() -> None:
    """The worse half of the no-reordering assumption: a lost message taken as acknowledged.

    D0 is duplicated, so B acknowledges it twice; the second ``ACK 0`` is held
    back until m2 (bit 0 again) has been lost. With one bit that stale ACK
    completes m2: nothing is resent, nothing is given up, B never sees it.
    Any wider number tells the ACKs apart.
    """
    for bits, expected in ((1, ["m0", "m1"]), (2, ["m0", "m1", "m2"])):
        p = pair(seq_bits=bits)
        p.send("a", "m0")
        p.duplicate()
        p.deliver()  # B has acknowledged m0 twice
        p.deliver()  # the first ACK 0 reaches A; the second stays in flight
        stale_ack = p.in_flight.pop(0)
        p.send("a", "m1")
        p.settle()
        p.send("a", "m2")
        p.drop()
        p.in_flight.append(stale_ack)
        p.settle()
        assert p.delivered("b") == expected
        assert p.gave_up("a") == []
        assert p.engines["a"].unfinished() == 0


def test_both_sides_sending_at_once_acks_ride_on_data_when_they_can() -> None:
    p = pair()
    p.send("a", "x0")
    p.send("a", "x1")  # waits for x0's ACK
    p.send("b", "y0")
    p.deliver(1)  # b's y0 reaches a; a's x0 is outstanding, so the ACK goes alone
    p.deliver(0)  # a's x0 reaches b
    assert p.wire() == ["a@0 D0 ack- x0", "b@0 D0 ack- y0", "a@0 ACK 0", "b@0 ACK 0"]
    p.deliver(1)  # b's ACK 0 frees a's window: x1 leaves carrying a's ack
    assert p.wire() == ["a@0 D1 ack0 x1"]
    p.settle()
    assert_exactly_once_in_order(p)


def test_silent_peer_backs_off_to_the_cap_then_gives_up() -> None:
    p = pair(seq_bits=3)
    p.send("a", "hi")
    p.send("a", "later")
    p.drop_everything()
    assert p.wire() == [
        "a@0 D0 ack- hi",
        "a@0.25 D0 ack- hi",
        "a@0.75 D0 ack- hi",
        "a@1.75 D0 ack- hi",
        # gave up at 2.75; the next message carries the skip mark
        "a@2.75 S1 ack- first1 later",
        "a@3 S1 ack- first1 later",
        "a@3.5 S1 ack- first1 later",
        "a@4.5 S1 ack- first1 later",
    ]
    timeouts = [e.timeout for e in p.of("a", TimerExpired) if isinstance(e, TimerExpired)]
    assert timeouts == [0.25, 0.5, 1.0, 1.0] * 2
    assert [(g.text, g.attempts, g.at) for g in p.gave_up("a")] == [
        ("hi", 4, 2.75), ("later", 4, 5.5)]
    assert p.engines["a"].unfinished() == 0
    # The peer comes back: it skips what was abandoned and delivers the rest.
    p.send("a", "back")
    p.settle()
    assert p.delivered("b") == ["back"]
    assert [(e.first, e.count) for e in p.of("b", GapSkipped)
            if isinstance(e, GapSkipped)] == [(0, 2)]


def test_with_one_bit_a_give_up_puts_this_direction_out_of_step() -> None:
    p = pair()
    p.send("a", "hi")
    p.send("a", "queued")
    p.drop_everything()
    p.send("a", "after")
    assert [(g.text, g.attempts) for g in p.gave_up("a")] == [
        ("hi", 4), ("queued", 0), ("after", 0)]
    assert p.engines["a"].snapshot()["out of step"] is True
    p.send("b", "the other way still works")
    p.settle()
    assert p.delivered("a") == ["the other way still works"]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfe", "not valid UTF-8"),
        (b"D 2 - x", "outside the sequence space 0..1"),
        (b"D 0 -", "'D <seq> <ack> <text>'"),
        (b"D 00 - x", "not a plain number"),
        (b"D \xd9\xa3 - x", "not a plain number"),
        (b"A", "'A <number>'"),
        (b"A -", "not a plain number"),
        (b"A 0 0", "'A <number>'"),
        (b"hello -0", "unknown datagram kind"),
        (b"S 1 - 0 x", "skip mark needs window + 1"),
        (b"D 0 - " + b"x" * 1100, "exceeds the 1024-byte limit"),
    ],
)
def test_garbage_is_rejected_visibly_and_changes_nothing(payload: bytes, reason: str) -> None:
    assert_rejected_without_change(pair(), payload, reason)


def test_size_limit_is_enforced_at_send_time() -> None:
    engine = StopAndWaitEngine(max_datagram=40)
    with pytest.raises(MessageTooLong):
        engine.send_message("x" * 40, 0.0)
    assert engine.pop_datagrams() == []
    assert engine.unfinished() == 0


def test_registered_and_described() -> None:
    engine = create_engine("stop-and-wait", timeout=0.5)
    assert isinstance(engine, StopAndWaitEngine)
    assert StopAndWaitEngine.describe(b"D 1 0 hi").label == "D1 ack0 hi"
    assert StopAndWaitEngine.describe(b"A 1").kind == "ack"
    assert StopAndWaitEngine.describe(b"\x00junk").kind == "garbage"
    with pytest.raises(ValueError, match="max_timeout"):
        StopAndWaitEngine(timeout=1.0, max_timeout=0.5)


@settings(max_examples=200, deadline=None)
@given(fates())
def test_over_a_fifo_channel_every_message_arrives_once_in_order(schedule: list[Fate]) -> None:
    p = pair(max_retries=1000)  # retries always suffice
    run_fates(p, schedule, fifo=True)
    p.settle()
    assert_exactly_once_in_order(p)


@settings(max_examples=200, deadline=None)
@given(fates(), st.sampled_from([1, 2, 3]))
def test_when_retries_run_out_every_undelivered_message_gave_up(
    schedule: list[Fate], bits: int
) -> None:
    p = pair(max_retries=1, seq_bits=bits)
    run_fates(p, schedule, fifo=True)
    p.settle()
    assert_delivered_or_gave_up(p)
    assert_recovers(p)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["a", "b"]), max_size=8))
def test_unreachable_peer_every_message_gave_up(senders: list[str]) -> None:
    p = pair(seq_bits=16)
    for i, side in enumerate(senders):
        p.send(side, f"m{i}")
    p.drop_everything()
    for side in ("a", "b"):
        assert [g.text for g in p.gave_up(side)] == p.sent[side]
        assert all(g.attempts == 4 for g in p.gave_up(side))
        assert p.delivered(side) == []

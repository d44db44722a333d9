"""The repaired bridge rung: which of the report's flaws are gone, and which remain."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labchat.errors import MessageTooLong
from labchat.events import (
    AckReceived,
    DatagramRejected,
    MessageDelivered,
    MessageRetransmitted,
    ResendStarted,
)
from labchat.protocols import create_engine
from labchat.protocols.repaired import COUNT_ROOM, RepairedEngine, decode, encode
from labchat.protocols.report import ReportEngine
from tests.protocols.engine_pair import SIDES, Fate, Pair, fates, other, run_fates


def pair() -> Pair:
    return Pair(RepairedEngine)


def resends(p: Pair, side: str) -> list[ResendStarted]:
    return [e for e in p.of(side, ResendStarted) if isinstance(e, ResendStarted)]


def test_a_session_numbers_messages_and_carries_the_count() -> None:
    p = pair()
    p.send("a", "hello")
    p.deliver()
    p.send("b", "hi")
    p.deliver()
    assert p.wire() == ["a@0 hello -0 -0", "b@0 hi -0 -1"]
    acked = [e.acked for e in p.of("a", AckReceived) if isinstance(e, AckReceived)]
    assert acked == [(0,)]
    assert p.engines["a"].unfinished() == 0
    assert p.engines["b"].unfinished() == 1  # nothing told b that "hi" arrived


@pytest.mark.parametrize("engine", [ReportEngine, RepairedEngine])
def test_both_talking_at_once(engine: type[ReportEngine] | type[RepairedEngine]) -> None:
    """The report resends everything when two messages cross; the repair does not."""
    p = Pair(engine)
    for turn in range(3):
        p.send("a", f"a{turn}")
        p.send("b", f"b{turn}")  # sent before a's message arrived: a stale count
        p.settle()
    spurious = sum(1 for side in SIDES for e in p.events[side] if e.name == "resend")
    assert spurious == (0 if engine is RepairedEngine else 6)


def test_one_loss_heals_and_only_the_missing_messages_are_resent() -> None:
    p = pair()
    for i in range(5):  # some history, all acknowledged
        p.send("a", f"old{i}")
        p.settle()
        p.send("b", f"reply{i}")
        p.settle()
    p.wire()
    p.send("a", "lost")
    p.drop()
    p.send("a", "after")
    p.deliver()  # beyond the gap: dropped
    p.send("b", "b1")
    p.deliver()  # first stale count: could be crossing, so no resend yet
    assert resends(p, "a") == []
    p.send("b", "b2")
    p.deliver()  # the count stalled twice: resend from it, and only that
    assert p.wire()[-2:] == ["a@0 lost -5 -7", "a@0 after -6 -7"]
    (resend,) = resends(p, "a")
    assert (resend.carried, resend.expected, resend.messages) == (5, 7, 2)
    p.settle()
    p.send("b", "b3")
    p.settle()
    assert p.delivered("b")[-2:] == ["lost", "after"]
    assert p.names("b").count("delivered") == 7  # each exactly once
    assert p.engines["a"].unfinished() == 0
    assert p.engines["a"].snapshot()["resends"] == 1


def test_a_resent_message_is_recognised_by_its_number() -> None:
    p = pair()
    p.send("a", "x")
    p.duplicate()
    p.deliver()
    assert p.delivered("b") == ["x"]
    assert p.names("b") == ["delivered", "duplicate"]


def test_reordered_messages_beyond_a_gap_are_resent_not_lost() -> None:
    p = pair()
    p.send("a", "first")
    p.send("a", "second")
    p.deliver(1)  # overtakes: dropped, the receiver keeps no buffer
    p.deliver(0)
    for i in range(3):
        p.send("b", f"r{i}")
        p.settle()
    assert p.delivered("b") == ["first", "second"]


def test_a_forged_count_is_rejected_instead_of_triggering_a_resend() -> None:
    p = pair()
    for i in range(10):
        p.send("a", f"m{i}")
    p.wire()
    p.in_flight.clear()
    p.inject("a", b"x -0 -999")
    (rejected,) = p.of("a", DatagramRejected)
    assert isinstance(rejected, DatagramRejected)
    assert "count 999 is more than the 10 messages sent" in rejected.reason
    assert p.wire() == []


def test_what_remains_a_lost_last_message_is_never_recovered() -> None:
    p = pair()
    p.send("a", "last words")
    p.drop()
    assert p.engines["a"].next_deadline() is None  # no timer: nothing will happen
    p.send("b", "one reply")  # one stale count is not enough to act on
    p.settle()
    assert p.delivered("b") == []
    assert p.engines["a"].unfinished() == 1
    assert p.gave_up("a") == []  # and nothing says so: the next rung's lesson


def test_what_remains_a_chatty_peer_can_still_cause_a_needless_resend() -> None:
    p = pair()
    p.send("a", "x")
    p.send("b", "y1")  # two messages cross a's one: the count looks stalled twice
    p.send("b", "y2")
    p.deliver(1)
    p.deliver(1)
    p.settle()
    assert len(resends(p, "a")) == 1
    assert p.names("b").count("duplicate") == 1  # harmless: recognised by number
    assert p.delivered("b") == ["x"]


@pytest.mark.parametrize("burst", [4, 8, 16])
def test_what_remains_crossing_bursts_resend_the_whole_tail_again_and_again(burst: int) -> None:
    """Without a clock, "lost" and "not arrived yet" look the same.

    Both sides send a burst at once, on a perfect link: every message of the
    peer's burst carries a count of 0, so every second one looks like a stall
    and the whole unacknowledged burst goes again. The cost grows with the
    square of the burst (burst**2 / 2 per side); everything is still
    delivered once, the rest are duplicates recognised by number.
    """
    p = pair()
    for i in range(burst):
        p.send("a", f"a{i}")
    for i in range(burst):
        p.send("b", f"b{i}")
    p.settle()
    for side in SIDES:
        assert p.delivered(other(side)) == [f"{side}{i}" for i in range(burst)]
        assert len(p.of(side, MessageRetransmitted)) == burst * burst // 2
        assert p.names(other(side)).count("duplicate") == burst * burst // 2


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff", "not valid UTF-8"),
        (b"hello -3", "'<text> -<seq> -<count>'"),
        (b"hello -resend", "'<text> -<seq> -<count>'"),
        (b"hello -01 -0", "'<text> -<seq> -<count>'"),
        (b"hello -1 -99999999999999999999", "'<text> -<seq> -<count>'"),
    ],
)
def test_garbage_is_rejected_visibly(payload: bytes, reason: str) -> None:
    p = pair()
    p.inject("b", payload)
    (event,) = p.events["b"]
    assert isinstance(event, DatagramRejected)
    assert reason in event.reason
    assert p.engines["b"].snapshot()["received"] == 0


def test_any_text_round_trips_and_is_parsed_from_the_right() -> None:
    for text in ("a -1 -2", "سلام - خوبی؟", "", "-", "line\nbreak -0"):
        assert decode(encode(text, 12, 3)).text == text
        assert decode(encode(text, 12, 3)).seq == 12


def test_size_limit_keeps_room_for_a_longer_count() -> None:
    engine = RepairedEngine()
    room = 1024 - len(" -0 -") - COUNT_ROOM
    with pytest.raises(MessageTooLong):
        engine.send_message("x" * (room + 1), 0.0)
    assert engine.unfinished() == 0
    engine.send_message("x" * room, 0.0)
    assert engine.unfinished() == 1


def test_registered_and_described() -> None:
    assert isinstance(create_engine("repaired"), RepairedEngine)
    assert RepairedEngine.describe(b"hi -3 -2").label == "hi -3 -2"
    assert RepairedEngine.describe(b"hi -3").kind == "garbage"


@settings(max_examples=200, deadline=None)
@given(fates())
def test_deliveries_are_always_once_in_order_and_talking_heals_every_loss(
    schedule: list[Fate],
) -> None:
    p = pair()
    run_fates(p, schedule, fifo=False)
    p.settle()
    for side in SIDES:  # safety, whatever the network did
        delivered = [(e.seq, e.text) for e in p.of(other(side), MessageDelivered)
                     if isinstance(e, MessageDelivered)]
        assert delivered == list(enumerate(p.sent[side]))[: len(delivered)]
    for turn in range(4):  # liveness needs the peer to talk: a few clean rounds
        for side in SIDES:
            p.send(side, f"{side} round {turn}")
        p.settle()
    for side in SIDES:
        assert p.delivered(other(side)) == p.sent[side]
        # The last message crossed the peer's last one: delivered, never acknowledged.
        assert p.engines[side].unfinished() == 1


@given(st.binary(max_size=1100))
def test_no_bytes_from_the_network_raise(payload: bytes) -> None:
    engine = RepairedEngine()
    engine.send_message("pending", 0.0)
    engine.pop_events()
    engine.receive_datagram(payload, 1.0)
    assert engine.pop_events(), "every datagram is either used or rejected"

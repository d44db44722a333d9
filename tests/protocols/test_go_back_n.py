"""Go-Back-N on a virtual clock: the textbook cases, datagram by datagram."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labchat.errors import MessageTooLong
from labchat.events import AckReceived, GapSkipped, TimerExpired
from labchat.protocols import create_engine
from labchat.protocols.go_back_n import GoBackNEngine
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

QUICK: dict[str, Any] = {"timeout": 0.25, "max_timeout": 1.0, "max_retries": 3, "window": 3}


def pair(**overrides: Any) -> Pair:
    return Pair(lambda: GoBackNEngine(**{**QUICK, **overrides}))


def test_a_lost_message_sends_the_whole_window_again() -> None:
    p = pair()
    for text in ("a", "b", "c", "d"):
        p.send("a", text)
    assert p.wire() == ["a@0 D0 ack- a", "a@0 D1 ack- b", "a@0 D2 ack- c"]  # d waits
    assert p.names("a") == ["sent", "sent", "sent"]
    p.deliver(0)
    p.drop(0)  # b is lost
    p.deliver(0)  # c arrives beyond the gap: dropped, ACK 0 again
    assert p.names("b") == ["delivered", "out_of_order"]
    assert p.wire() == ["b@0 ACK 0", "b@0 ACK 0"]
    p.deliver(0)
    p.deliver(0)  # the window slides by one: d goes out
    assert p.wire() == ["a@0 D3 ack- d"]
    p.fire()
    assert p.wire() == ["a@0.25 D1 ack- b", "a@0.25 D2 ack- c", "a@0.25 D3 ack- d"]
    p.settle()
    assert p.delivered("b") == ["a", "b", "c", "d"]
    assert p.engines["a"].snapshot()["rto"] == 0.25


def test_lost_acks_are_covered_by_a_later_cumulative_ack() -> None:
    p = pair()
    p.send("a", "x")
    p.send("a", "y")
    p.deliver(0)
    p.deliver(0)
    assert p.wire()[-2:] == ["b@0 ACK 0", "b@0 ACK 1"]
    p.drop(0)  # ACK 0 lost; ACK 1 covers it
    p.deliver(0)
    acked = [e.acked for e in p.of("a", AckReceived) if isinstance(e, AckReceived)]
    assert acked == [(0, 1)]
    assert p.engines["a"].next_deadline() is None


def test_premature_timeout_duplicates_are_discarded_and_acks_ignored() -> None:
    p = pair()
    p.send("a", "x")
    p.send("a", "y")
    p.fire()
    assert len(p.in_flight) == 4
    p.settle()
    assert p.delivered("b") == ["x", "y"]
    assert p.names("b").count("duplicate") == 2
    assert p.engines["a"].unfinished() == 0


def test_duplicated_and_reordered_datagrams() -> None:
    p = pair()
    for text in ("x", "y", "z"):
        p.send("a", text)
    p.duplicate(2)
    p.deliver(1)
    p.deliver(0)  # x: now y and z are ahead of what arrived before them
    p.settle()
    assert p.delivered("b") == ["x", "y", "z"]
    assert p.names("b")[:2] == ["out_of_order", "out_of_order"]


def test_both_sides_sending_acks_ride_on_data_when_the_window_opens() -> None:
    p = pair(window=1)
    p.send("a", "x0")
    p.send("a", "x1")
    p.send("b", "y0")
    p.deliver(1)  # y0 at a: a cannot send (window full), so a stand-alone ACK
    p.deliver(0)  # x0 at b
    assert p.wire() == ["a@0 D0 ack- x0", "b@0 D0 ack- y0", "a@0 ACK 0", "b@0 ACK 0"]
    p.deliver(1)  # b's ACK frees a's window
    assert p.wire() == ["a@0 D1 ack0 x1"]
    p.settle()
    assert_exactly_once_in_order(p)


def test_silent_peer_backs_off_then_gives_up_the_window_and_skips_after() -> None:
    p = pair()
    p.send("a", "x")
    p.send("a", "y")
    p.drop_everything()
    assert p.wire() == [
        "a@0 D0 ack- x", "a@0 D1 ack- y",
        "a@0.25 D0 ack- x", "a@0.25 D1 ack- y",
        "a@0.75 D0 ack- x", "a@0.75 D1 ack- y",
        "a@1.75 D0 ack- x", "a@1.75 D1 ack- y",
    ]
    timeouts = [e.timeout for e in p.of("a", TimerExpired) if isinstance(e, TimerExpired)]
    assert timeouts == [0.25, 0.5, 1.0, 1.0]
    assert [(g.text, g.attempts, g.at) for g in p.gave_up("a")] == [
        ("x", 4, 2.75), ("y", 4, 2.75)]
    p.send("a", "z")
    assert p.wire() == ["a@2.75 S2 ack- first2 z"]
    p.settle()
    assert p.wire() == ["b@2.75 ACK 2"]
    assert p.delivered("b") == ["z"]
    skipped = [(e.first, e.count) for e in p.of("b", GapSkipped) if isinstance(e, GapSkipped)]
    assert skipped == [(0, 2)]
    p.send("a", "w")  # the mark was acknowledged: plain data again
    assert p.wire() == ["a@2.75 D3 ack- w"]


def test_wraparound_in_a_three_bit_space() -> None:
    p = pair(seq_bits=3, window=7)
    texts = [f"m{i}" for i in range(30)]
    for text in texts:
        p.send("a", text)
    assert p.wire()[-1] == "a@0 D6 ack- m6"
    lose_every_fifth_datagram(p)
    assert p.delivered("b") == texts
    assert p.engines["b"].snapshot()["expected seq"] == 30  # 30 mod 8 on the wire


def lose_every_fifth_datagram(p: Pair) -> None:
    for step in range(5000):
        if p.in_flight and step % 5 == 4:
            p.drop()
        elif p.in_flight:
            p.deliver()
        elif not p.fire():
            return
    raise AssertionError("did not finish")


def test_window_must_fit_the_sequence_space() -> None:
    GoBackNEngine(seq_bits=2, window=3)
    with pytest.raises(ValueError, match="window < 2\\*\\*seq_bits"):
        GoBackNEngine(seq_bits=2, window=4)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "unknown datagram kind"),
        (b"D 65536 - x", "outside the sequence space"),
        (b"D 1 x", "'D <seq> <ack> <text>'"),
        (b"S 1 - 2 x", "first 2 is after seq 1"),
        (b"S 1 -", "'S <seq> <ack> <first> <text>'"),
        (b"A +1", "not a plain number"),
    ],
)
def test_garbage_is_rejected_visibly_and_changes_nothing(payload: bytes, reason: str) -> None:
    assert_rejected_without_change(pair(), payload, reason)


def test_size_limit_counts_the_longest_header() -> None:
    engine = GoBackNEngine()
    room = 1024 - len("a1c4 S 65535 65535 65535 ")  # checksum, then the widest header
    engine.send_message("x" * room, 0.0)
    with pytest.raises(MessageTooLong):
        engine.send_message("x" * (room + 1), 0.0)
    assert engine.unfinished() == 1


def test_registered_and_described() -> None:
    assert isinstance(create_engine("go-back-n", window=8), GoBackNEngine)
    assert GoBackNEngine.describe(b"S5 ack- x").kind == "garbage"
    assert GoBackNEngine.describe(b"S 5 - 4 hi").label == "S5 ack- first4 hi"


@settings(max_examples=200, deadline=None)
@given(fates())
def test_any_fates_with_enough_retries_deliver_exactly_once_in_order(
    schedule: list[Fate],
) -> None:
    p = pair(max_retries=1000)
    run_fates(p, schedule, fifo=False)
    p.settle()
    assert_exactly_once_in_order(p)


@settings(max_examples=200, deadline=None)
@given(fates(), st.sampled_from([(16, 3), (3, 3), (2, 1)]))
def test_when_retries_run_out_every_undelivered_message_gave_up(
    schedule: list[Fate], space: tuple[int, int]
) -> None:
    bits, window = space
    p = pair(max_retries=1, seq_bits=bits, window=window)
    # Small spaces assume no datagram outlives a round (the textbook's assumption).
    run_fates(p, schedule, fifo=bits < 16)
    p.settle()
    assert_delivered_or_gave_up(p)
    assert_recovers(p)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["a", "b"]), max_size=10))
def test_unreachable_peer_every_message_gave_up(senders: list[str]) -> None:
    p = pair()
    for i, side in enumerate(senders):
        p.send(side, f"m{i}")
    p.drop_everything()
    for side in ("a", "b"):
        assert [g.text for g in p.gave_up(side)] == p.sent[side]
        assert all(g.attempts == 4 for g in p.gave_up(side))
        assert p.delivered(side) == []

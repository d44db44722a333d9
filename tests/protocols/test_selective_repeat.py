"""Selective Repeat on a virtual clock: the textbook cases, datagram by datagram."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labchat.events import GapSkipped, TimerExpired
from labchat.protocols import create_engine
from labchat.protocols.arq import seal
from labchat.protocols.selective_repeat import SelectiveRepeatEngine
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
    return Pair(lambda: SelectiveRepeatEngine(**{**QUICK, **overrides}))


def test_a_lost_message_is_the_only_one_resent_and_the_rest_wait_in_the_buffer() -> None:
    p = pair()
    for text in ("a", "b", "c", "d"):
        p.send("a", text)
    assert p.wire() == ["a@0 D0 ack- a", "a@0 D1 ack- b", "a@0 D2 ack- c"]
    p.deliver(0)
    p.drop(0)  # b is lost
    p.deliver(0)  # c is buffered and acknowledged on its own
    assert p.names("b") == ["delivered", "buffered"]
    assert p.engines["b"].snapshot()["buffered"] == [2]
    assert p.wire() == ["b@0 ACK 0", "b@0 ACK 2"]
    p.now = 0.125
    p.deliver(0)  # ACK 0: the window slides by one, d goes out
    p.deliver(0)  # ACK 2: c is done, but the base stays at b
    assert p.wire() == ["a@0.125 D3 ack- d"]
    assert p.engines["a"].snapshot()["acked ahead"] == [2]
    p.fire()  # only b's timer is due: d's started later
    assert p.wire() == ["a@0.25 D1 ack- b"]
    p.settle()
    assert p.delivered("b") == ["a", "b", "c", "d"]
    assert p.names("a").count("resent") == 1


def test_each_message_has_its_own_timer_and_backoff() -> None:
    p = pair()
    p.send("a", "x")
    p.now = 0.125
    p.send("a", "y")
    p.drop_everything()
    expiries = [(e.seq, e.at, e.timeout) for e in p.of("a", TimerExpired)
                if isinstance(e, TimerExpired)]
    assert expiries == [
        (0, 0.25, 0.25), (1, 0.375, 0.25),
        (0, 0.75, 0.5), (1, 0.875, 0.5),
        (0, 1.75, 1.0), (1, 1.875, 1.0),
        (0, 2.75, 1.0), (1, 2.875, 1.0),
    ]
    assert [(g.text, g.attempts, g.at) for g in p.gave_up("a")] == [
        ("x", 4, 2.75), ("y", 4, 2.875)]


def test_lost_ack_the_duplicate_is_acknowledged_again() -> None:
    p = pair()
    p.send("a", "x")
    p.deliver()
    p.drop()  # ACK 0
    p.fire()
    p.deliver()
    assert p.names("b") == ["delivered", "duplicate"]
    assert p.wire() == ["a@0 D0 ack- x", "b@0 ACK 0", "a@0.25 D0 ack- x", "b@0.25 ACK 0"]
    p.deliver()
    assert p.engines["a"].unfinished() == 0


def test_premature_timeout_and_reordering_deliver_once_in_order() -> None:
    p = pair()
    for text in ("x", "y", "z"):
        p.send("a", text)
    p.fire()  # all three time out before anything arrived
    p.deliver(5)  # a late copy of z first
    p.deliver(1)  # then y
    assert p.delivered("b") == []
    p.duplicate(0)
    assert p.delivered("b") == ["x", "y", "z"]
    p.settle()
    assert p.delivered("b") == ["x", "y", "z"]
    assert p.engines["a"].unfinished() == 0


def test_both_sides_sending_acks_ride_on_data_when_they_can() -> None:
    p = pair(window=1)
    p.send("a", "x0")
    p.send("a", "x1")  # waits: the window is full
    p.send("b", "y0")
    p.deliver(1)  # y0 at a: nothing can leave, so the ACK goes alone
    p.deliver(0)  # x0 at b: the same
    assert p.wire() == ["a@0 D0 ack- x0", "b@0 D0 ack- y0", "a@0 ACK 0", "b@0 ACK 0"]
    p.deliver(1)  # b's ACK frees a's window: x1 repeats a's latest ack
    assert p.wire() == ["a@0 D1 ack0 x1"]
    p.settle()
    assert_exactly_once_in_order(p)


def test_give_up_skips_the_gap_and_stranded_messages_are_reported() -> None:
    p = pair()
    p.send("a", "x")
    p.send("a", "y")
    p.drop(0)  # x never arrives
    p.deliver(0)  # y is buffered at b and acknowledged
    p.deliver(0)
    for _ in range(3):
        p.fire()
        p.drop(0)
    p.fire()
    # y was acknowledged, but b can only hand it over after skipping x.
    assert [(g.text, g.attempts) for g in p.gave_up("a")] == [("x", 4), ("y", 1)]
    p.send("a", "z")
    assert p.wire()[-1] == "a@2.75 S2 ack- first2 z"
    p.settle()
    assert p.delivered("b") == ["y", "z"]
    skipped = [(e.first, e.count) for e in p.of("b", GapSkipped) if isinstance(e, GapSkipped)]
    assert skipped == [(0, 1)]


def test_wraparound_with_a_window_of_half_a_three_bit_space() -> None:
    p = pair(seq_bits=3, window=4, max_retries=10)
    texts = [f"m{i}" for i in range(40)]
    for text in texts:
        p.send("a", text)
    rng = random.Random(3)  # seeded: the same losses on every run
    for _ in range(5000):
        if p.in_flight and rng.random() < 0.3:
            p.drop()
        elif p.in_flight:
            p.deliver()
        elif not p.fire():
            break
    assert p.delivered("b") == texts
    assert p.gave_up("a") == []


def test_window_larger_than_half_the_space_is_refused() -> None:
    SelectiveRepeatEngine(seq_bits=3, window=4)
    with pytest.raises(ValueError, match="at most half the sequence space: window 5 > 4"):
        SelectiveRepeatEngine(seq_bits=3, window=5)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xc3", "not valid UTF-8"),
        (b"D 1 65536 x", "outside the sequence space"),
        (b"A 1\n", "not a plain number"),
        (b"S 3 - 9 x", "first 9 is after seq 3"),
    ],
)
def test_garbage_is_rejected_visibly_and_changes_nothing(payload: bytes, reason: str) -> None:
    assert_rejected_without_change(pair(), payload, reason)


def test_registered_and_described() -> None:
    assert isinstance(create_engine("selective-repeat"), SelectiveRepeatEngine)
    assert SelectiveRepeatEngine.describe(b"D 3 2 hi").label == "D3 ack2 hi"
    assert SelectiveRepeatEngine.describe(b"A 3").label == "ACK 3"


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
@given(fates(), st.sampled_from([(16, 3), (3, 3), (3, 4), (2, 1)]))
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
        assert sorted(g.text for g in p.gave_up(side)) == sorted(p.sent[side])
        assert all(g.attempts == 4 for g in p.gave_up(side))
        assert p.delivered(side) == []


# -- selective ACKs (the ``acks="selective"`` setting) -------------------------------


def sack_pair(**overrides: Any) -> Pair:
    return pair(acks="selective", **overrides)


def test_selective_ack_names_the_cumulative_point_and_the_runs_held() -> None:
    p = sack_pair(window=4)
    for text in ("a", "b", "c", "d"):
        p.send("a", text)
    p.wire()
    p.deliver(0)  # a
    p.drop(0)  # b is lost
    p.deliver(0)  # c
    p.deliver(0)  # d
    assert p.wire() == ["b@0 ACK 0:", "b@0 ACK 0:2", "b@0 ACK 0:2-3"]


def test_a_lost_ack_costs_no_resend_when_a_later_ack_arrives() -> None:
    p = sack_pair()
    for text in ("x", "y", "z"):
        p.send("a", text)
    p.wire()
    for _ in range(3):
        p.deliver(0)  # all three arrive at b
    assert p.wire() == ["b@0 ACK 0:", "b@0 ACK 1:", "b@0 ACK 2:"]
    p.drop(0)  # ACK 0 is lost
    p.drop(0)  # and ACK 1
    p.now = 0.1
    p.deliver(0)  # ACK 2 covers them
    assert p.engines["a"].unfinished() == 0
    assert p.engines["a"].next_deadline() is None
    assert not p.fire()  # no timer left: nothing is ever resent
    assert "resent" not in p.names("a")
    assert p.delivered("b") == ["x", "y", "z"]


def test_textbook_acks_resend_after_the_same_lost_ack() -> None:
    p = pair()
    for text in ("x", "y"):
        p.send("a", text)
    p.wire()
    p.deliver(0)
    p.deliver(0)
    assert p.wire() == ["b@0 ACK 0", "b@0 ACK 1"]
    p.drop(0)  # ACK 0 is lost; ACK 1 says nothing about 0
    p.deliver(0)
    p.fire()
    assert p.wire() == ["a@0.25 D0 ack- x"]


def test_a_run_acknowledged_ahead_of_a_gap_is_not_resent() -> None:
    p = sack_pair()
    for text in ("x", "y", "z"):
        p.send("a", text)
    p.drop(0)  # x is lost
    p.deliver(0)  # y: ACK -:1
    p.deliver(0)  # z: ACK -:1-2
    assert p.wire()[-2:] == ["b@0 ACK -:1", "b@0 ACK -:1-2"]
    p.drop(0)  # the first ACK is lost: the second names both
    p.deliver(0)
    assert p.engines["a"].snapshot()["acked ahead"] == [1, 2]
    p.fire()
    assert p.wire() == ["a@0.25 D0 ack- x"]  # only the missing one
    p.settle()
    assert p.delivered("b") == ["x", "y", "z"]
    assert p.names("a").count("resent") == 1


def test_piggybacked_selective_ack_rides_on_data() -> None:
    p = sack_pair(window=2)
    p.send("a", "x0")
    p.send("b", "y0")
    p.deliver(1)  # y0 at a
    p.deliver(0)  # x0 at b
    p.settle()
    p.send("a", "x1")
    assert p.wire()[-1] == "a@0 D1 ack0: x1"


def test_the_latest_arrivals_run_comes_first_and_runs_are_capped() -> None:
    p = sack_pair(window=40, max_retries=5)
    for i in range(40):
        p.send("a", f"m{i}")
    p.wire()
    # Lose every even message: the odd ones are held as 20 runs of one.
    for i in range(40):
        if i % 2 == 0:
            p.drop(0)
        else:
            p.deliver(0)
    *_, last = p.wire()
    assert last == "b@0 ACK -:39,1,3,5,7,9,11,13"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"A -", "not a plain number"),
        (b"A 3:x", "not a plain number"),
        (b"A 3:1-2-3", "not a plain number"),
        (b"A 3:" + b",".join(b"%d" % i for i in range(9)), "at most 8 runs"),
        (b"A 3:5-1", "longer than half the space"),
        (b"D 1 3:,4 x", "not a plain number"),
    ],
)
def test_selective_ack_garbage_is_rejected_visibly_and_changes_nothing(
    payload: bytes, reason: str
) -> None:
    assert_rejected_without_change(sack_pair(), payload, reason)


def test_either_form_is_read_whatever_this_side_sends() -> None:
    p = pair()  # textbook side reading a selective ACK
    p.send("a", "x")
    p.send("a", "y")
    p.inject("a", seal(b"A 1:"))
    assert p.engines["a"].unfinished() == 0
    assert SelectiveRepeatEngine.describe(b"A 7:9-11,14").label == "ACK 7:9-11,14"
    assert SelectiveRepeatEngine.describe(b"D 3 -:2 hi").label == "D3 ack-:2 hi"


def test_unknown_ack_form_is_refused() -> None:
    with pytest.raises(ValueError, match="must be one of individual, selective, got bitmap"):
        SelectiveRepeatEngine(acks="bitmap")


def test_selective_acks_cost_one_data_datagram_per_delivery_over_1_minus_p() -> None:
    # At 10% loss both ways a message needs 1/(1-p) transmissions on average;
    # with textbook ACKs a lost ACK costs one more, (1/(1-p))**2 in all.
    from labchat.sim.simulator import simulate

    p = 0.1
    runs = {acks: simulate("selective-repeat", 5000, loss=p, seed=1, both_ways=True,
                           settings={"acks": acks}) for acks in ("individual", "selective")}
    assert all(run.delivered == run.messages == 10_000 for run in runs.values())
    selective = runs["selective"].data_datagrams / runs["selective"].delivered
    individual = runs["individual"].data_datagrams / runs["individual"].delivered
    assert selective <= 1.03 / (1 - p)
    assert individual > 1.05 / (1 - p)

"""Issue 3's cross-rung property: every rung above ``report``, over the virtual network.

Two engines of one rung talk both ways through a ``VirtualNetwork`` whose
``ImpairmentModel`` hypothesis generates: per direction a seeded loss,
duplicate, reorder, delay and jitter, scripted drops by datagram number, and
an outage window. Messages go both ways at interleaved (sometimes equal)
times. The per-rung files drive each engine by hand (``engine_pair``); this
file checks the promise the whole ladder makes, stated once:

* retries suffice => both sides deliver every message exactly once, in order,
  and nothing is given up;
* any schedule => nothing is delivered twice or out of order, and every
  message the receiver did not get ended in a ``GaveUp`` at its sender (a
  give-up may also name a message that did arrive when only its ACKs were
  lost: the sender cannot know), and every run ends with nothing unfinished.

When do retries suffice? Exactly decidable, and sufficient: the schedule
loses no datagram except at most ``max_retries`` scripted drops in total (no
random loss, no outage), and the longest possible round trip (a held, fully
jittered copy each way) is shorter than the initial timeout. Then a timer
expires only if a datagram was dropped: the copy of its message sent last, the
reply to it, or (Go-Back-N) the copy of the message before it sent in the same
batch. A give-up needs ``max_retries + 1`` expiries in a row, each with a
drop of its own: more drops than there are.
``test_one_drop_more_than_the_retries_gives_up`` shows that bound is tight.

Go-Back-N keeps no receive buffer, so a copy overtaken by a later one is
discarded and costs a retry just as a drop does: under reordering, whether
retries suffice depends on the draw, not on the drops. Its retries-suffice
schedules therefore keep order; it meets reordering in the any-schedule test.

``repaired`` has no timer and never gives up (see its module): its property
is safety under any schedule, plus recovery once the link is perfect and both
users keep talking. ``report`` has its own flaw tests and is not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labchat.events import AckReceived, DatagramRejected, Event, GaveUp, MessageDelivered
from labchat.protocols import PROTOCOLS, Engine, create_engine
from labchat.sim.channel import DIRECTIONS, REORDER_HOLD, Direction, Impairment, ImpairmentModel
from labchat.sim.network import VirtualNetwork
from labchat.trace import SIDES, Side, other

E = TypeVar("E", bound=Event)

#: The initial retransmission timeout of every timer rung here, in seconds.
TIMEOUT = 0.25
#: A run of a dozen messages takes a few hundred steps; far more means a storm.
MAX_STEPS = 100_000
#: Send times are multiples of this, so that some sends coincide and cross.
TICK = 0.025


@dataclass(frozen=True)
class Rung:
    """One rung with its settings, and whether its schedules must keep order."""

    protocol: str
    settings: Mapping[str, Any]
    fifo: bool  # no schedule reorders
    reordering_is_loss: bool = False  # no receive buffer: only FIFO while retries suffice

    def __str__(self) -> str:
        extra = ",".join(f"{k}={v}" for k, v in self.settings.items())
        return f"{self.protocol}[{extra or 'default'}]{'-fifo' if self.fifo else ''}"

    def engines(self, max_retries: int) -> tuple[Engine, Engine]:
        a, b = (create_engine(self.protocol, timeout=TIMEOUT, max_retries=max_retries,
                              **self.settings) for _ in SIDES)
        return a, b


TIMER_RUNGS = [
    # rdt 3.0 as the textbook has it: one bit tells a message from the one
    # before only on a channel that never reorders, so FIFO schedules only.
    Rung("stop-and-wait", {}, fifo=True),
    # The module widens the number with ``seq_bits``; with 16 bits it is safe
    # under reordering too, so that variant gets jitter and held copies.
    Rung("stop-and-wait", {"seq_bits": 16}, fifo=False),
    Rung("go-back-n", {}, fifo=False, reordering_is_loss=True),
    Rung("selective-repeat", {}, fifo=False),
    # Small spaces rely on the textbook's assumption that no copy outlives a
    # round of the space, which a FIFO channel guarantees (see ``arq``).
    Rung("go-back-n", {"seq_bits": 3, "window": 3}, fifo=True, reordering_is_loss=True),
    Rung("selective-repeat", {"seq_bits": 3, "window": 3}, fifo=True),
    # Selective ACKs change what an ACK says, never the promise.
    Rung("selective-repeat", {"acks": "selective"}, fifo=False),
    Rung("selective-repeat", {"seq_bits": 3, "window": 3, "acks": "selective"}, fifo=True),
]


# -- schedules ------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """Who sends when, and what the network does to each direction."""

    sends: tuple[tuple[Side, float], ...]  # in time order; equal times keep this order
    impairments: Mapping[Direction, Impairment]
    drops: frozenset[tuple[Direction, int]]  # scripted: datagram number k of a direction
    outage: tuple[float, float, Direction | None] | None
    seed: int

    def texts(self) -> dict[Side, list[str]]:
        """What each user sends, in order: unique texts, ``A0``, ``A1``, ``B0`` ..."""
        sent: dict[Side, list[str]] = {side: [] for side in SIDES}
        for side, _ in self.sends:
            sent[side].append(f"{side}{len(sent[side])}")
        return sent

    def model(self) -> ImpairmentModel:
        model = ImpairmentModel(self.impairments["A->B"], self.impairments["B->A"],
                                seed=self.seed)
        for direction, number in sorted(self.drops):
            model.drop_number(direction, number)
        if self.outage is not None:
            model.outage(*self.outage)
        return model

    def longest_round_trip(self) -> float:
        """The most a datagram and its reply can take, both copies held and jittered."""
        total = 0.0
        for impairment in self.impairments.values():
            one_way = impairment.delay + impairment.jitter
            if impairment.reorder > 0:
                one_way += impairment.delay + impairment.jitter + REORDER_HOLD
            total += one_way
        return total


def send_times(max_messages: int = 12) -> st.SearchStrategy[tuple[tuple[Side, float], ...]]:
    sides: st.SearchStrategy[Side] = st.sampled_from(SIDES)
    # A drawn count: a plain list strategy mostly makes empty or short ones.
    sends = st.integers(1, max_messages).flatmap(
        lambda n: st.lists(st.tuples(sides, st.integers(0, 40)), min_size=n, max_size=n))
    # sorted() is stable: sends at the same tick keep their generated order.
    return sends.map(lambda xs: tuple((side, tick * TICK)
                                      for side, tick in sorted(xs, key=lambda x: x[1])))


@st.composite
def gentle_schedules(draw: st.DrawFn, fifo: bool, max_drops: int) -> Schedule:
    """No loss but at most ``max_drops`` scripted drops; round trips under ``TIMEOUT``."""
    impairments: dict[Direction, Impairment] = {}
    for direction in DIRECTIONS:
        impairments[direction] = Impairment(
            duplicate=draw(st.sampled_from([0.0, 0.2, 0.5])),
            delay=draw(st.integers(0, 30)) / 1000,
            jitter=0.0 if fifo else draw(st.integers(0, 20)) / 1000,
            reorder=0.0 if fifo else draw(st.sampled_from([0.0, 0.2, 0.5])),
        )
    directions: st.SearchStrategy[Direction] = st.sampled_from(DIRECTIONS)
    # Low numbers, so drops often hit the same message's copies in a row; a
    # drawn count, else most schedules would drop nothing.
    count = draw(st.integers(0, max_drops))
    drops = draw(st.frozensets(st.tuples(directions, st.integers(1, 10)),
                               min_size=count, max_size=count))
    return Schedule(draw(send_times()), impairments, drops, None, draw(st.integers(0, 2**16)))


@st.composite
def any_schedules(draw: st.DrawFn, fifo: bool) -> Schedule:
    """Anything the model can do: heavy loss, long outages, premature timeouts."""
    impairments: dict[Direction, Impairment] = {}
    for direction in DIRECTIONS:
        impairments[direction] = Impairment(
            loss=draw(st.sampled_from([0.0, 0.1, 0.3, 0.6, 1.0])),
            duplicate=draw(st.sampled_from([0.0, 0.2, 0.5])),
            # Up to 0.4 s one way: longer than TIMEOUT, so copies cross resends.
            delay=draw(st.integers(0, 400)) / 1000,
            jitter=0.0 if fifo else draw(st.integers(0, 400)) / 1000,
            reorder=0.0 if fifo else draw(st.sampled_from([0.0, 0.2, 0.5])),
        )
    directions: st.SearchStrategy[Direction] = st.sampled_from(DIRECTIONS)
    drops = draw(st.frozensets(st.tuples(directions, st.integers(1, 30)), max_size=8))
    outage = draw(st.none() | st.tuples(
        st.integers(0, 40).map(lambda t: t * 0.05),
        st.integers(0, 120).map(lambda t: t * 0.05),
        st.none() | directions,
    ).map(lambda o: (o[0], o[0] + o[1], o[2])))
    return Schedule(draw(send_times()), impairments, drops, outage, draw(st.integers(0, 2**16)))


# -- running and reading --------------------------------------------------------------


def run(a: Engine, b: Engine, schedule: Schedule) -> VirtualNetwork:
    """Play the schedule to the end; ``NetworkBusy`` (a run that never ends) fails."""
    network = VirtualNetwork(a, b, schedule.model())
    at = dict(zip(SIDES, ([t for s, t in schedule.sends if s == side] for side in SIDES),
                  strict=True))
    for side, texts in schedule.texts().items():
        for text, when in zip(texts, at[side], strict=True):
            network.schedule_send(side, text, when)
    network.run(max_steps=MAX_STEPS)
    return network


def of(events: list[Event], kind: type[E]) -> list[E]:
    return [event for event in events if isinstance(event, kind)]


def delivered(events: list[Event]) -> list[tuple[int, str]]:
    return [(e.seq, e.text) for e in of(events, MessageDelivered)]


def gave_up(events: list[Event]) -> list[tuple[int, str]]:
    return [(e.seq, e.text) for e in of(events, GaveUp)]


# -- the timer rungs ------------------------------------------------------------------


def test_every_rung_above_the_report_is_covered() -> None:
    covered = {rung.protocol for rung in TIMER_RUNGS} | {"repaired"}
    assert covered == set(PROTOCOLS) - {"report"}


@pytest.mark.parametrize("rung", TIMER_RUNGS, ids=str)
@settings(max_examples=100, deadline=None)
@given(data=st.data(), max_retries=st.integers(1, 4))
def test_when_retries_suffice_both_sides_deliver_everything_once_in_order(
    rung: Rung, data: st.DataObject, max_retries: int
) -> None:
    fifo = rung.fifo or rung.reordering_is_loss
    schedule = data.draw(gentle_schedules(fifo, max_drops=max_retries))
    assert schedule.longest_round_trip() < TIMEOUT  # no timer can expire without a drop
    assert len(schedule.drops) <= max_retries
    network = run(*rung.engines(max_retries), schedule)
    sent = schedule.texts()
    for side in SIDES:
        assert delivered(network.events[other(side)]) == list(enumerate(sent[side]))
        assert gave_up(network.events[side]) == []
        assert network.engines[side].unfinished() == 0
        assert of(network.events[side], DatagramRejected) == []


@pytest.mark.parametrize("rung", TIMER_RUNGS, ids=str)
@settings(max_examples=100, deadline=None)
@given(data=st.data(), max_retries=st.integers(0, 3))
def test_under_any_schedule_what_is_not_delivered_was_given_up(
    rung: Rung, data: st.DataObject, max_retries: int
) -> None:
    schedule = data.draw(any_schedules(rung.fifo))
    network = run(*rung.engines(max_retries), schedule)
    sent = schedule.texts()
    for side in SIDES:
        offered = list(enumerate(sent[side]))
        got = delivered(network.events[other(side)])
        abandoned = gave_up(network.events[side])
        assert all(item in offered for item in got)  # the right text under its number
        assert [seq for seq, _ in got] == sorted({seq for seq, _ in got})  # once, in order
        assert all(item in offered for item in abandoned)
        assert len(abandoned) == len(set(abandoned))  # each given up at most once
        missing = {seq for seq, _ in offered} - {seq for seq, _ in got}
        assert missing <= {seq for seq, _ in abandoned}
        assert network.engines[side].unfinished() == 0
        assert of(network.events[side], DatagramRejected) == []


@pytest.mark.parametrize("rung", TIMER_RUNGS, ids=str)
@pytest.mark.parametrize("max_retries", [0, 2])
def test_one_drop_more_than_the_retries_gives_up(rung: Rung, max_retries: int) -> None:
    # The bound the "retries suffice" schedules keep, missed by one: every copy
    # of a lone message is dropped.
    forward: Direction = "A->B"
    drops = frozenset((forward, k) for k in range(1, max_retries + 2))
    schedule = Schedule((("A", 0.0),), {d: Impairment() for d in DIRECTIONS}, drops, None, 0)
    network = run(*rung.engines(max_retries), schedule)
    assert gave_up(network.events["A"]) == [(0, "A0")]
    assert delivered(network.events["B"]) == []


# -- the bridge rung ------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(any_schedules(fifo=False))
def test_repaired_delivers_once_in_order_and_counts_the_rest_unfinished(
    schedule: Schedule,
) -> None:
    # No timer: a lost last message stays lost, so only safety holds here.
    network = run(create_engine("repaired"), create_engine("repaired"), schedule)
    sent = schedule.texts()
    for side in SIDES:
        got = delivered(network.events[other(side)])
        assert got == list(enumerate(sent[side]))[: len(got)]  # a prefix: once, in order
        acked = [seq for e in of(network.events[side], AckReceived) for seq in e.acked]
        assert set(acked) <= {seq for seq, _ in got}  # never acknowledged unless delivered
        assert network.engines[side].unfinished() == len(sent[side]) - len(acked)
        # So whatever did not arrive is still counted by its sender.
        assert network.engines[side].unfinished() >= len(sent[side]) - len(got)
        assert gave_up(network.events[side]) == []
        assert of(network.events[side], DatagramRejected) == []


#: Clean rounds that always suffice: the first may still show progress from
#: before, the next two stall the count twice, which makes the sender resend.
#: Two are not enough: A sends four at once, the last overtakes the others
#: (jitter) and is discarded beyond the gap; B's count then moves in round 1.
RECOVERY_ROUNDS = 3


@settings(max_examples=200, deadline=None)
@given(any_schedules(fifo=False))
def test_repaired_recovers_every_loss_when_both_keep_talking_on_a_perfect_link(
    schedule: Schedule,
) -> None:
    a, b = create_engine("repaired"), create_engine("repaired")
    impaired = run(a, b, schedule)  # ends quiet: nothing left in flight
    # The precondition, exactly: from now on no loss and no delay, and in each
    # round both users send one message at the same instant (they cross).
    perfect = VirtualNetwork(a, b, start=impaired.now)
    sent = schedule.texts()
    for turn in range(RECOVERY_ROUNDS):
        for side in SIDES:
            text = f"{side} round {turn}"
            perfect.send(side, text)
            sent[side].append(text)
        perfect.run(max_steps=MAX_STEPS)
    for side in SIDES:
        receiver = other(side)
        events = impaired.events[receiver] + perfect.events[receiver]
        assert delivered(events) == list(enumerate(sent[side]))

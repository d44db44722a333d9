"""Two engines, a virtual clock, and a test that decides every datagram's fate.

A deliberately tiny stand-in for the full networks: nothing moves unless the
test says so. ``wire()`` returns what went out since the last call as
``"a@0.25 D0 ack- hi"`` (sender, virtual time, chart label), so a test can
assert exactly which datagrams left and when. ``run_fates`` replays a list of
fates chosen by hypothesis, for the properties.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hypothesis import strategies as st

from labchat.events import DatagramRejected, Event, GaveUp, MessageDelivered
from labchat.protocols.arq import seal
from labchat.protocols.base import Engine, Outgoing

SIDES = ("a", "b")


def other(side: str) -> str:
    return "b" if side == "a" else "a"


@dataclass(frozen=True)
class Flight:
    source: str
    datagram: Outgoing


@dataclass
class Pair:
    make: Callable[[], Engine]
    now: float = 0.0
    in_flight: list[Flight] = field(default_factory=list)
    events: dict[str, list[Event]] = field(default_factory=lambda: {"a": [], "b": []})
    sent: dict[str, list[str]] = field(default_factory=lambda: {"a": [], "b": []})
    _wire: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.engines = {side: self.make() for side in SIDES}

    # -- what the test does ----------------------------------------------------------

    def send(self, side: str, text: str) -> None:
        self.engines[side].send_message(text, self.now)
        self.sent[side].append(text)
        self._collect()

    def deliver(self, index: int = 0) -> Flight:
        flight = self.in_flight.pop(index)
        self.engines[other(flight.source)].receive_datagram(flight.datagram.payload, self.now)
        self._collect()
        return flight

    def drop(self, index: int = 0) -> Flight:
        return self.in_flight.pop(index)

    def duplicate(self, index: int = 0) -> Flight:
        """Deliver a copy now; the original stays in flight."""
        flight = self.in_flight[index]
        self.engines[other(flight.source)].receive_datagram(flight.datagram.payload, self.now)
        self._collect()
        return flight

    def inject(self, side: str, payload: bytes) -> None:
        """Bytes arriving at ``side`` from nowhere (garbage, forgeries)."""
        self.engines[side].receive_datagram(payload, self.now)
        self._collect()

    def fire(self) -> bool:
        """Jump the clock to the earliest deadline and run the timers due; False if none."""
        deadlines = [d for e in self.engines.values() if (d := e.next_deadline()) is not None]
        if not deadlines:
            return False
        self.now = max(self.now, min(deadlines))
        for engine in self.engines.values():
            deadline = engine.next_deadline()
            if deadline is not None and deadline <= self.now:
                engine.handle_timer(self.now)
        self._collect()
        return True

    def settle(self, limit: int = 20_000) -> None:
        """Deliver everything in order and run timers until nothing is left."""
        for _ in range(limit):
            if self.in_flight:
                self.deliver(0)
            elif not self.fire():
                return
        raise AssertionError(f"not settled after {limit} steps")

    def drop_everything(self, limit: int = 20_000) -> None:
        """A peer that never answers: drop all datagrams, run timers until none."""
        for _ in range(limit):
            self.in_flight.clear()
            if not self.fire():
                return
        raise AssertionError(f"timers still running after {limit} steps")

    # -- what the test reads ---------------------------------------------------------

    def wire(self) -> list[str]:
        out, self._wire = self._wire, []
        return out

    def delivered(self, side: str) -> list[str]:
        return [e.text for e in self.events[side] if isinstance(e, MessageDelivered)]

    def gave_up(self, side: str) -> list[GaveUp]:
        return [e for e in self.events[side] if isinstance(e, GaveUp)]

    def names(self, side: str) -> list[str]:
        return [e.name for e in self.events[side]]

    def of(self, side: str, kind: type[Event]) -> list[Event]:
        return [e for e in self.events[side] if isinstance(e, kind)]

    def _collect(self) -> None:
        for side, engine in self.engines.items():
            for datagram in engine.pop_datagrams():
                self.in_flight.append(Flight(side, datagram))
                self._wire.append(f"{side}@{self.now:g} {datagram.label}")
            self.events[side].extend(engine.pop_events())


# -- fates chosen by hypothesis ------------------------------------------------------

Fate = tuple[str, int]

FATES = ("send a", "send b", "deliver", "drop", "duplicate", "fire")


def fates(max_size: int = 60) -> st.SearchStrategy[list[Fate]]:
    return st.lists(st.tuples(st.sampled_from(FATES), st.integers(0, 7)), max_size=max_size)


def run_fates(pair: Pair, schedule: Sequence[Fate], *, fifo: bool) -> None:
    """Apply each fate; the number picks which datagram (any one, or with
    ``fifo`` only the oldest of one direction, so nothing overtakes)."""
    counter = 0
    for fate, number in schedule:
        if fate.startswith("send"):
            side = fate[-1]
            pair.send(side, f"{side}{counter}")
            counter += 1
        elif fate == "fire":
            pair.fire()
        elif pair.in_flight:
            index = _pick(pair, number, fifo)
            {"deliver": pair.deliver, "drop": pair.drop, "duplicate": pair.duplicate}[fate](index)


def _pick(pair: Pair, number: int, fifo: bool) -> int:
    if not fifo:
        return number % len(pair.in_flight)
    side = SIDES[number % 2]
    for index, flight in enumerate(pair.in_flight):
        if flight.source == side:
            return index
    return 0


def assert_exactly_once_in_order(pair: Pair) -> None:
    for side in SIDES:
        assert pair.delivered(other(side)) == pair.sent[side]
        assert pair.gave_up(side) == []
        assert pair.engines[side].unfinished() == 0


def assert_delivered_or_gave_up(pair: Pair) -> None:
    """Delivered messages keep their number and order, none twice; the rest gave up."""
    for side in SIDES:
        sent = list(enumerate(pair.sent[side]))
        delivered = [(e.seq, e.text) for e in pair.of(other(side), MessageDelivered)
                     if isinstance(e, MessageDelivered)]
        assert all(item in sent for item in delivered)
        assert [seq for seq, _ in delivered] == sorted({seq for seq, _ in delivered})
        given_up = {e.seq for e in pair.gave_up(side)}
        assert {seq for seq, _ in sent} - {seq for seq, _ in delivered} <= given_up
        assert pair.engines[side].unfinished() == 0


def assert_recovers(pair: Pair) -> None:
    """After any losses, a message sent over a quiet network gets through, unless
    the sender went out of step (a give-up its sequence space cannot express)."""
    for side in SIDES:
        out_of_step = pair.engines[side].snapshot().get("out of step")
        pair.send(side, f"final {side}")
        pair.settle()
        if out_of_step:
            assert pair.gave_up(side)[-1].text == f"final {side}"
        else:
            assert pair.delivered(other(side))[-1] == f"final {side}"


def assert_rejected_without_change(pair: Pair, payload: bytes, reason: str) -> None:
    """Garbage reaching a side with a message pending: one visible reject, nothing else."""
    pair.send("b", "pending")
    pair.wire()
    before = dict(pair.engines["b"].snapshot())
    if getattr(pair.engines["b"].settings, "checksum", False):
        payload = seal(payload)  # a valid checksum, so the bytes behind it are what is judged
    pair.inject("b", payload)
    (event,) = pair.of("b", DatagramRejected)
    assert isinstance(event, DatagramRejected)
    assert reason in event.reason
    assert pair.wire() == []
    assert pair.engines["b"].snapshot() == before

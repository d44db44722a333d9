"""Two engines joined by an in-memory network on a virtual clock.

``VirtualNetwork`` asks an ``ImpairmentModel`` for the fate of every datagram
and processes arrivals, scheduled sends and engine timers in time order: a
simulation of thousands of messages takes milliseconds and the same seed
gives the same run. ``ManualNetwork`` leaves every datagram "in flight" until
the caller delivers, drops, duplicates or corrupts it, and lets the caller move the
clock to the next timer: the base of step-through in the notebooks.

What both record (unless ``record=False``):

* ``wire``: one ``WireRecord`` per datagram, indexed by its id, written at the
  moment the engine's datagram goes on the wire and replaced (the records are
  frozen) when its fate is settled. ``kind``/``seq``/``label`` come from the
  ``Outgoing`` the sending engine queued, which knows more than
  ``describe(payload)`` can (the report's wire format has no sequence
  number), and ``state`` is the sender's ``snapshot()`` then. A network-made
  duplicate is a record of its own with ``copy_of`` set and no state.
* ``events[side]``: every event of that side's engine, in order, plus a
  ``DatagramSent`` (``record``: the id of the record written) when a datagram
  of it goes on the wire and a ``DatagramReceived`` (``source`` "A" or "B",
  ``record``: the id delivered) just before the engine is handed one, as
  ``UdpPeer.history`` has them. The events the engine produced while handling
  that arrival carry its id as ``cause``.

Neither network uses threads, sockets, the real clock or randomness of its
own; exceptions raised by an engine (a local error such as a message too
long, or a bug) reach the caller.

Engines are driven only through the network (``send``, arrivals, timers):
after each call into an engine the network reads its next deadline once and
keeps it, so finding the next thing to do costs no call into either engine.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Literal

from labchat import voice
from labchat.events import DatagramReceived, DatagramSent, Event
from labchat.protocols.base import Engine, Outgoing
from labchat.protocols.mismatch import force_mismatch
from labchat.sim.channel import Direction, Flip, Impairment, ImpairmentModel, corrupted
from labchat.trace import Side, WireRecord, check_side, other

Listener = Callable[[Side, Event], None]

#: How long a datagram takes to cross the manual network when it is delivered.
MANUAL_TRANSIT = 0.1


class NetworkBusy(RuntimeError):
    """``run`` reached its step limit before the network went quiet."""


def direction_from(side: Side) -> Direction:
    return "A->B" if side == "A" else "B->A"


class _Network:
    """What both networks share: the engines, the clock, the records, counters."""

    def __init__(
        self, a: Engine, b: Engine, *, start: float, record: bool, listener: Listener | None
    ) -> None:
        self.engines: dict[Side, Engine] = {"A": a, "B": b}
        self.now = float(start)
        self.record = record
        self.wire: list[WireRecord] = []
        self.events: dict[Side, list[Event]] = {"A": [], "B": []}
        #: Datagrams the engines sent, by kind ("data", "resend", "ack", ...):
        #: the protocol's cost, without the copies the network made.
        self.sent_by_kind: Counter[str] = Counter()
        self.bytes_sent = 0
        self._listener = listener
        self._next_id = 0
        # Each engine's next deadline, read after every call into it (_flush).
        self._deadlines: dict[Side, float | None] = {
            side: engine.next_deadline() for side, engine in self.engines.items()}

    # -- the user's commands ---------------------------------------------------------

    def send(self, side: Side, text: str) -> None:
        """``side``'s user sends ``text`` now."""
        engine = self.engines[check_side(side)]
        engine.send_message(text, self.now)
        self._flush(side)

    def force_mismatch(self, side: Side) -> None:
        """The report's test: ``side``'s next datagram carries a wrong count."""
        engine = self.engines[check_side(side)]
        force_mismatch(engine, self.now)
        self._flush(side)

    def next_timer(self) -> float | None:
        """The earliest engine deadline, or None when no timer runs."""
        # Called before every step of a simulation: read from the cache.
        a = self._deadlines["A"]
        b = self._deadlines["B"]
        if a is None or b is None:
            return b if a is None else a
        return min(a, b)

    # -- shared machinery ------------------------------------------------------------

    def _fire_timers(self) -> None:
        # A before B at the same instant; a deadline already past fires now.
        for side, engine in self.engines.items():
            deadline = self._deadlines[side]
            if deadline is not None and deadline <= self.now:
                engine.handle_timer(self.now)
                self._flush(side)

    def inject(self, side: Side, payload: bytes) -> None:
        """A datagram from outside (a forger, a test) arrives at ``side`` now.

        It is handed over exactly as an arrival (events, replies, records) but
        is not a wire record between A and B: neither of them sent it.
        """
        self._hand_over(check_side(side), payload)

    def _hand_over(self, side: Side, payload: bytes, record_id: int | None = None) -> None:
        """``side``'s engine gets ``payload``, the datagram ``record_id`` (None: injected)."""
        if self.record:
            self._log(side, DatagramReceived(at=self.now, size=len(payload), source=other(side),
                                             record=record_id))
        self.engines[side].receive_datagram(payload, self.now)
        self._flush(side, cause=record_id)

    def _flush(self, side: Side, cause: int | None = None) -> None:
        engine = self.engines[side]
        self._deadlines[side] = engine.next_deadline()
        for event in engine.pop_events():
            # Only when events are kept: a long simulation's listener counts
            # events and never reads their cause, so it skips the copy.
            if cause is not None and self.record:
                event = replace(event, cause=cause)
            self._log(side, event)
        for datagram in engine.pop_datagrams():
            self.sent_by_kind[datagram.kind] += 1
            self.bytes_sent += len(datagram.payload)
            # The record is written as it goes out, with the sender's state then;
            # the event names it.
            state = dict(engine.snapshot()) if self.record else None
            record_id = self._transmit(side, datagram, state)
            if self.record:
                self._log(side, DatagramSent(at=self.now, kind=datagram.kind, seq=datagram.seq,
                                             label=datagram.label, size=len(datagram.payload),
                                             record=record_id, cause=cause))

    def _transmit(self, side: Side, datagram: Outgoing, state: dict[str, object] | None) -> int:
        """Put ``datagram`` on the wire: write its record (with ``state``), return its id."""
        raise NotImplementedError

    def _log(self, side: Side, event: Event) -> None:
        if self.record:
            self.events[side].append(event)
        if self._listener is not None:
            self._listener(side, event)

    def _new_record(self, side: Side, datagram: Outgoing, *, copy_of: int | None = None,
                    sent_at: float | None = None,
                    state: dict[str, object] | None = None) -> int:
        record_id = self._next_id
        self._next_id += 1
        if self.record:
            self.wire.append(WireRecord(
                id=record_id, source=side, sent_at=self.now if sent_at is None else sent_at,
                payload=datagram.payload, kind=datagram.kind, seq=datagram.seq,
                label=datagram.label, fate="in_flight", copy_of=copy_of, state=state,
            ))
        return record_id

    def _settle(self, record_id: int, **changes: object) -> None:
        if self.record:
            self.wire[record_id] = replace(self.wire[record_id], **changes)  # type: ignore[arg-type]


# Heap entries: (time, order, what, side, payload, record id). ``order`` keeps
# things at the same instant first-scheduled-first and makes entries comparable.
_Arrival = Literal["arrive", "send", "stream"]
#: Orders of a stream's sends start here, below every other entry's (from 0):
#: at one instant they come first, as sends scheduled before the run would.
_STREAM_ORDER = -(1 << 62)


class VirtualNetwork(_Network):
    """Two engines on an impaired network, driven in virtual time.

    At one instant, arrivals and scheduled sends come first, in the order
    they were scheduled, then timers (A's before B's): a datagram that
    arrives exactly when a timer expires is in time.
    """

    def __init__(
        self,
        a: Engine,
        b: Engine,
        model: ImpairmentModel | None = None,
        *,
        start: float = 0.0,
        record: bool = True,
        listener: Listener | None = None,
    ) -> None:
        """``model=None`` is a perfect link without delay. ``record=False`` keeps
        neither ``wire`` nor ``events`` (long simulations); ``listener(side, event)``
        still sees every engine event (without its ``cause``, which only a kept
        event carries)."""
        super().__init__(a, b, start=start, record=record, listener=listener)
        self.model = model if model is not None else ImpairmentModel()
        self._queue: list[tuple[float, int, _Arrival, Side, bytes | str, int]] = []
        self._order = 0
        self._stream_order = _STREAM_ORDER
        self._streams: list[Iterator[tuple[float, Side, str]]] = []

    def schedule_send(self, side: Side, text: str, at: float) -> None:
        """``side``'s user will send ``text`` at virtual time ``at`` (a send pattern)."""
        check_side(side)
        if at < self.now:
            raise ValueError(voice.error("schedule_past", at=at, now=self.now))
        self._push(at, "send", side, text, -1)

    def schedule_sends(self, sends: Iterable[tuple[float, Side, str]]) -> None:
        """A send pattern of ``(at, side, text)`` in time order, taken as it comes.

        Only the next send of the pattern waits in the queue: a pattern of a
        million messages costs no memory and no heap depth up front. At one
        instant its sends come before any arrival, in the pattern's order, as
        if each had been given to ``schedule_send`` before the run.
        """
        stream = iter(sends)
        self._streams.append(stream)
        self._pull(len(self._streams) - 1, self.now)

    def _pull(self, index: int, earliest: float) -> None:
        """Queue the next send of stream ``index``, if it has one."""
        item = next(self._streams[index], None)
        if item is None:
            return
        at, side, text = item
        check_side(side)
        if at < earliest:
            raise ValueError(voice.error("pattern_order", text=voice.shown(text), at=at,
                                         earliest=earliest))
        heapq.heappush(self._queue, (at, self._stream_order, "stream", side, text, index))
        self._stream_order += 1

    def in_flight(self) -> int:
        """How many datagram copies are on their way."""
        return sum(1 for entry in self._queue if entry[2] == "arrive")

    def step(self) -> bool:
        """Do the earliest thing (an arrival, a scheduled send or a timer); False if quiet."""
        when = self._next_time()
        if when is None:
            return False
        self._do_next(when)
        return True

    def run(self, until: float | None = None, *, max_steps: int = 1_000_000) -> None:
        """Process everything in time order until quiet, or up to time ``until``.

        With ``until``, the clock ends at ``until`` even if the network went
        quiet earlier. Raises ``NetworkBusy`` after ``max_steps`` steps (an
        engine whose timer never stops, or a runaway resend storm).
        """
        for _ in range(max_steps):
            when = self._next_time()
            if when is None or (until is not None and when > until):
                break
            self._do_next(when)
        else:
            when = self._next_time()
            if when is not None and (until is None or when <= until):
                raise NetworkBusy(voice.error("network_busy", steps=max_steps,
                                              now=f"{self.now:.3f}"))
        if until is not None and until > self.now:
            self.now = until

    def _next_time(self) -> float | None:
        queued = self._queue[0][0] if self._queue else None
        timer = self.next_timer()
        if queued is None:
            return timer
        if timer is None:
            return queued
        return min(queued, timer)

    def _do_next(self, when: float) -> None:
        self.now = max(self.now, when)
        if self._queue and self._queue[0][0] <= when:
            _, _, what, side, item, record_id = heapq.heappop(self._queue)
            if what == "stream":
                assert isinstance(item, str)
                self._pull(record_id, self.now)  # its index: the next send waits its turn
                self.send(side, item)
            elif what == "send":
                assert isinstance(item, str)
                self.send(side, item)
            else:
                assert isinstance(item, bytes)
                self._settle(record_id, fate="delivered", arrived_at=self.now)
                self._hand_over(side, item, record_id)
        else:
            self._fire_timers()

    def _push(self, at: float, what: _Arrival, side: Side, item: bytes | str,
              record_id: int) -> None:
        heapq.heappush(self._queue, (at, self._order, what, side, item, record_id))
        self._order += 1

    def _transmit(self, side: Side, datagram: Outgoing, state: dict[str, object] | None) -> int:
        decision = self.model.decide(direction_from(side), self.now, len(datagram.payload))
        record_id = self._new_record(side, datagram, state=state)
        if decision.action == "drop":
            self._settle(record_id, fate="dropped", cause=decision.cause)
            return record_id
        destination = other(side)
        for copy, delay in enumerate(decision.delays):
            if copy == 0:
                copy_id = record_id
            else:
                copy_id = self._new_record(side, datagram, copy_of=record_id)
                self._settle(copy_id, cause=decision.cause)
                self._settle(record_id, cause=decision.cause)
            payload = datagram.payload
            flip = decision.flip(copy)
            if flip is not None:  # recorded where it happens: the bytes that will arrive
                payload = corrupted(payload, flip)
                self._settle(copy_id, received=payload)
            self._push(self.now + delay, "arrive", destination, payload, copy_id)
        return record_id


class ManualNetwork(_Network):
    """Every datagram waits in flight until the caller decides its fate.

    Time only moves when the caller says: a delivery takes ``transit``
    seconds (0.1 by default, so the chart's arrows slant), ``advance``
    lets time pass and ``advance_to_next_timer`` jumps to the earliest
    deadline. Timers that come due while time passes fire on the way, in
    order, before the delivery that needed the time; a timer due at the very
    instant of the arrival fires after it (the virtual network's rule: a
    datagram that arrives exactly when a timer expires is in time).
    """

    def __init__(self, a: Engine, b: Engine, *, start: float = 0.0,
                 transit: float = MANUAL_TRANSIT, rate: float | None = None,
                 listener: Listener | None = None) -> None:
        """``rate`` (bytes per second, None: none) makes each datagram take
        size/rate to leave its sender, queued behind the one before it in the
        same direction; a delivery then arrives ``transit`` after it has left."""
        if not transit >= 0.0:
            raise ValueError(voice.error("seconds", name="transit", value=voice.shown(transit)))
        super().__init__(a, b, start=start, record=True, listener=listener)
        self.transit = transit
        # The link's rate and queue live in the impairment model, as on the
        # virtual network; here it decides nothing else (a person does).
        self._link = ImpairmentModel(Impairment(rate=rate), record=False)
        self._in_flight: dict[int, tuple[Side, Outgoing]] = {}
        self._left_at: dict[int, float] = {}

    def in_flight(self) -> list[WireRecord]:
        """The datagrams waiting for a decision, oldest first."""
        return [self.wire[record_id] for record_id in sorted(self._in_flight)]

    def deliver(self, record_id: int) -> None:
        """Deliver datagram ``record_id`` after ``transit`` seconds."""
        side, _ = self._take(record_id)
        self._arrive(side, record_id)

    def drop(self, record_id: int) -> None:
        """Lose datagram ``record_id``; the clock does not move."""
        self._take(record_id)
        self._left_at.pop(record_id, None)
        self._settle(record_id, fate="dropped", cause="manual")

    def duplicate(self, record_id: int) -> int:
        """Deliver one copy now and keep another in flight; returns the copy's id."""
        side, datagram = self._take(record_id)
        sent_at = self.wire[record_id].sent_at
        copy_id = self._new_record(side, datagram, copy_of=record_id, sent_at=sent_at)
        self._settle(copy_id, cause="manual")
        self._settle(record_id, cause="manual")
        self._in_flight[copy_id] = (side, datagram)
        self._left_at[copy_id] = self._left_at.get(record_id, sent_at)
        self._arrive(side, record_id)
        return copy_id

    def corrupt(self, record_id: int, flip: Flip | None = None) -> None:
        """Deliver datagram ``record_id`` with one bit flipped on the way.

        ``flip`` is ``(byte offset, bit mask)``; by default the lowest bit of
        the last byte, which in a chat datagram is a letter of the text (so
        "hi" arrives as "hh"). The record keeps both the bytes sent and the
        bytes that arrived.
        """
        side, datagram = self._take(record_id)
        size = len(datagram.payload)
        offset, mask = (size - 1, 1) if flip is None else flip
        if not (isinstance(offset, int) and 0 <= offset < size
                and isinstance(mask, int) and 0 < mask < 256):
            self._in_flight[record_id] = (side, datagram)
            raise ValueError(voice.error("flip_range", last=size - 1, value=voice.shown(flip)))
        self._settle(record_id, cause="manual",
                     received=corrupted(datagram.payload, (offset, mask)))
        self._arrive(side, record_id)

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass, firing every timer that comes due on the way."""
        if not seconds >= 0.0:
            raise ValueError(voice.error("time_backwards", value=voice.shown(seconds)))
        end = self.now + seconds
        self._pass_time(end, including_end=True)

    def _pass_time(self, end: float, *, including_end: bool) -> None:
        """Fire the timers due before ``end`` (and at ``end`` if ``including_end``), in order."""
        # Bounded: each round fires at least one due timer or stops.
        for _ in range(1_000_000):
            deadline = self.next_timer()
            if deadline is None or deadline > end or (deadline == end and not including_end):
                break
            self.now = max(self.now, deadline)
            self._fire_timers()
        self.now = max(self.now, end)

    def advance_to_next_timer(self) -> bool:
        """Move the clock to the earliest deadline and fire it; False if none."""
        deadline = self.next_timer()
        if deadline is None:
            return False
        self.now = max(self.now, deadline)
        self._fire_timers()
        return True

    def _take(self, record_id: int) -> tuple[Side, Outgoing]:
        try:
            return self._in_flight.pop(record_id)
        except KeyError:
            raise ValueError(voice.error("not_in_flight", number=record_id)) from None

    def _arrive(self, side: Side, record_id: int) -> None:
        # The one timing rule: an arrival at a deadline's instant is in time.
        # Timers due strictly before the arrival fire on the way; the arrival
        # is handled next; a timer still due at that instant fires after it.
        left = self._left_at.pop(record_id, self.now)
        self._pass_time(max(self.now, left) + self.transit, including_end=False)
        self._settle(record_id, fate="delivered", arrived_at=self.now)
        record = self.wire[record_id]
        payload = record.payload if record.received is None else record.received
        self._hand_over(other(side), payload, record_id)
        self._fire_timers()

    def _transmit(self, side: Side, datagram: Outgoing, state: dict[str, object] | None) -> int:
        record_id = self._new_record(side, datagram, state=state)
        self._in_flight[record_id] = (side, datagram)
        leaving = self._link.decide(direction_from(side), self.now, len(datagram.payload))
        self._left_at[record_id] = self.now + (leaving.delays[0] if leaving.delays else 0.0)
        return record_id

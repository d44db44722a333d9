"""The chat lab's model: one conversation (two peers, a relay) and what it has shown so far.

``LabModel`` runs a conversation for one protocol and seed and keeps the
state a view draws: each panel's lines, each engine's latest counters, the
events, the relay's wire records. It is fed by events: the peers and the
relay call it back from their own threads (with their own lock held), and it
only records, under its lock, and bumps ``version``. A view reads a
consistent copy (``state()``) or waits for the next one (``changed_since``).
No widget here: the model is driven and tested without ipywidgets, and the
widget view (``labchat.notebook.lab``) only renders it.

The model speaks to a peer and to the relay only through the narrow
``Peer`` and ``Relay`` interfaces below, and a conversation is built by a
``SessionFactory``: ``LocalSession`` puts both peers and the relay on
127.0.0.1 in this process; a peer in another process or on another machine
needs only another factory, not another view.

Locks: the model's lock is always the innermost one. Nothing holding it calls
into a peer or the relay (they take their own locks, and their threads hold
those while they call the model back), so no lock-order deadlock is possible.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections import Counter, deque
from collections.abc import Callable, Mapping, MutableSequence, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, cast

from labchat import voice
from labchat.errors import LabchatError
from labchat.events import DatagramReceived, DatagramSent, Event
from labchat.protocols import (
    PROTOCOLS,
    ProtocolLike,
    create_engine,
    create_enveloped,
    resolve_protocol,
)
from labchat.protocols.base import Engine
from labchat.protocols.envelope import envelope_class
from labchat.protocols.mismatch import can_force_mismatch
from labchat.sim.channel import Direction, Impairment, ImpairmentModel
from labchat.trace import SIDES, Side, WireRecord, check_side, other
from labchat.udp.peer import UdpPeer, wait_until
from labchat.udp.relay import UdpRelay
from labchat.udp.sessions import check_secret, new_session
from labchat.udp.wirelog import WireLog

#: What a model keeps of each history by default: each panel's newest lines, each
#: engine's newest events, the newest wire records (the lab draws far fewer).
HISTORY = 1_000

LineKind = Literal["sent", "new", "resent", "rejected", "note", "error"]


@dataclass(frozen=True)
class Line:
    """One line of a chat panel, as its user sees it."""

    kind: LineKind
    text: str


def line_for(event: Event, me: str, peer: str) -> Line | None:
    """What a chat panel shows for one of its engine's events (None: nothing)."""
    words = voice.chat_line(event, voice.Speakers(me, peer))
    if words is None or words.chat is None:
        return None
    return Line(cast(LineKind, words.tone), words.chat)


# -- what the model needs of a peer, a relay, a conversation -----------------------------


class Peer(Protocol):
    """One chat peer as the lab uses it (``UdpPeer`` is one; a remote one may be another).

    ``subscribe``'s callback is called for every event of the peer, possibly
    from the peer's own thread with its lock held; ``wait_for`` checks its
    condition with the peer quiet (no step half-way).
    """

    def send(self, text: str) -> None: ...
    def force_mismatch(self) -> None: ...
    def subscribe(self, subscriber: Callable[[Event], None]) -> Callable[[], None]: ...
    def snapshot(self) -> dict[str, object]: ...
    def unfinished(self) -> int: ...
    def queued(self) -> int: ...
    def wait_for(self, condition: Callable[[], bool], timeout: float = 5.0) -> bool: ...
    def close(self) -> None: ...


class Relay(Protocol):
    """The impairing relay between the two peers, as the lab uses it."""

    def drop_next(self, direction: Direction) -> None: ...
    def set_impairment(self, direction: Direction, impairment: Impairment) -> None: ...
    def subscribe(self, subscriber: Callable[[WireRecord], None]) -> Callable[[], None]: ...
    def wait_for(self, condition: Callable[[], bool], timeout: float = 5.0) -> bool: ...
    def close(self) -> None: ...


class Session(Protocol):
    """One conversation: two peers and the relay, built but not yet talking."""

    @property
    def peers(self) -> Mapping[Side, Peer]: ...
    @property
    def relay(self) -> Relay: ...
    @property
    def origin(self) -> float:
        """The relay's clock when the conversation began (the chart's time zero)."""
        ...

    def start(self) -> None:
        """Let the peers talk (after the lab has subscribed to them)."""
        ...

    def close(self) -> None: ...


class SessionFactory(Protocol):
    """Builds a conversation: each side's engine class, a seed, the relay's first
    impairment, the lab's history bound (how many records the relay need keep;
    None: all), and the shared secret that authenticates its datagrams (or None)."""

    def __call__(self, engines: Mapping[Side, type[Engine]], seed: int,
                 impairment: Impairment, history: int | None, *,
                 secret: bytes | None = None) -> Session: ...


def authenticated(engines: Mapping[Side, type[Engine]]) -> bool:
    """Whether a secret can sign this conversation: both rungs take the envelope
    (the report's rung keeps the report's wire, a student's engine its own)."""
    return all(engines[side].enveloped for side in SIDES)


class LocalSession:
    """Both peers and the relay on 127.0.0.1, in this process, over real UDP.

    The relay keeps no more of its records and decisions than the lab keeps
    of its own (``history``): the lab draws its records, not the relay's, so
    a longer relay history would only hold memory (``None``: all of them).
    With a ``secret``, both engines run inside the session envelope with a MAC
    (``labchat.protocols.envelope``) when both can (``authenticated``).
    """

    def __init__(self, engines: Mapping[Side, type[Engine]], seed: int,
                 impairment: Impairment, history: int | None = None, *,
                 secret: bytes | None = None) -> None:
        self.peers: dict[Side, UdpPeer] = {}
        # One log for the three: each datagram's record is written by its sender.
        wire_log = WireLog()
        signed = secret is not None and authenticated(engines)
        try:
            for side in SIDES:
                engine = (create_enveloped(engines[side], new_session(), secret) if signed
                          else create_engine(engines[side]))
                self.peers[side] = UdpPeer(engine, name=f"lab-{side}", wire_log=wire_log)
            describe = envelope_class(engines["A"]).describe if signed else engines["A"].describe
            self.relay = UdpRelay(self.peers["A"].address, self.peers["B"].address,
                                  model=ImpairmentModel(impairment, seed=seed, keep=history),
                                  describe=describe, keep=history,
                                  name="lab-relay", wire_log=wire_log)
        except BaseException:
            self.close()
            raise
        self.origin = self.relay.now()

    def start(self) -> None:
        self.peers["A"].connect(self.relay.listen_a_address)
        self.peers["B"].connect(self.relay.listen_b_address)

    def close(self) -> None:
        if hasattr(self, "relay"):
            self.relay.close()
        for peer in self.peers.values():
            peer.close()


# -- the state a view draws -------------------------------------------------------------


@dataclass
class LabState:
    """What the peers' and relay's threads recorded (a copy, once out of the model)."""

    # The model's own state holds deques bounded by its ``history``; a copy holds lists.
    lines: dict[Side, MutableSequence[Line]] = field(default_factory=lambda: {"A": [], "B": []})
    snapshot: dict[Side, dict[str, object]] = field(default_factory=lambda: {"A": {}, "B": {}})
    #: Each engine's events, but the arrivals (the wire records say those).
    events: dict[Side, MutableSequence[Event]] = field(
        default_factory=lambda: {"A": [], "B": []})
    records: dict[int, WireRecord] = field(default_factory=dict)
    #: Datagrams each peer sent and received: with the records, they tell when all is quiet.
    sent: dict[Side, int] = field(default_factory=lambda: {"A": 0, "B": 0})
    received: dict[Side, int] = field(default_factory=lambda: {"A": 0, "B": 0})
    origin: float = 0.0
    #: Bumped by every change; never goes back, not even across a restart.
    version: int = 0

    #: The highest wire record id recorded (ids are dense: one log numbers them all).
    last_id: int = -1
    #: Wire records recorded but left out of this copy (the older ones).
    earlier_records: int = 0
    #: Each panel's lines recorded but left out of this copy (the older ones).
    earlier_lines: dict[Side, int] = field(default_factory=lambda: {"A": 0, "B": 0})
    #: Counted as records come, so quiet is known without rereading (or keeping) them
    #: all: each side's datagrams that reached the relay, copies the relay forwarded
    #: to it, and records still in flight.
    reached_relay: dict[Side, int] = field(default_factory=lambda: {"A": 0, "B": 0})
    forwarded: dict[Side, int] = field(default_factory=lambda: {"A": 0, "B": 0})
    in_flight: int = 0

    @classmethod
    def bounded(cls, history: int | None, version: int = 0) -> LabState:
        """An empty state whose lines, events and records keep the newest ``history``."""
        return cls(lines={side: deque(maxlen=history) for side in SIDES},
                   events={side: deque(maxlen=history) for side in SIDES}, version=version)

    def add_line(self, side: Side, line: Line) -> None:
        lines = self.lines[side]
        if isinstance(lines, deque) and len(lines) == lines.maxlen:
            self.earlier_lines[side] += 1  # the oldest falls out
        lines.append(line)

    def add_record(self, record: WireRecord, history: int | None) -> None:
        """Record (or update) ``record``; beyond ``history``, forget the oldest settled ones."""
        old = self.records.get(record.id)
        if old is not None:
            self._count(old, -1)
        self._count(record, 1)
        self.records[record.id] = record
        self.last_id = max(self.last_id, record.id)
        while history is not None and len(self.records) > history:
            oldest = next(iter(self.records))  # dicts keep insertion order
            if self.records[oldest].fate == "in_flight":
                break  # its update is still to come; it goes once settled
            del self.records[oldest]
            self.earlier_records += 1

    def _count(self, record: WireRecord, sign: int) -> None:
        if record.copy_of is None:
            self.reached_relay[record.source] += sign
        if record.fate == "delivered":
            self.forwarded[record.destination] += sign
        if record.fate == "in_flight":
            self.in_flight += sign

    def copy(self, *, records: int | None = None, lines: int | None = None) -> LabState:
        """A copy; with ``records``, only the newest that many wire records are copied,
        and only the events from the first of them on (what a chart of them draws);
        with ``lines``, only each panel's newest that many lines.

        That copy costs O(``records`` + ``lines``) whatever the history, since
        record ids are dense and each side's events are in time order.
        """
        shown: dict[Side, MutableSequence[Line]] = {
            side: _tail(self.lines[side], lines) for side in SIDES}
        events: dict[Side, MutableSequence[Event]]
        if records is None:
            kept, events = dict(self.records), {side: list(self.events[side]) for side in SIDES}
        else:
            ids = range(max(0, self.last_id - records + 1), self.last_id + 1)
            kept = {i: self.records[i] for i in ids if i in self.records}
            earliest = min((r.sent_at for r in kept.values()), default=None)
            events = {side: _since(self.events[side], earliest) for side in SIDES}
        return LabState(
            lines=shown,
            snapshot={side: dict(self.snapshot[side]) for side in SIDES},
            events=events, records=kept, sent=dict(self.sent), received=dict(self.received),
            reached_relay=dict(self.reached_relay), forwarded=dict(self.forwarded),
            in_flight=self.in_flight, origin=self.origin, version=self.version,
            last_id=self.last_id,
            earlier_records=self.earlier_records + len(self.records) - len(kept),
            earlier_lines={side: self.earlier_lines[side] + len(self.lines[side])
                           - len(shown[side]) for side in SIDES})

    def wire(self) -> list[WireRecord]:
        """The relay's records in id order (ids are the senders', shared by one log)."""
        return [self.records[key] for key in sorted(self.records)]


def _tail(items: MutableSequence[Line], count: int | None) -> list[Line]:
    """The newest ``count`` items (all if None), read from the end: O(``count``)."""
    if count is None:
        return list(items)
    return list(itertools.islice(reversed(items), count))[::-1]


def _since(events: MutableSequence[Event], earliest: float | None) -> list[Event]:
    """The events at or after ``earliest``, found from the newest back (time order)."""
    if earliest is None:
        return []
    newest_first = itertools.takewhile(lambda event: event.at >= earliest, reversed(events))
    return list(newest_first)[::-1]


class LabModel:
    """One chat conversation at a time and the state its view draws; no widgets.

    ``protocol`` is a rung's name, an engine class (a student's) or
    ``FILE.py:CLASS``; ``protocols`` adds more to the choices ``restart``
    takes by name; ``peer_protocol`` makes B run another engine for the
    whole session. ``restart`` replaces the conversation (new peers, new
    relay) for a new protocol or seed. ``connect`` builds each conversation
    (default: both peers and the relay here, over UDP on 127.0.0.1).

    ``history`` bounds what the model keeps: each panel's newest lines, each
    engine's newest events and the newest wire records, that many of each
    (a view draws only their tail, so memory stays flat however long the
    conversation). A notebook that wants every record of a long conversation
    (for ``records()``, ``summary()`` or a capture) passes ``history=None``.

    ``secret`` (at least 16 bytes; text is taken as UTF-8): every datagram of the
    ladder rungs carries a MAC and a packet number, so a forged or replayed
    one is a ``rejected`` event, never delivered. The report's rung and a
    student's engine keep their own wire: with them the secret signs nothing.
    """

    def __init__(self, protocol: ProtocolLike = "report", *, seed: int = 0,
                 names: tuple[str, str] = ("A", "B"),
                 peer_protocol: ProtocolLike | None = None,
                 protocols: Sequence[ProtocolLike] = (),
                 impairment: Impairment | None = None,
                 connect: SessionFactory = LocalSession,
                 history: int | None = HISTORY,
                 secret: bytes | str | None = None) -> None:
        if history is not None and history < 1:
            raise ValueError(voice.label("history_too_small", history=history))
        self.history = history
        self.secret = None if secret is None else check_secret(secret)
        chosen = resolve_protocol(protocol)  # a ValueError of one line if unknown
        #: The engine classes ``restart`` can choose by name: the rungs, then the extras.
        self.choices: dict[str, type[Engine]] = dict(PROTOCOLS)
        for extra in (*protocols, chosen):
            engine = resolve_protocol(extra)
            self.choices[engine.protocol] = engine
        self.peer_engine = None if peer_protocol is None else resolve_protocol(peer_protocol)
        self.protocol = chosen.protocol
        self.seed = seed
        self.names = names
        self.impairment = impairment or Impairment()
        self._connect = connect
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._state = LabState.bounded(history)
        # Which conversation is current: set before its peers start, so what
        # reaches them while it is being built is already the lab's.
        self._generation = 0
        self._closed = False
        self._session = self._new_session()

    # -- the conversation ------------------------------------------------------------

    @property
    def session(self) -> Session:
        return self._session

    def peer(self, side: Side) -> Peer:
        return self._session.peers[check_side(side)]

    @property
    def relay(self) -> Relay:
        return self._session.relay

    def engines(self) -> dict[Side, type[Engine]]:
        """The engine class on each side (B's may be fixed by ``peer_protocol``)."""
        chosen = self.choices[self.protocol]
        return {"A": chosen, "B": chosen if self.peer_engine is None else self.peer_engine}

    def can_force_mismatch(self, side: Side) -> bool:
        """Whether ``side``'s engine carries a count to falsify (only the report's rung)."""
        return can_force_mismatch(self.engines()[check_side(side)])

    def send(self, side: Side, text: str) -> None:
        """``side`` sends ``text``; a refusal (too long, closed) becomes an error line."""
        side = check_side(side)
        try:
            self._session.peers[side].send(text)
        except (LabchatError, RuntimeError) as error:
            self._add_line(side, Line("error", voice.label("not_sent", error=error)))

    def drop_next(self, direction: Direction) -> None:
        """The relay drops the next datagram going ``direction`` ("A->B" or "B->A")."""
        self._session.relay.drop_next(direction)

    def force_mismatch(self, side: Side) -> None:
        """The report's test: ``side``'s next datagram carries a wrong count."""
        side = check_side(side)
        try:
            self._session.peers[side].force_mismatch()
        except LabchatError as error:
            self._add_line(side, Line("error", voice.label("cannot_mismatch", error=error)))

    def set_impairment(self, impairment: Impairment) -> None:
        """Both directions' impairment from now on (and in every later conversation)."""
        self.impairment = impairment
        if self._closed:
            return
        for direction in ("A->B", "B->A"):
            self._session.relay.set_impairment(direction, impairment)

    def restart(self, *, protocol: str | None = None, seed: int | None = None) -> None:
        """A fresh conversation (new peers and relay), for a new protocol or seed.

        ``protocol`` is the name of one of ``choices``.
        """
        if protocol is not None and protocol not in self.choices:
            raise KeyError(protocol)
        if self._closed:
            return
        self.protocol = protocol if protocol is not None else self.protocol
        self.seed = seed if seed is not None else self.seed
        self._session.close()
        with self._changed:
            self._state = LabState.bounded(self.history, version=self._state.version + 1)
            self._generation += 1
            self._changed.notify_all()
        self._session = self._new_session()

    def wait_until_quiet(self, timeout: float = 5.0) -> bool:
        """Block until nothing is on its way; bounded by ``timeout`` seconds.

        Quiet means: every datagram a peer sent reached the relay, every copy
        the relay forwarded reached its peer, nothing waits in the relay's
        delay queue, and no engine has unacknowledged messages.
        """
        session = self._session
        relay, a, b = session.relay, session.peers["A"], session.peers["B"]

        def settled() -> bool:
            # All three locks held (relay, then A, then B; nobody takes them in
            # another order), so no thread is half-way through a step and the
            # state they fed us is complete.
            return relay.wait_for(
                lambda: a.wait_for(lambda: b.wait_for(lambda: self._quiet(session), 0), 0), 0)

        return wait_until(settled, timeout)

    # -- what a view reads -------------------------------------------------------------

    @property
    def version(self) -> int:
        with self._lock:
            return self._state.version

    def state(self, *, records: int | None = None, lines: int | None = None) -> LabState:
        """A consistent copy of everything recorded so far.

        ``records``: only the newest that many wire records and the events
        from the first of them on, a copy whose cost does not grow with the
        history (what a chart of the last ``records`` datagrams needs);
        ``lines``: only each panel's newest that many lines.
        """
        with self._lock:
            return self._state.copy(records=records, lines=lines)

    def changed_since(self, version: int, timeout: float, *,
                      records: int | None = None,
                      lines: int | None = None) -> LabState | None:
        """A copy once the state's version is not ``version``; None on timeout or close.

        ``records``, ``lines``: copy only the newest ones (see ``LabState.copy``).
        """
        with self._changed:
            if not self._changed.wait_for(
                    lambda: self._closed or self._state.version != version, timeout):
                return None
            return None if self._closed else self._state.copy(records=records, lines=lines)

    def summary(self) -> str:
        """Deterministic text: protocol, each panel's counters and lines, the wire."""
        state = self.state()
        records = state.wire()
        peer = None if self.peer_engine is None else (self.names[1], self.peer_engine.protocol)
        out = [voice.lab_heading(self.protocol, self.seed, peer)]
        for side, name in zip(SIDES, self.names, strict=True):
            out.append(f"{name}: {voice.format_state(state.snapshot[side])}")
            out.extend(f"  {voice.tone_tag(line.kind)} {line.text}" for line in state.lines[side])
        for side in SIDES:
            sent = [r for r in records if r.source == side]
            kinds = Counter(r.kind for r in sent if r.copy_of is None)
            out.append(voice.wire_direction(side, other(side), len(sent), kinds,
                                            sum(r.fate == "dropped" for r in sent),
                                            sum(r.copy_of is not None for r in sent)))
        return "\n".join(out)

    def records(self) -> list[WireRecord]:
        """What crossed the relay so far, as the senders recorded it (kind, seq, state)."""
        with self._lock:
            return self._state.wire()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop the conversation (its peers, its relay); wakes whoever waits for a change."""
        if self._closed:
            return
        self._closed = True
        self._session.close()
        with self._changed:
            self._changed.notify_all()

    def __enter__(self) -> LabModel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"LabModel(protocol={self.protocol!r}, names={self.names!r}) {state}"

    # -- internals ---------------------------------------------------------------------

    def _new_session(self) -> Session:
        session = self._connect(self.engines(), self.seed, self.impairment, self.history,
                                secret=self.secret)
        generation = self._generation
        try:
            for side in SIDES:
                peer = session.peers[side]
                peer.subscribe(functools.partial(self._on_event, generation, side, peer))
            session.relay.subscribe(functools.partial(self._on_record, generation))
            session.start()
            # Each peer takes its own lock to snapshot: never ask it while holding
            # the lab's, since its thread may hold its lock and be waiting for ours.
            snapshots = {side: session.peers[side].snapshot() for side in SIDES}
        except BaseException:
            session.close()
            raise
        with self._changed:
            self._state.origin = session.origin
            for side in SIDES:  # an event may already have brought a newer one
                if not self._state.snapshot[side]:
                    self._state.snapshot[side] = snapshots[side]
            self._state.version += 1
            self._changed.notify_all()
        return session

    def _add_line(self, side: Side, line: Line) -> None:
        with self._changed:
            self._state.add_line(side, line)
            self._state.version += 1
            self._changed.notify_all()

    def _on_event(self, generation: int, side: Side, peer: Peer, event: Event) -> None:
        # Called by the peer, possibly with its lock held: asking it for its
        # state is safe here (its lock is re-entrant), and the lab's lock is
        # taken only after, never around, that call.
        snapshot = peer.snapshot()
        me, other = (self.names if side == "A" else self.names[::-1])
        line = line_for(event, me, other)
        with self._changed:
            if generation != self._generation and not self._closed:
                return  # an event of a conversation already replaced
            state = self._state
            state.snapshot[side] = snapshot
            if isinstance(event, DatagramReceived):
                state.received[side] += 1
            else:
                state.events[side].append(event)
            if isinstance(event, DatagramSent):
                state.sent[side] += 1
            if line is not None:
                state.add_line(side, line)
            state.version += 1
            self._changed.notify_all()

    def _on_record(self, generation: int, record: WireRecord) -> None:
        with self._changed:
            if generation != self._generation and not self._closed:
                return
            self._state.add_record(record, self.history)
            self._state.version += 1
            self._changed.notify_all()

    def _quiet(self, session: Session) -> bool:
        with self._lock:
            if session is not self._session and not self._closed:
                return False
            state = self._state
            if state.in_flight:
                return False
            for side in SIDES:
                if (state.sent[side] != state.reached_relay[side]
                        or state.received[side] != state.forwarded[side]):
                    return False
        # Outside the lab's lock: each peer takes its own to answer.
        return all(peer.unfinished() == 0 for peer in session.peers.values())

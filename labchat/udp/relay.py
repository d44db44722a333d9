"""A real UDP middlebox that impairs traffic between two peers, both ways.

Each peer sees the relay as its peer: A sends to ``listen_a_address``, and
what arrives there leaves the ``listen_b`` socket towards ``b``; B sends to
``listen_b_address`` and its datagrams leave the ``listen_a`` socket towards
``a``. Every datagram gets a decision from the ``ImpairmentModel`` (deliver,
drop, duplicate, delay); delayed copies wait in a heap and go out when due.

One thread serves both sockets with ``selectors``; it sleeps until the next
datagram is due, but never longer than ``POLL_INTERVAL``, so ``close()`` is
noticed quickly. The relay forwards bytes and never parses them; operating-
system errors are recorded, never raised in the thread, and the thread never
prints.

Labels: given the ``WireLog`` its peers write into (one process, as in the
chat lab), the relay's record of a datagram is the sender's own: same id,
kind, seq, label and the sender's state as it sent it, claimed by source
address and payload (see ``labchat.udp.wirelog``). Records the sender wrote
that never reached the relay become "dropped" records with cause "lost
before the relay"; a datagram matching no record is labelled by ``describe``
and noted in ``errors``. Copies the relay sends out are written to the log
too, so the receiving peer knows which record it got. Without a log (the
CLI relay between processes) ``describe`` labels each datagram from its bytes.

Records: ``sent_at`` is when the relay received the datagram, ``fate``
becomes "delivered" when the relay sent it on (``arrived_at`` is that time;
the relay cannot see the peer's socket), or "dropped" with the cause.

Only its two peers are heard: a datagram reaching ``listen_a`` from anywhere
but ``a`` (host and port) is not forwarded, and likewise for ``b``, so a
stranger cannot speak through the relay with the relay's address as its
mask. ``any_port=True`` accepts any port of the peer's host (the report's
own client resends from a fresh socket each time), ``accept_from_anyone=True``
forwards everything, as a plain middlebox would. Strangers are counted in
``strangers`` and floods summarised in ``errors`` (``labchat.udp.noise``).

Memory is bounded: ``wire`` keeps at least the last ``keep`` records (between
``keep`` and twice as many; ``keep=None`` keeps all), the decisions of a
model it makes itself likewise (a model passed in keeps what its own ``keep``
says), ``errors`` the last ``KEEP_ERRORS`` (or up to twice as many), and once a datagram has gone
on (or is dropped) its record keeps only the first ``STORED_BYTES`` of it
unless ``keep_payloads`` (a capture needs them whole): a 65,507-byte datagram
costs the relay 65,507 bytes only while it waits to be sent.
"""

from __future__ import annotations

import heapq
import itertools
import selectors
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

from labchat import voice
from labchat.events import preview_of
from labchat.protocols.base import Outgoing
from labchat.sim.channel import Decision, Direction, Impairment, ImpairmentModel, corrupted
from labchat.trace import Fate, Side, WireRecord
from labchat.udp.noise import NoiseLimiter
from labchat.udp.peer import RECEIVE_BUFFER, Address, Listen, bound_socket, format_address
from labchat.udp.wirelog import SentDatagram, WireLog
from labchat.udp.worker import POLL_INTERVAL, Worker

#: Records (and decisions) kept at least, by default.
KEEP = 10_000
#: Errors kept (the newest).
KEEP_ERRORS = 1_000
#: Bytes of a forwarded datagram its record keeps: every labchat datagram
#: (1024 bytes and the envelope's header) fits whole.
STORED_BYTES = 1100


def describe_bytes(payload: bytes) -> Outgoing:
    """The default label of a datagram the relay knows no protocol for."""
    return Outgoing(payload, "data", None, preview_of(payload))


class UdpRelay(Worker[WireRecord]):
    """Forward datagrams between peer ``a`` and peer ``b`` through an impairment model.

    ``listen_a`` and ``listen_b`` are addresses to bind, or bound UDP sockets
    the relay adopts (and closes when it closes).
    """

    def __init__(
        self,
        a: Address,
        b: Address,
        *,
        listen_a: Listen = ("127.0.0.1", 0),
        listen_b: Listen = ("127.0.0.1", 0),
        model: ImpairmentModel | None = None,
        describe: Callable[[bytes], Outgoing] | None = None,
        clock: Callable[[], float] = time.monotonic,
        name: str = "relay",
        wire_log: WireLog | None = None,
        accept_from_anyone: bool = False,
        any_port: bool = False,
        keep: int | None = KEEP,
        keep_payloads: bool = False,
    ) -> None:
        self.a = a
        self.b = b
        super().__init__(name)
        # Its own model keeps as many decisions as the relay keeps records.
        self.model = model if model is not None else ImpairmentModel(keep=keep)
        self.accept_from_anyone = accept_from_anyone
        self.any_port = any_port
        self.keep = keep
        self.keep_payloads = keep_payloads
        self.wire: list[WireRecord] = []
        self.errors: list[str] = []  # oldest first, the newest KEEP_ERRORS or more
        self.fates: Counter[str] = Counter()  # every record's final fate, kept or not
        self.strangers = 0  # datagrams not forwarded: not from the peer of their socket
        self._noise = NoiseLimiter()
        self._describe = describe if describe is not None else describe_bytes
        self._wire_log = wire_log
        self._next_id = wire_log.next_id if wire_log is not None else itertools.count().__next__
        self._index: dict[int, int] = {}  # record id -> its place in ``wire``
        self._clock = clock
        # Due copies: (due time, order, record id). The order breaks ties FIFO.
        self._due: list[tuple[float, int, int]] = []
        self._order = 0
        self._sockets: dict[Side, socket.socket] = {}
        try:
            binds: tuple[tuple[Side, Listen], ...] = (("A", listen_a), ("B", listen_b))
            for side, bind in binds:
                self._sockets[side] = bound_socket(bind)
                self._sockets[side].setblocking(False)
        except OSError:
            for sock in self._sockets.values():
                sock.close()
            for bind in (listen_a, listen_b):  # handed over: ours to close, bound or not yet
                if isinstance(bind, socket.socket):
                    bind.close()
            raise
        self.listen_a_address: Address = self._sockets["A"].getsockname()
        self.listen_b_address: Address = self._sockets["B"].getsockname()
        self._listening: dict[Side, Address] = {"A": self.listen_a_address,
                                                "B": self.listen_b_address}
        self._selector = selectors.DefaultSelector()
        for side, sock in self._sockets.items():
            self._selector.register(sock, selectors.EVENT_READ, side)
        self._start()

    # -- any thread --------------------------------------------------------------------

    def now(self) -> float:
        """The relay's clock (the time base of records and of ``model.outage``)."""
        return self._clock()

    # The impairment model takes no lock of its own (it is pure): every call
    # into it from any thread goes through these, under the relay's lock.

    def outage(self, seconds: float, direction: Direction | None = None) -> None:
        """Drop everything for the next ``seconds`` (one way, or both when None)."""
        with self._lock:
            start = self._clock()
            self.model.outage(start, start + seconds, direction)

    def drop_next(self, direction: Direction) -> None:
        """Drop the next datagram going ``direction`` ("A->B" or "B->A")."""
        with self._lock:
            self.model.drop_next(direction)

    def set_impairment(self, direction: Direction, impairment: Impairment) -> None:
        """Change one direction's impairment from now on."""
        with self._lock:
            self.model.set_impairment(direction, impairment)

    def decisions(self) -> list[Decision]:
        """A copy of the decisions the model has kept (see ``decided``)."""
        with self._lock:
            return self.model.recorded()

    def decided(self) -> int:
        """How many decisions the model has made, kept or not."""
        with self._lock:
            return self.model.count("A->B") + self.model.count("B->A")

    def records(self) -> list[WireRecord]:
        """A snapshot of ``wire`` (safe while the relay thread works)."""
        with self._lock:
            return list(self.wire)

    def close(self) -> None:
        """Stop and join the thread, close both sockets; safe to call twice.

        Copies still waiting for their delay are never sent: their records
        end as dropped with cause "relay closed".
        """
        if not self._stop_thread():
            return
        with self._lock:
            for _, _, record_id in self._due:
                self._update(record_id, fate="dropped", cause="relay closed")
            self._due.clear()
        self._selector.close()
        for sock in self._sockets.values():
            sock.close()
        self._closed_for_good()

    def __enter__(self) -> UdpRelay:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return (f"<UdpRelay {format_address(self.listen_a_address)} -> {format_address(self.b)}, "
                f"{format_address(self.listen_b_address)} -> {format_address(self.a)} {state}>")

    # -- the relay thread -------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                due = self._due[0][0] if self._due else None
            wait = POLL_INTERVAL
            if due is not None:
                wait = min(wait, max(0.0, due - self._clock()))
            try:
                ready = self._selector.select(wait)
            except OSError as error:  # e.g. the selector closed under us
                self._error(f"select failed: {error}")
                self._stop.wait(POLL_INTERVAL)
                continue
            try:
                for key, _ in ready:
                    self._receive(key.data)
                self._send_due()
                with self._lock:
                    for summary in self._noise.due(self._clock()):
                        self._error(voice.relay_ignored(summary.datagrams, summary.source,
                                                       summary.seconds))
            except Exception as error:  # a labchat bug (or a broken describe): keep relaying
                self._error(voice.error("relay_error", error=repr(error)))

    def _receive(self, side: Side) -> None:
        # Drain what is waiting, but a bounded amount, so due copies still go out.
        for _ in range(64):
            try:
                payload, source = self._sockets[side].recvfrom(RECEIVE_BUFFER)
            except BlockingIOError:
                return
            except OSError as error:
                self._error(voice.error("receive_failed", side=side, error=error))
                return
            sender = (source[0], source[1])
            if self._from_peer(side, sender):
                self._forward(side, payload, sender)
            else:
                self._stranger(side, sender)

    def _from_peer(self, side: Side, source: Address) -> bool:
        if self.accept_from_anyone:
            return True
        host, port = self.a if side == "A" else self.b
        return source[0] == host and (source[1] == port or self.any_port)

    def _stranger(self, side: Side, source: Address) -> None:
        with self._lock:
            self.strangers += 1
            if self._noise.admit(source, "stranger", self._clock()):
                self._error(voice.error("not_that_peer", source=format_address(source),
                                        side=side))

    def _sender_record(self, side: Side, payload: bytes, source: Address,
                       now: float) -> tuple[WireRecord, list[WireRecord]]:
        """The record of what arrived, as its sender wrote it if it shares our log."""
        lost: list[WireRecord] = []
        if self._wire_log is not None:
            claim = self._wire_log.claim(source, payload)
            lost = [_record(side, sent, now, fate="dropped", cause="lost before the relay")
                    for sent in claim.lost]
            if claim.record is not None:
                return _record(side, claim.record, now), lost
            self._error(voice.error("no_record", source=format_address(source)))
        try:
            meaning = self._describe(payload)
        except Exception as error:  # labels are for display: never lose the datagram over one
            self._error(f"describe failed: {error!r}")
            meaning = describe_bytes(payload)
        return WireRecord(id=self._next_id(), source=side, sent_at=now, payload=payload,
                          kind=meaning.kind, seq=meaning.seq, label=meaning.label,
                          fate="in_flight"), lost

    def _forward(self, side: Side, payload: bytes, source: Address) -> None:
        now = self._clock()
        record, lost = self._sender_record(side, payload, source, now)
        with self._lock:
            for gone in lost:
                self._add(gone)
            decision = self.model.decide("A->B" if side == "A" else "B->A", now, len(payload))
            record_id = self._add(record)
            if decision.action == "drop":
                self._update(record_id, fate="dropped", cause=decision.cause)
                return
            for copy, delay in enumerate(decision.delays):
                copy_id = record_id
                if copy > 0:
                    self._update(record_id, cause=decision.cause)
                    # A copy the network made: its sender did nothing, so no state.
                    copy_id = self._add(replace(self._get(record_id), id=self._next_id(),
                                                copy_of=record_id, state=None))
                flip = decision.flip(copy)
                if flip is not None:
                    self._update(copy_id, received=corrupted(payload, flip))
                heapq.heappush(self._due, (now + delay, self._order, copy_id))
                self._order += 1
        self._send_due()

    def _send_due(self) -> None:
        with self._lock:
            while self._due and self._due[0][0] <= self._clock():
                _, _, record_id = heapq.heappop(self._due)
                record = self._get(record_id)
                # Out of the socket facing the destination, so it sees the relay.
                destination = self.b if record.source == "A" else self.a
                sock = self._sockets[record.destination]
                # What leaves: the bytes as sent, or as the network corrupted them.
                out = record.payload if record.received is None else record.received
                if self._wire_log is not None:
                    # Before it exists, so the receiving peer can claim its record.
                    self._wire_log.write(self._listening[record.destination], SentDatagram(
                        id=record.id, payload=out, kind=record.kind, seq=record.seq,
                        label=record.label, sent_at=self._clock(), state=record.state))
                try:
                    sock.sendto(out, destination)
                except OSError as error:
                    self._error(voice.error("send_to_failed",
                                            destination=format_address(destination),
                                            error=error))
                    self._update(record_id, fate="dropped", cause=f"send failed: {error}")
                    continue
                self._update(record_id, fate="delivered", arrived_at=self._clock())

    # -- helpers (lock held) -----------------------------------------------------------

    def _add(self, record: WireRecord) -> int:
        self._index[record.id] = len(self.wire)
        self.wire.append(record)
        if record.fate != "in_flight":
            self.fates[record.fate] += 1
        self._publish(record)
        self._forget_old()
        return record.id

    def _forget_old(self) -> None:
        """Keep between ``keep`` and ``2 * keep`` records, never one still waiting to go."""
        if self.keep is None or len(self.wire) < 2 * self.keep:
            return
        waiting = {record_id for _, _, record_id in self._due}
        cut = len(self.wire) - self.keep
        for position in range(cut):
            if self.wire[position].id in waiting:
                cut = position
                break
        del self.wire[:cut]
        self._index = {record.id: position for position, record in enumerate(self.wire)}

    def _get(self, record_id: int) -> WireRecord:
        return self.wire[self._index[record_id]]

    def _update(self, record_id: int, **changes: object) -> None:
        record = replace(self._get(record_id), **changes)  # type: ignore[arg-type]
        if "fate" in changes:
            self.fates[record.fate] += 1
            if not self.keep_payloads:  # it has gone (or never will): a label's worth is enough
                record = replace(record, payload=record.payload[:STORED_BYTES])
        self.wire[self._index[record_id]] = record
        self._publish(record)

    def _publish(self, record: WireRecord) -> None:
        self._notify(record)

    def _error(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)
            if len(self.errors) >= 2 * KEEP_ERRORS:
                del self.errors[:-KEEP_ERRORS]
            self._changed.notify_all()


def _record(side: Side, sent: SentDatagram, now: float, *, fate: Fate = "in_flight",
            cause: str = "") -> WireRecord:
    """The relay's record of a datagram its sender recorded as ``sent``."""
    return WireRecord(id=sent.id, source=side, sent_at=now, payload=sent.payload, kind=sent.kind,
                      seq=sent.seq, label=sent.label, fate=fate, cause=cause, state=sent.state)

"""Real UDP for an engine: one socket, one receive thread, one lock.

``UdpPeer`` is the only place where an engine meets sockets, threads and the
clock. Its thread waits on the socket (a selector) with a timeout no later
than the engine's next deadline, so timers fire on time and ``close()`` is
noticed within one poll interval (a blocked wait is not woken by closing the
socket from another thread). Every call into the engine holds the peer's
lock. Events go to ``history`` and to subscribers; the thread never prints.
Every datagram sent or received is also kept, bytes and all, in ``captured``
(at the moment it crossed the socket), for ``save_pcap``.

Each datagram it sends gets a record id, named by its ``DatagramSent``. Given
a shared ``WireLog`` (peers and relay in one process, as in the chat lab),
the peer also writes the record there just before ``sendto`` (payload, kind,
seq, label and the engine's state then), and claims the record of each
datagram it receives from the log, so ``DatagramReceived.record`` and the
``cause`` of the events that arrival produced name the record delivered.
Without a log (a peer talking to another process) received datagrams have no
known record.

Only the partner is heard: a datagram from any other address is not given
to the engine but shown as a ``stranger`` event (source included). The
partner is ``peer_address``, host and port, except on a rung whose partner
resends from fresh ports (``Engine.partner_changes_port``: the report's own
client opens a new socket for each resend), where any port of the partner's
host is the partner. ``accept_from_anyone=True`` turns the check off, to show
the attack it stops. Floods are summarised (``labchat.udp.noise``): the first
few rejected or stranger datagrams of a burst from one host are events, the
rest one ``flood`` event with the count (their arrivals are not shown either;
``received`` counts every datagram from the partner).

Memory is bounded: ``history`` and ``captured`` keep the last ``keep`` items
(``keep=None`` keeps everything, for a notebook that wants it all), and
``count(name)`` still counts every event ever published.

Subscribers are called with the lock held, from whichever thread produced the
event: keep them short, and never make them wait for another peer.

Cost per wake-up, not per datagram: the socket is non-blocking and watched
by a selector, so each wake of the thread reads every datagram waiting (up
to ``MAX_BATCH``), hands them to the engine in order as one batch (an engine
that sends selective ACKs answers the batch with one), sends what it
produced, and wakes ``wait_for`` callers once. Events are counted by name as they are
published, so ``wait_for_events`` never rescans the history. The receive
buffer is asked to hold a full window of datagrams both ways
(``SO_RCVBUF``; the kernel may grant less, see ``receive_buffer``), since a
window the buffer cannot hold overflows and turns into a burst of resends.
"""

from __future__ import annotations

import itertools
import selectors
import socket
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TypeAlias

from labchat import voice
from labchat.events import (
    DatagramReceived,
    DatagramRejected,
    DatagramSent,
    EngineFailed,
    Event,
    StrangerIgnored,
    TransportFailed,
    preview_of,
)
from labchat.pcap import Packet, describe_interface, write_pcapng
from labchat.protocols.base import Engine
from labchat.protocols.mismatch import force_mismatch
from labchat.udp.noise import NoiseLimiter
from labchat.udp.wirelog import SentDatagram, WireLog
from labchat.udp.worker import POLL_INTERVAL, Worker

Address: TypeAlias = tuple[str, int]
#: Where a socket listens: an address to bind, or a UDP socket already bound
#: (handed over by whoever started the process; see ``parse_listen``).
Listen: TypeAlias = Address | socket.socket

#: Larger than any limit an engine enforces, so an oversized datagram is
#: seen whole and rejected visibly instead of being cut by the kernel.
RECEIVE_BUFFER = 65535
#: Events and captured datagrams a peer keeps by default (the newest).
KEEP = 10_000
#: The most datagrams one wake-up reads before it looks at timers and the stop flag.
MAX_BATCH = 256
#: What the kernel charges a small datagram in a socket buffer, its bookkeeping
#: included: measured on Linux loopback at about 800 bytes, rounded up.
DATAGRAM_CHARGE = 1280
#: The longest a send waits for room in a full send buffer before it fails visibly.
SEND_WAIT = 1.0


def parse_address(text: str) -> Address:
    """``"127.0.0.1:5000"`` -> ``("127.0.0.1", 5000)``, with a clear error."""
    host, colon, port = text.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(voice.error("address", text=voice.shown(text)))
    return host, int(port)


#: How a listen flag names an inherited socket: ``fd:N``, systemd's socket-activation idea.
INHERITED = "fd:"


def parse_listen(text: str) -> Listen:
    """``HOST:PORT`` to bind, or ``fd:N``: the bound UDP socket inherited on descriptor N.

    A parent that binds port 0, reads the port back and passes the socket on
    knows the port before the child starts, and no other process can take it
    in between (as it could if the parent closed its socket and the child
    bound the number again).
    """
    if text.startswith(INHERITED):
        return inherited_socket(text[len(INHERITED):])
    return parse_address(text)


def inherited_socket(number: str) -> socket.socket:
    """The bound IPv4 UDP socket open on descriptor ``number``, with a clear error if not."""
    not_a_number = ValueError(voice.error("fd_number", text=voice.shown(INHERITED + number)))
    try:
        descriptor = int(number) if number.isdigit() else -1  # "²" is a digit int() refuses
    except ValueError:
        descriptor = -1
    if descriptor < 0:
        raise not_a_number
    try:
        sock = socket.socket(fileno=descriptor)
    except (OverflowError, ValueError):  # beyond any descriptor the system can have
        raise not_a_number from None
    except OSError as error:  # not open (EBADF), or not a socket (ENOTSOCK)
        raise ValueError(voice.error("fd_not_socket", fd=descriptor,
                                     reason=error.strerror or error)) from None
    try:
        if sock.family != socket.AF_INET or sock.type != socket.SOCK_DGRAM:
            raise ValueError(voice.error("fd_not_udp", fd=descriptor))
        if sock.getsockname()[1] == 0:
            raise ValueError(voice.error("fd_not_bound", fd=descriptor))
    except ValueError:
        sock.detach()  # not ours to close: we refuse it and leave it as it was
        raise
    return sock


def describe_listen(listen: Listen) -> str:
    """Where ``listen`` listens, for a message: the address, or the socket's address."""
    if isinstance(listen, socket.socket):
        return format_address(listen.getsockname())
    return format_address(listen)


def bound_socket(listen: Listen) -> socket.socket:
    """A UDP socket bound as ``listen`` says: the handed-over one itself, or a new one bound."""
    if isinstance(listen, socket.socket):
        return listen
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(listen)
    except OSError:
        sock.close()
        raise
    return sock


def format_address(address: Address) -> str:
    return f"{address[0]}:{address[1]}"


def numeric_address(address: Address) -> Address:
    """``address`` with its host as an IPv4 literal (``localhost`` -> ``127.0.0.1``)."""
    return socket.gethostbyname(address[0]), address[1]


def wall_clock_offset() -> float:
    """What to add to a ``time.monotonic()`` reading to get seconds since the epoch."""
    return time.time() - time.monotonic()


class UdpPeer(Worker[Event]):
    """Run ``engine`` on a UDP socket bound to ``bind``, talking to ``peer``.

    Binding port 0 (the default) lets the system choose a free port; read it
    back from ``address``. ``bind`` may instead be a bound UDP socket, which
    the peer adopts (and closes when it closes), as if it had bound it. The
    peer address may be given later with ``connect()``, so two peers can bind
    first and then point at each other.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        peer: Address | None = None,
        bind: Listen = ("127.0.0.1", 0),
        name: str = "peer",
        clock: Callable[[], float] = time.monotonic,
        wire_log: WireLog | None = None,
        accept_from_anyone: bool = False,
        keep: int | None = KEEP,
        subscribers: Iterable[Callable[[Event], None]] = (),
    ) -> None:
        """``wire_log``: shared with the relay (and the other peer) of one process;
        ``accept_from_anyone``: give the engine datagrams from any address (to show
        the attack); ``keep``: how many events and datagrams to remember (None: all);
        ``subscribers``: given every event from the first, before the thread starts
        (a handed-over socket may already hold datagrams)."""
        self.engine = engine
        self._wire_log = wire_log
        # Record ids: the shared log's when there is one, so they are unique in the lab.
        self._next_id = wire_log.next_id if wire_log is not None else itertools.count().__next__
        super().__init__(name, subscribers)
        self.peer_address = peer
        self.accept_from_anyone = accept_from_anyone
        self._partner = None if peer is None else _numeric_or_same(peer)
        self.history: deque[Event] = deque(maxlen=keep)
        self.captured: deque[Packet] = deque(maxlen=keep)  # datagrams that crossed the socket
        self._noise = NoiseLimiter()
        self.received = 0  # datagrams from the partner given to the engine, shown or not
        self._clock = clock
        self._counts: Counter[str] = Counter()  # events published so far, by name
        self._socket = bound_socket(bind)
        try:
            self.receive_buffer = fit_receive_buffer(self._socket, engine)
            self._socket.setblocking(False)
        except OSError:
            self._socket.close()
            raise
        self._readable = selectors.DefaultSelector()
        self._readable.register(self._socket, selectors.EVENT_READ)
        self._writable = selectors.DefaultSelector()
        self._writable.register(self._socket, selectors.EVENT_WRITE)
        self.address: Address = self._socket.getsockname()
        self._start()

    # -- the user's side (any thread) ---------------------------------------------

    def connect(self, peer: Address) -> None:
        """Send to ``peer`` from now on, and hear only it."""
        partner = _numeric_or_same(peer)
        with self._lock:
            self.peer_address = peer
            self._partner = partner

    def send(self, text: str) -> None:
        """Send a chat message; local errors (too long, closed) are raised here."""
        with self._lock:
            self._check_usable()
            self.engine.send_message(text, self._clock())
            self._flush()
            self._wake()

    def force_mismatch(self) -> None:
        """The report's test: the next datagram carries a wrong count."""
        with self._lock:
            self._check_usable()
            force_mismatch(self.engine, self._clock())
            self._flush()
            self._wake()

    def events(self, name: str) -> list[Event]:
        """The events so far with this ``name`` (e.g. ``"delivered"``)."""
        with self._lock:
            return [event for event in self.history if event.name == name]

    def wait_for_events(self, name: str, count: int = 1, timeout: float = 5.0) -> bool:
        """Block until at least ``count`` events called ``name`` happened."""
        return self.wait_for(lambda: self._counts[name] >= count, timeout)

    def count(self, name: str) -> int:
        """How many events called ``name`` happened so far (no scan of the history)."""
        with self._lock:
            return self._counts[name]

    def unfinished(self) -> int:
        """Messages sent but neither acknowledged nor given up yet."""
        with self._lock:
            return self.engine.unfinished()

    def queued(self) -> int:
        """Of ``unfinished()``, the messages still waiting for the window to open."""
        with self._lock:
            return self.engine.queued()

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return dict(self.engine.snapshot())

    def save_pcap(self, path: str | Path) -> Path:
        """Write every datagram this peer sent or received as a pcapng capture.

        Times are wall-clock (the default monotonic clock shifted by the
        offset now); host names are resolved once, here.
        """
        with self._lock:
            packets = list(self.captured)
        offset = wall_clock_offset() if self._clock is time.monotonic else 0.0
        hosts = {p.source for p in packets} | {p.destination for p in packets}
        numeric = {address: numeric_address(address) for address in hosts}
        shifted = [Packet(p.at + offset, numeric[p.source], numeric[p.destination], p.payload,
                          p.comment, p.outbound) for p in packets]
        return write_pcapng(path, shifted, description=describe_interface(self.engine))

    def close(self) -> None:
        """Stop and join the thread, close the socket; safe to call twice."""
        if self._stop_thread():
            self._readable.close()
            self._writable.close()
            self._socket.close()
            self._closed_for_good()

    def __enter__(self) -> UdpPeer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        where = format_address(self.address)
        return f"<UdpPeer {self.name} {self.engine.protocol} on {where} {state}>"

    # -- the receive thread ------------------------------------------------------------

    def _run(self) -> None:
        with self._lock:
            deadline = self.engine.next_deadline()
        while not self._stop.is_set():
            wait = POLL_INTERVAL
            if deadline is not None:
                wait = min(wait, max(0.0, deadline - self._clock()))
            batch = self._receive(wait)
            # One locked step per wake-up, which also reads the next deadline:
            # taking the lock again just for that would make the thread the
            # step woke (a caller waiting for a delivery) wait for it.
            with self._lock:
                now = self._clock()
                if batch:
                    self._take_batch(batch, now)
                try:
                    for summary in self._noise.due(now):
                        self._publish(summary)
                    deadline = self.engine.next_deadline()
                    if deadline is not None and deadline <= now:
                        self.engine.handle_timer(now)
                    self._flush()
                    deadline = self.engine.next_deadline()
                except Exception as error:
                    self._failed(error, now)
                    deadline = None
                self._wake()  # once per wake-up, however much happened

    def _take_batch(self, batch: list[tuple[bytes, Address]], now: float) -> None:
        """Give every datagram of one wake-up to the engine, then end the batch."""
        last: int | None = None  # the record of the batch's last arrival
        received = voice.packet_comment("received_by", name=self.name)
        for data, source in batch:
            try:  # one bad datagram must not stop the rest of the batch
                self.captured.append(Packet(now, source, self.address, data, received,
                                            outbound=False))
                last = self._arrived(data, source, now)
            except Exception as error:
                self._failed(error, now)
        try:
            self.engine.end_of_batch(now)  # one ACK may answer the batch
            self._flush(cause=last)
        except Exception as error:
            self._failed(error, now)

    def _arrived(self, data: bytes, source: Address, now: float) -> int | None:
        """Give the partner's datagram to the engine; returns its record id, if known."""
        if not self._from_partner(source):
            if self._noise.admit(source, "stranger", now):
                self._publish(StrangerIgnored(at=now, source=format_address(source),
                                              size=len(data), preview=preview_of(data)))
            return None
        record = self._claim(source, data)
        self.received += 1
        self.engine.receive_datagram(data, now, batch=True)
        events = self.engine.pop_events()
        if (any(isinstance(event, DatagramRejected) for event in events)
                and not self._noise.admit(source, "rejected", now)):
            # Part of a flood: counted in its summary, not shown (nor its arrival).
            events = [event for event in events if not isinstance(event, DatagramRejected)]
        else:
            self._publish(DatagramReceived(at=now, size=len(data),
                                           source=format_address(source), record=record))
        self._flush(cause=record, events=events)
        return record

    def _from_partner(self, source: Address) -> bool:
        if self.accept_from_anyone:
            return True
        if self._partner is None:
            return False  # nobody is the partner yet
        host, port = self._partner
        return source[0] == host and (source[1] == port or self.engine.partner_changes_port)

    def _receive(self, wait: float) -> list[tuple[bytes, Address]]:
        """Every datagram waiting (up to ``MAX_BATCH``), after waiting up to ``wait`` for one."""
        batch: list[tuple[bytes, Address]] = []
        try:
            if self._readable.select(max(wait, 0.0)):
                while len(batch) < MAX_BATCH:
                    data, source = self._socket.recvfrom(RECEIVE_BUFFER)
                    batch.append((data, (source[0], source[1])))
        except BlockingIOError:
            pass  # read everything there was
        except OSError as error:
            if not self._stop.is_set():
                with self._lock:
                    self._publish(TransportFailed(at=self._clock(), reason=str(error)))
                    self._wake()
                # Do not spin if the socket keeps failing.
                self._stop.wait(POLL_INTERVAL)
        return batch

    def _sendto(self, payload: bytes, address: Address) -> None:
        """Send now, or after waiting (``SEND_WAIT`` at most) for room in a full send buffer."""
        try:
            self._socket.sendto(payload, address)
        except BlockingIOError:
            self._writable.select(SEND_WAIT)
            self._socket.sendto(payload, address)  # still full: the caller reports it

    def _claim(self, source: Address, data: bytes) -> int | None:
        """The id of the record the sender wrote for ``data``, if it shares our log."""
        if self._wire_log is None:
            return None
        found = self._wire_log.claim(source, data).record
        return None if found is None else found.id

    def _failed(self, error: Exception, now: float) -> None:
        # An exception in the thread's step is a labchat bug: report it, keep the peer alive.
        self._publish(EngineFailed(at=now, error=repr(error)))
        self._flush()

    # -- shared helpers (lock held) ----------------------------------------------------

    def _check_usable(self) -> None:
        if self._closed:
            raise RuntimeError(voice.error("peer_closed", name=self.name))

    def _flush(self, cause: int | None = None, events: list[Event] | None = None) -> None:
        """Publish the engine's events (or ``events``, taken from it already) and send
        its datagrams; ``cause``: the arrival handled."""
        for event in self.engine.pop_events() if events is None else events:
            self._publish(event if cause is None else replace(event, cause=cause))
        for datagram in self.engine.pop_datagrams():
            now = self._clock()
            if self.peer_address is None:
                self._publish(TransportFailed(at=now, reason=voice.error("no_peer_address")))
                continue
            record = self._next_id()
            if self._wire_log is not None:
                # Written before the datagram exists, so its receiver always finds it.
                self._wire_log.write(self.address, SentDatagram(
                    id=record, payload=datagram.payload, kind=datagram.kind, seq=datagram.seq,
                    label=datagram.label, sent_at=now, state=dict(self.engine.snapshot())))
            try:
                self._sendto(datagram.payload, self.peer_address)
            except OSError as error:
                self._publish(TransportFailed(at=now, reason=f"sendto failed: {error}"))
                continue
            comment = voice.packet_comment("sent_by", name=self.name,
                                           kind=voice.kind_name(datagram.kind))
            self.captured.append(Packet(now, self.address, self.peer_address, datagram.payload,
                                        comment, outbound=True))
            self._publish(DatagramSent(at=now, kind=datagram.kind, seq=datagram.seq,
                                       label=datagram.label, size=len(datagram.payload),
                                       record=record, cause=cause))

    def _publish(self, event: Event) -> None:
        self.history.append(event)
        self._counts[event.name] += 1
        self._pass_on(event)  # the step that published it wakes the waiters, once


def _numeric_or_same(address: Address) -> Address:
    """``address`` as the socket reports sources (an IPv4 literal), if it resolves."""
    try:
        return numeric_address(address)
    except OSError:
        return address


def fit_receive_buffer(sock: socket.socket, engine: Engine) -> int:
    """Ask for room for a window of datagrams both ways; returns what the kernel granted.

    Linux grants at most twice ``net.core.rmem_max`` (and reports the doubled
    figure); never less than the default, so a small window changes nothing.
    """
    window = int(getattr(getattr(engine, "settings", None), "window", 1))
    granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    wanted = 2 * window * DATAGRAM_CHARGE
    if wanted > granted:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, wanted)
        granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    return int(granted)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0, poll: float = 0.01) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` passes (for several peers)."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(poll, remaining))

"""Real UDP peers on 127.0.0.1 against bare Python sockets doing the same job.

* round trip: A sends, B hands the message over, B answers, A hands the
  answer over; the baseline is a bare ping-pong between two sockets with the
  same threads (a receive thread per socket counting arrivals under a
  condition, a caller waiting on it on each side), so the ratio is what
  labchat adds: its engines, events, records and locks. Beside each rung,
  its *floor*: a bare ping-pong moving as many datagrams as the rung does
  (the ARQ rungs acknowledge each message: four datagrams a round trip, not
  two) plus the work of the rung's two engines alone, handed each other's
  datagrams directly. Python runs one thread at a time, so that work cannot
  hide behind the sockets' and no peer of the rung goes below the floor;
* one-way throughput: A sends N messages to B with Selective Repeat; the
  baseline is a bare sender writing N datagrams and a bare receiver counting
  them (it may lose some when its buffer overflows: its rate counts only what
  arrived, so the baseline is flattered, never the subject);
* the engine floor: the same two engines handing each other their datagrams
  directly, no sockets or threads, against the bare sender and receiver:
  what no peer can beat, since a peer does the engines' work and more;
* large windows: resends Selective Repeat needed for N messages at windows
  of 256 and 4096 (a count: premature timeouts and an overflowing receive
  buffer show up here);
* ``wait_for_events`` after N messages against a fresh peer: the round trip
  above, measured on peers that already carry a long history.

Traffic goes to 127.0.0.1 only; every socket and peer is closed again.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from queue import Empty, SimpleQueue
from statistics import median_high

from benchmarks.timing import Figure, median_of, ratio
from labchat.protocols import Engine, create_engine
from labchat.protocols.base import Outgoing
from labchat.udp.peer import MAX_BATCH, UdpPeer, fit_receive_buffer

RUNGS = ("report", "repaired", "stop-and-wait", "go-back-n", "selective-repeat")
TIMEOUT = 30.0


def _pair(protocol: str, **settings: object) -> tuple[UdpPeer, UdpPeer]:
    a = UdpPeer(create_engine(protocol, **settings), name="A")
    b = UdpPeer(create_engine(protocol, **settings), name="B")
    a.connect(b.address)
    b.connect(a.address)
    return a, b


class _BareEnd:
    """A bare socket with the same threads as a peer: a receive thread that
    counts arrivals under a condition, and callers that wait on it; with
    ``acks``, it answers every arrival with an acknowledgement first, as an
    ARQ peer does (acknowledgements are answered by nothing, nor counted)."""

    def __init__(self, acks: bool = False) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.05)
        self.acks = acks
        self.arrived = 0
        self.changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                data, source = self.socket.recvfrom(65535)
            except TimeoutError:
                continue
            if data.startswith(b"ack"):
                continue
            if self.acks:
                self.socket.sendto(b"ack " + data, source)
            with self.changed:
                self.arrived += 1
                self.changed.notify_all()

    def wait(self, count: int) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.arrived >= count, TIMEOUT)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()


class _BarePingPong:
    """Two bare ends; a thread answers every datagram B's end counted.

    The same hand-offs as the peers' ping-pong below (a receive thread per
    socket, a waiting caller on each side), so the ratio is labchat's own work.
    """

    def __init__(self, acks: bool = False) -> None:
        self.a, self.b = _BareEnd(acks), _BareEnd(acks)
        self._done = 0
        self._stop = threading.Event()
        self._go = threading.Semaphore(0)
        self._thread = threading.Thread(target=self._echo, daemon=True)
        self._thread.start()

    def _echo(self) -> None:
        answered = 0
        while True:
            self._go.acquire()
            if self._stop.is_set():
                return
            answered += 1
            if self.b.wait(answered):
                self.b.socket.sendto(b"pong %d" % answered, self.a.socket.getsockname())

    def trips(self, count: int) -> None:
        target = self.b.socket.getsockname()
        for _ in range(count):
            self._done += 1
            self._go.release()
            self.a.socket.sendto(b"ping %d" % self._done, target)
            if not self.a.wait(self._done):
                raise RuntimeError("a bare round trip did not come back")

    def close(self) -> None:
        self._stop.set()
        self._go.release()
        self._thread.join()
        self.a.close()
        self.b.close()


class _PeerPingPong:
    """Two labchat peers; a thread answers every message B hands over."""

    def __init__(self, protocol: str) -> None:
        self.a, self.b = _pair(protocol)
        self._done = 0
        self._stop = threading.Event()
        self._go = threading.Semaphore(0)
        self._thread = threading.Thread(target=self._echo, daemon=True)
        self._thread.start()

    def _echo(self) -> None:
        answered = 0
        while not self._stop.is_set():
            self._go.acquire()
            if self._stop.is_set():
                return
            answered += 1
            if self.b.wait_for_events("delivered", answered, TIMEOUT):
                self.b.send(f"pong {answered}")

    def datagrams_per_trip(self) -> float:
        """Datagrams both peers sent, per round trip so far (ACKs included)."""
        sent = self.a.count("datagram_sent") + self.b.count("datagram_sent")
        return sent / self._done

    def trips(self, count: int) -> None:
        for _ in range(count):
            self._done += 1
            self._go.release()
            self.a.send(f"ping {self._done}")
            if not self.a.wait_for_events("delivered", self._done, TIMEOUT):
                raise RuntimeError("a round trip did not come back")

    def close(self) -> None:
        self._stop.set()
        self._go.release()
        self._thread.join()
        self.a.close()
        self.b.close()


def _engines_round_trip(protocol: str, trips: int) -> float:
    """Seconds the rung's two engines alone spend on ``trips`` round trips: each
    side handed the other's datagrams directly, as its peer's thread would."""
    a, b = create_engine(protocol), create_engine(protocol)
    delivered = 0

    def hand_over(source: Engine, target: Engine) -> None:
        nonlocal delivered
        outgoing = source.pop_datagrams()
        while outgoing:  # back and forth until both are quiet: data, then its ACK
            for datagram in outgoing:
                target.receive_datagram(datagram.payload, 0.0)
                delivered += sum(event.name == "delivered" for event in target.pop_events())
                target.next_deadline()
            source, target = target, source
            outgoing = source.pop_datagrams()

    start = time.perf_counter()
    for trip in range(trips):
        for sender, answerer, text in ((a, b, f"ping {trip}"), (b, a, f"pong {trip}")):
            sender.send_message(text, 0.0)
            sender.pop_events()
            hand_over(sender, answerer)
    elapsed = time.perf_counter() - start
    if delivered != 2 * trips:
        raise RuntimeError(f"the engines alone delivered {delivered} of {2 * trips} messages")
    return elapsed


def round_trip_figures(trips: int, repeats: int, history: int) -> list[Figure]:
    figures = []
    bare, acked = _BarePingPong(), _BarePingPong(acks=True)
    try:
        with_acks = ratio(lambda: acked.trips(trips), lambda: bare.trips(trips),
                          repeats=repeats)
        figures.append(Figure(
            "bare UDP ping-pong that acknowledges each message (4 datagrams) / bare "
            "ping-pong (2)", f"{with_acks.ratio:.2f}x", "(the ARQ rungs' extra datagrams)",
            None))
        for protocol in RUNGS:
            peers = _PeerPingPong(protocol)
            try:
                measured = ratio(lambda peers=peers: peers.trips(trips),  # type: ignore[misc]
                                 lambda: bare.trips(trips), repeats=repeats)
                datagrams = peers.datagrams_per_trip()
            finally:
                peers.close()
            engines = median_of(lambda protocol=protocol: _engines_round_trip(  # type: ignore[misc]
                protocol, trips), repeats) / trips
            bare_trip = measured.baseline / trips
            floor = (with_acks.ratio if datagrams > 2 else 1.0) + engines / bare_trip
            figures.append(Figure(
                f"round trip of one message, {protocol} peers / bare UDP ping-pong",
                f"{measured.ratio:.2f}x", "at most 1.3x", measured.ratio <= 1.3,
                f"{measured.subject / trips * 1e6:.0f} us vs {bare_trip * 1e6:.0f} us"))
            figures.append(Figure(
                f"  floor: bare UDP moving the rung's {datagrams:.0f} datagrams + its engines' "
                "own work / bare ping-pong", f"{floor:.2f}x", "(what no peer goes below)", None,
                f"the engines alone: {engines * 1e6:.0f} us a round trip"
                + ("; above 1.3x: no peer of this rung can meet the target" if floor > 1.3
                   else "")))
        fresh = _PeerPingPong("selective-repeat")
        long = _PeerPingPong("selective-repeat")
        try:
            long.trips(history)
            measured = ratio(lambda: long.trips(trips), lambda: fresh.trips(trips),
                             repeats=repeats)
        finally:
            fresh.close()
            long.close()
        figures.append(Figure(
            f"UdpPeer.wait_for_events after {2 * history:,} messages ({history:,} round trips) "
            "/ fresh (round trip)",
            f"{measured.ratio:.2f}x", "at most 1.2x", measured.ratio <= 1.2))
    finally:
        bare.close()
        acked.close()
    return figures


def _bare_one_way(count: int) -> float:
    """Messages per second a bare receiver counted from a bare sender."""
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        receiver.bind(("127.0.0.1", 0))
        receiver.settimeout(0.2)
        target = receiver.getsockname()
        got = [0, 0.0]

        def receive() -> None:
            while got[0] < count:
                try:
                    receiver.recvfrom(65535)
                except TimeoutError:
                    return
                got[0] += 1
                got[1] = time.perf_counter()

        thread = threading.Thread(target=receive, daemon=True)
        thread.start()
        start = time.perf_counter()
        for i in range(count):
            sender.sendto(b"D %d - message %d" % (i, i), target)
        thread.join()
        return got[0] / (got[1] - start)
    finally:
        sender.close()
        receiver.close()


def _peers_one_way(count: int, window: int, acks: str = "individual") -> tuple[float, int]:
    """Messages per second delivered by Selective Repeat, and the resends it needed."""
    a, b = _pair("selective-repeat", window=window, acks=acks)
    try:
        start = time.perf_counter()
        for i in range(count):
            a.send(f"message {i}")
        if not b.wait_for_events("delivered", count, TIMEOUT * 4):
            raise RuntimeError(f"only {b.count('delivered')} of {count} delivered")
        elapsed = time.perf_counter() - start
        a.wait_for(lambda: a.engine.unfinished() == 0, TIMEOUT)
        return count / elapsed, a.count("resent")  # counted, not read from a bounded history
    finally:
        a.close()
        b.close()


def _engines_one_way(count: int, window: int, acks: str) -> float:
    """Messages per second the two engines alone manage, no sockets or threads: each
    side handed everything the other produced as one batch, as a peer's wake-up does."""
    a = create_engine("selective-repeat", window=window, acks=acks)
    b = create_engine("selective-repeat", window=window, acks=acks)
    start = time.perf_counter()
    for i in range(count):
        a.send_message(f"message {i}", 0.0)
    a.pop_events()
    outgoing = a.pop_datagrams()
    while outgoing:
        _hand_over(b, outgoing)
        _hand_over(a, b.pop_datagrams())
        outgoing = a.pop_datagrams()
    if a.unfinished():
        raise RuntimeError("the engines alone did not finish")
    return count / (time.perf_counter() - start)


def _engines_on_bare_sockets(count: int, window: int, acks: str) -> float:
    """Messages per second of about the least a peer can be: the bare sender and
    receiver above, each running its engine inline (no events kept, no
    records, no locks), the receive buffer sized as a peer sizes it, and the
    receiver's ACKs handed back through a queue instead of a socket (cheaper
    than any real return path)."""
    a = create_engine("selective-repeat", window=window, acks=acks)
    b = create_engine("selective-repeat", window=window, acks=acks)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    returned: SimpleQueue[bytes] = SimpleQueue()
    clock = time.monotonic
    give_up = clock() + TIMEOUT
    try:
        receiver.bind(("127.0.0.1", 0))
        fit_receive_buffer(receiver, b)
        receiver.settimeout(0.05)
        target = receiver.getsockname()
        got = [0, 0.0]

        def receive() -> None:
            while got[0] < count and clock() < give_up:
                try:  # wait for one datagram, then take all that are waiting, as a peer does
                    batch = [receiver.recvfrom(65535)[0]]
                    receiver.setblocking(False)
                    while len(batch) < MAX_BATCH:
                        batch.append(receiver.recvfrom(65535)[0])
                except (TimeoutError, BlockingIOError):
                    pass
                receiver.settimeout(0.05)
                for payload in batch:
                    b.receive_datagram(payload, clock(), batch=True)
                b.end_of_batch(clock())
                got[0] += sum(event.name == "delivered" for event in b.pop_events())
                for datagram in b.pop_datagrams():
                    returned.put(datagram.payload)
            got[1] = time.perf_counter()

        thread = threading.Thread(target=receive, daemon=True)
        thread.start()
        start = time.perf_counter()
        for i in range(count):
            a.send_message(f"message {i}", clock())
        while thread.is_alive():
            for datagram in a.pop_datagrams():
                sender.sendto(datagram.payload, target)
            try:
                a.receive_datagram(returned.get(timeout=0.01), clock())
            except Empty:
                deadline = a.next_deadline()
                if deadline is not None and deadline <= clock():
                    a.handle_timer(clock())
            a.pop_events()
        thread.join()
        if got[0] < count:
            raise RuntimeError(f"only {got[0]} of {count} delivered")
        return count / (got[1] - start)
    finally:
        sender.close()
        receiver.close()


def _hand_over(engine: Engine, datagrams: list[Outgoing]) -> None:
    for datagram in datagrams:
        engine.receive_datagram(datagram.payload, 0.0, batch=True)
    engine.end_of_batch(0.0)
    engine.pop_events()


#: (window, acks) of the throughput figures; the last is the one with a target.
THROUGHPUT = ((4, "individual"), (64, "individual"), (1024, "individual"), (1024, "selective"))


def throughput_figures(count: int, repeats: int) -> list[Figure]:
    figures = []
    for window, acks in THROUGHPUT:
        rates: list[float] = []
        bare_rates: list[float] = []
        resends: list[int] = []
        for _ in range(repeats):
            bare_rates.append(_bare_one_way(count))
            rate, resent = _peers_one_way(count, window, acks)
            rates.append(rate)
            resends.append(resent)
        value = median_high(r / b for r, b in zip(rates, bare_rates, strict=True))
        figures.append(Figure(
            f"one-way throughput, {count:,} messages, selective-repeat window {window} "
            f"acks={acks} / bare UDP",
            f"{value:.2f}", "at least 0.5 with a large window",
            value >= 0.5 if (window, acks) == THROUGHPUT[-1] else None,
            f"{median_high(rates):,.0f} vs {median_high(bare_rates):,.0f}"
            f" messages/s; resends {max(resends):,}"))
    window, acks = THROUGHPUT[-1]
    floor = median_high(_engines_one_way(count, window, acks) / _bare_one_way(count)
                        for _ in range(repeats))
    figures.append(Figure(
        f"  engine floor: the same engines (window {window}, acks={acks}), no sockets or "
        "threads / bare UDP", f"{floor:.2f}", "(no peer goes above it)", None,
        "the engines' own work per message, against a bare socket's"
        + ("; below 0.5: no peer of these engines can meet the target" if floor < 0.5
           else "")))
    ceiling = median_high(_engines_on_bare_sockets(count, window, acks) / _bare_one_way(count)
                          for _ in range(repeats))
    figures.append(Figure(
        "  ceiling: the same engines run inline by the bare sender and receiver, ACKs "
        "returned by a queue / bare UDP", f"{ceiling:.2f}", "(a peer that keeps nothing)",
        None, "no events kept, no records, no locks, no return socket"))
    for window in (256, 4096):
        _, resent = _peers_one_way(count, window)
        figures.append(Figure(
            f"selective-repeat window {window} on loopback, resends for {count:,} messages",
            f"{resent:,}", "no collapse (under 1%)", resent <= count // 100))
    return figures


def figures(quick: bool = False) -> list[Figure]:
    found: list[Figure] = []
    run: list[Callable[[], list[Figure]]] = [
        lambda: round_trip_figures(5 if quick else 200, 1 if quick else 5,
                                   10 if quick else 10_000),
        lambda: throughput_figures(200 if quick else 20_000, 1),
    ]
    for group in run:
        found.extend(group())
    return found

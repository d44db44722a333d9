"""Soak and flood: long runs over real UDP that must stay exact and bounded.

``make soak`` runs the full size and prints the figures the README quotes:

* **relay soak**: two peers (in the chat's session envelope) exchange
  ``--messages`` messages each way through a relay that loses 10%,
  duplicates 5% and reorders 5%, on Selective Repeat (window 256) and
  Go-Back-N (window 64, with fast retransmit), with 30 resends before
  giving up. Every message must arrive exactly once, in order, and nothing
  may be given up; the process's resident memory (RSS) is read as the run
  goes and its peak printed; it may grow by ``MAX_GROWTH_KIB`` at most.
* **flood**: a ``labchat chat`` process talks to another while a third
  socket sprays garbage at it as fast as it can for ``--flood-seconds``
  (from a stranger's port, and, with ``--accept-from-anyone``, straight into
  the engine). The conversation must go on, the chat must print a handful of
  lines instead of one per datagram, and its RSS must stay bounded (the
  same ``MAX_GROWTH_KIB``).
* **lab flood**: the same at a chat lab (``ChatLab``, drawing as it goes):
  another process sprays B and both of the relay's ports while A talks to
  B; every message must arrive in order, B must sum the flood up in a
  line, the panels show a handful of lines, and the RSS of the lab's
  process stays bounded.

Each check raises ``SoakFailed`` with what went wrong; ``tests/udp/test_soak.py``
runs the same functions at a size fit for ``make test``. Run in full with
``make soak`` (``python -m tests.soak``).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from labchat.events import EngineFailed, Event, GaveUp, MessageDelivered, TransportFailed
from labchat.protocols import create_enveloped
from labchat.sim.channel import Impairment, ImpairmentModel
from labchat.udp.peer import UdpPeer, wait_until
from labchat.udp.relay import UdpRelay
from labchat.udp.sessions import new_session

REPOSITORY = Path(__file__).resolve().parents[1]
#: 10% loss, 5% duplication, 5% reorder, and no jitter: jitter is drawn per
#: datagram, so a window sent in one burst (Go-Back-N going back) would arrive
#: shuffled whole, far more reordering than the 5% asked for.
BAD_NETWORK = Impairment(loss=0.1, duplicate=0.05, reorder=0.05, delay=0.002)
#: Large windows; retries enough to outlast a busy machine (a give-up fails the
#: soak). Go-Back-N resends on the third duplicate ACK, as TCP does: its timer
#: alone (0.2 s per loss of a window of 64) makes 20,000 messages last over
#: ten minutes, and what the soak checks, exactly once in order with memory
#: bounded, is the same either way.
RUNGS: dict[str, dict[str, object]] = {
    "selective-repeat": {"window": 256, "max_retries": 30},
    "go-back-n": {"window": 64, "max_retries": 30, "fast_retransmit": True},
}
#: How much a soak's process may grow (RSS, KiB): 20,000 messages each way grew
#: it from 21 to 159 MB before histories were bounded, and by about 30 MB since.
MAX_GROWTH_KIB = 64 * 1024
#: Events a soak counts to explain a shortfall (besides deliveries and give-ups).
NOTED = frozenset({"gap_skipped", "rejected", "engine_error", "transport_error",
                   "peer_restarted", "flood"})


def check_growth(what: str, start_kib: int, peak_kib: int) -> None:
    """Raise ``SoakFailed`` if the RSS grew by more than ``MAX_GROWTH_KIB``."""
    if peak_kib - start_kib > MAX_GROWTH_KIB:
        raise SoakFailed(f"{what}: RSS grew from {start_kib / 1024:.1f} MB to "
                         f"{peak_kib / 1024:.1f} MB")


class SoakFailed(AssertionError):
    """A soak found a message lost, duplicated, reordered, or memory unbounded."""


def rss_kib(pid: int | str = "self") -> int:
    """Resident memory of a process in KiB, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SoakFailed(f"no VmRSS for process {pid}")


@dataclass
class InOrder:
    """A subscriber that checks each delivery against the expected sequence (lock held).

    It also keeps what would explain a shortfall: messages given up (the
    sender's admission), gaps skipped, datagrams rejected, and errors of the
    engine or the operating system, so a failed soak says which it was.
    """

    prefix: str
    delivered: int = 0
    errors: list[str] = field(default_factory=list)
    gave_up: int = 0
    other: Counter[str] = field(default_factory=Counter)

    def __call__(self, event: Event) -> None:
        if isinstance(event, MessageDelivered):
            expected = f"{self.prefix}{self.delivered}"
            if event.text != expected and len(self.errors) < 5:
                self.errors.append(f"got {event.text!r}, expected {expected!r}")
            self.delivered += 1
        elif isinstance(event, GaveUp):
            self.gave_up += 1
            if len(self.errors) < 5:
                self.errors.append(f"gave up {event.text!r} after {event.attempts} attempts")
        elif isinstance(event, EngineFailed | TransportFailed) and len(self.errors) < 5:
            self.errors.append(f"{event.name}: {event.to_dict()}")
        if event.name in NOTED:
            self.other[event.name] += 1

    def report(self) -> str:
        """What happened on this side, for a failure message."""
        return (f"{self.delivered} delivered, {self.gave_up} given up, {dict(self.other)}, "
                f"first errors {self.errors}")


@dataclass(frozen=True)
class RelaySoak:
    protocol: str
    messages: int
    seconds: float
    rss_start_kib: int
    rss_peak_kib: int
    datagrams: int

    def line(self) -> str:
        return (f"{self.protocol}: {self.messages:,} messages each way in {self.seconds:.1f} s, "
                f"{self.datagrams:,} datagrams through the relay; exactly once in order; "
                f"RSS {self.rss_start_kib / 1024:.1f} MB -> peak {self.rss_peak_kib / 1024:.1f} MB")


def relay_soak(protocol: str, messages: int, *, timeout: float = 600.0, seed: int = 1) -> RelaySoak:
    """Both ways through an impairing relay; raises ``SoakFailed`` unless exact."""
    settings = RUNGS[protocol]
    with UdpPeer(create_enveloped(protocol, new_session(), None, settings), name="soak-A") as a, \
         UdpPeer(create_enveloped(protocol, new_session(), None, settings), name="soak-B") as b, \
         UdpRelay(a.address, b.address, model=ImpairmentModel(BAD_NETWORK, seed=seed,
                                                               keep=10_000)) as relay:
        a.connect(relay.listen_a_address)
        b.connect(relay.listen_b_address)
        at_b, at_a = InOrder("a"), InOrder("b")
        b.subscribe(at_b)
        a.subscribe(at_a)
        rss_start = peak = rss_kib()
        start = time.monotonic()
        # Typed in slices, as people type: the queue never holds the whole run.
        sent = 0
        while sent < messages:
            for n in range(sent, min(sent + 500, messages)):
                a.send(f"a{n}")
                b.send(f"b{n}")
            sent = min(sent + 500, messages)
            done = sent
            if not (b.wait_for(lambda: at_b.delivered >= done - 1000, timeout)  # noqa: B023
                    and a.wait_for(lambda: at_a.delivered >= done - 1000, timeout)):  # noqa: B023
                raise SoakFailed(f"{protocol}: stalled; at B {at_b.report()}; "
                                 f"at A {at_a.report()}")
            peak = max(peak, rss_kib())
        # Done when both sides have everything acknowledged (or given up): every
        # delivery that will happen has happened, so a shortfall is final.
        if not (a.wait_for(lambda: a.engine.unfinished() == 0, timeout)
                and b.wait_for(lambda: b.engine.unfinished() == 0, timeout)):
            raise SoakFailed(f"{protocol}: messages still unfinished; A {a.snapshot()}; "
                             f"B {b.snapshot()}")
        peak = max(peak, rss_kib())
        seconds = time.monotonic() - start
        if (at_b.errors or at_a.errors or at_b.delivered != messages
                or at_a.delivered != messages):
            raise SoakFailed(f"{protocol}: of {messages} each way, at B {at_b.report()}; "
                             f"at A {at_a.report()}; A {a.snapshot()}; B {b.snapshot()}")
        check_growth(protocol, rss_start, peak)
        return RelaySoak(protocol, messages, seconds, rss_start, peak, relay.decided())


@dataclass(frozen=True)
class Flood:
    seconds: float
    sent: int
    conversation: int
    printed_lines: int
    rss_start_kib: int
    rss_end_kib: int

    def line(self) -> str:
        return (f"flood: {self.sent:,} garbage datagrams in {self.seconds:.0f} s at a chat; "
                f"{self.conversation} real messages all delivered; the chat printed "
                f"{self.printed_lines} lines; its RSS {self.rss_start_kib / 1024:.1f} MB -> "
                f"{self.rss_end_kib / 1024:.1f} MB")


def _bound_socket() -> socket.socket:
    """A UDP socket on a port of 127.0.0.1 the system chose, to hand to a chat."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def _chat(name: str, listen: socket.socket, peer: int, *flags: str) -> subprocess.Popen[str]:
    """A chat on ``listen``, handed over (``--listen fd:N``); our copy closed once it started."""
    with listen:
        return subprocess.Popen(
            [sys.executable, "-m", "labchat", "chat", "--name", name, "--jsonl",
             "--listen", f"fd:{listen.fileno()}", "--peer", f"127.0.0.1:{peer}",
             "--protocol", "selective-repeat", "--setting", "max_retries=30", *flags],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd=REPOSITORY, pass_fds=[listen.fileno()])


def chat_flood(seconds: float, *, into_engine: bool = False) -> Flood:
    """Garbage at a chat process while its partner talks; raises ``SoakFailed``."""
    listen_a, listen_b = _bound_socket(), _bound_socket()
    port_a, port_b = listen_a.getsockname()[1], listen_b.getsockname()[1]
    flags = ("--accept-from-anyone",) if into_engine else ()
    # A lingers: under the flood B's socket buffer overflows and A's datagrams
    # are lost there too, so A must stay until its resends got through.
    a, b = _chat("A", listen_a, port_b, "--linger", "60"), _chat("B", listen_b, port_a, *flags)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(b.stdout or []), daemon=True)
    reader.start()
    stop = threading.Event()
    sent = 0

    def spray() -> None:
        nonlocal sent
        garbage = [bytes([n % 256]) * (1 + n % 200) for n in range(997)]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as flood:
            while not stop.is_set():
                for payload in garbage:
                    flood.sendto(payload, ("127.0.0.1", port_b))
                sent += len(garbage)

    try:
        time.sleep(0.5)  # both started, so B's memory is measured after its start-up
        rss_start = rss_kib(b.pid)
        sprayer = threading.Thread(target=spray, daemon=True)
        sprayer.start()
        start = time.monotonic()
        conversation = 0
        assert a.stdin is not None
        while time.monotonic() - start < seconds:
            a.stdin.write(f"real {conversation}\n")
            a.stdin.flush()
            conversation += 1
            time.sleep(0.25)
        stop.set()
        sprayer.join(5)
        rss_end = rss_kib(b.pid)
        a.stdin.close()
        a.wait(30)
        assert b.stdin is not None
        b.stdin.close()
        b.wait(30)
        reader.join(5)
    finally:
        for process in (a, b):
            if process.poll() is None:
                process.kill()
                process.wait(5)
    delivered = [json.loads(line)["text"] for line in lines
                 if '"event": "delivered"' in line]
    if delivered != [f"real {n}" for n in range(conversation)]:
        raise SoakFailed(f"the conversation under the flood: {delivered[:5]}... "
                         f"({len(delivered)} of {conversation})")
    check_growth("chat flood", rss_start, rss_end)
    return Flood(seconds, sent, conversation, len(lines), rss_start, rss_end)


#: A garbage sprayer in a process of its own (the lab's process is the victim):
#: ``python -c SPRAY SECONDS HOST:PORT...``; prints how many datagrams it sent.
SPRAY = """
import socket, sys, time
seconds, targets = float(sys.argv[1]), [(t.rpartition(":")[0], int(t.rpartition(":")[2]))
                                        for t in sys.argv[2:]]
garbage = [bytes([n % 256]) * (1 + n % 200) for n in range(997)]
sent, end = 0, time.monotonic() + seconds
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as flood:
    while time.monotonic() < end:
        for payload in garbage:
            for target in targets:
                flood.sendto(payload, target)
        sent += len(garbage) * len(targets)
print(sent)
"""


@dataclass(frozen=True)
class LabFlood:
    seconds: float
    sent: int
    conversation: int
    lines: int
    summaries: int
    rss_start_kib: int
    rss_peak_kib: int

    def line(self) -> str:
        return (f"lab flood: {self.sent:,} garbage datagrams in {self.seconds:.0f} s at a chat "
                f"lab's B and its relay; {self.conversation} real messages all "
                f"delivered in order; the panels showed {self.lines} lines "
                f"({self.summaries} flood summaries); RSS {self.rss_start_kib / 1024:.1f} MB "
                f"-> peak {self.rss_peak_kib / 1024:.1f} MB")


def lab_flood(seconds: float, *, into_engine: bool = False) -> LabFlood:
    """Garbage at a chat lab (the view, drawing as it goes) while A talks to B.

    The sprayer aims at B and both of the relay's ports; with ``into_engine``
    the peers take datagrams from anyone, so every one is judged by B's
    engine. Raises ``SoakFailed`` unless every real message arrives in order
    and nothing is given up.
    """
    from labchat.notebook.lab import ChatLab  # the widgets only here: make soak's other runs

    with ChatLab("selective-repeat") as lab:
        a, b, relay = lab.model.peer("A"), lab.model.peer("B"), lab.model.relay
        assert isinstance(a, UdpPeer) and isinstance(b, UdpPeer) and isinstance(relay, UdpRelay)
        a.accept_from_anyone = b.accept_from_anyone = into_engine
        at_b, at_a = InOrder("real "), InOrder("")  # A's: its give-ups and errors
        b.subscribe(at_b)
        a.subscribe(at_a)
        # B, who is talked to, and the relay (as the chat's flood aims at B); a flood
        # into A's engine too drowns B's ACKs in A's socket buffer, and A, unable to
        # vouch for messages B did get, gives some up (visibly) after its 8 resends.
        targets = [b.address, relay.listen_a_address, relay.listen_b_address]
        rss_start = peak = rss_kib()
        sprayer = subprocess.Popen(
            [sys.executable, "-c", SPRAY, str(seconds),
             *(f"{host}:{port}" for host, port in targets)],
            stdout=subprocess.PIPE, text=True)
        try:
            start = time.monotonic()
            conversation = 0
            while time.monotonic() - start < seconds:
                lab.send("A", f"real {conversation}")
                conversation += 1
                time.sleep(0.25)
                peak = max(peak, rss_kib())
            out, _ = sprayer.communicate(timeout=30)
        finally:
            if sprayer.poll() is None:
                sprayer.kill()
                sprayer.wait(5)
        if not a.wait_for(lambda: a.engine.unfinished() == 0, 120):
            raise SoakFailed(f"lab flood: A still has messages unfinished; {a.snapshot()}")

        def summaries() -> int:
            return sum(1 for side in lab.model.state().lines.values() for line in side
                       if " more datagrams from " in line.text)

        # B counts what it did not show into one line, once the host fell quiet.
        if not wait_until(lambda: summaries() >= 1, 30):
            raise SoakFailed("lab flood: no flood summary on B's panel")
        peak = max(peak, rss_kib())
        state = lab.model.state()
        shown = sum(len(side) for side in state.lines.values()) + sum(state.earlier_lines.values())
        if at_b.errors or at_a.errors or at_b.delivered != conversation:
            raise SoakFailed(f"lab flood: of {conversation}, at B {at_b.report()}; "
                             f"at A {at_a.report()}")
        check_growth("lab flood", rss_start, peak)
        return LabFlood(seconds, int(out), conversation, shown, summaries(), rss_start, peak)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--flood-seconds", type=float, default=20.0)
    args = parser.parse_args()
    for protocol in RUNGS:
        print(relay_soak(protocol, args.messages).line(), flush=True)
    for into_engine in (False, True):
        flood = chat_flood(args.flood_seconds, into_engine=into_engine)
        where = "into the engine (--accept-from-anyone)" if into_engine else "from a stranger"
        print(f"{flood.line()} [{where}]", flush=True)
    for into_engine in (False, True):
        at_lab = lab_flood(args.flood_seconds, into_engine=into_engine)
        where = "into the engines (accept_from_anyone)" if into_engine else "from a stranger"
        print(f"{at_lab.line()} [{where}]", flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())

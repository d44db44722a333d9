"""The real UDP relay between two peers on 127.0.0.1, in-process and as a command.

Which datagram went where is read from the relay's records, never from
timing: each step waits (bounded) for the records or events it needs.
"""

from __future__ import annotations

import json
import selectors
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from labchat.commands.cli import main
from labchat.events import DatagramReceived, DatagramSent
from labchat.protocols import create_engine
from labchat.protocols.base import Outgoing
from labchat.protocols.report import ReportEngine
from labchat.sim.channel import Impairment, ImpairmentModel, corrupted
from labchat.trace import WireRecord
from labchat.udp import registry
from labchat.udp.peer import Address, UdpPeer, parse_address
from labchat.udp.relay import UdpRelay
from labchat.udp.wirelog import SentDatagram, WireLog

Trio = tuple[UdpPeer, UdpRelay, UdpPeer]


@pytest.fixture
def model() -> ImpairmentModel:
    return ImpairmentModel(seed=1)


@pytest.fixture
def trio(model: ImpairmentModel) -> Iterator[Trio]:
    """Two report peers that only know the relay: A <-> relay <-> B."""
    with UdpPeer(create_engine("report"), name="A") as a, \
         UdpPeer(create_engine("report"), name="B") as b, \
         UdpRelay(a.address, b.address, model=model, describe=ReportEngine.describe) as relay:
        a.connect(relay.listen_a_address)
        b.connect(relay.listen_b_address)
        yield a, relay, b


def settled(relay: UdpRelay, count: int) -> bool:
    records = relay.records()
    return len(records) >= count and all(r.fate != "in_flight" for r in records)


def texts(peer: UdpPeer, name: str) -> list[str]:
    return [event.to_dict()["text"] for event in peer.events(name)]


def test_a_dropped_datagram_makes_the_count_mismatch_and_the_resend_crosses_the_relay(
    trio: Trio, model: ImpairmentModel
) -> None:
    a, relay, b = trio
    b.send("b0")
    assert a.wait_for_events("delivered", 1)
    relay.drop_next("B->A")
    b.send("b1")
    assert relay.wait_for(lambda: settled(relay, 2))
    a.send("a0")  # carries count 1, but B has sent 2: B resends everything
    assert a.wait_for_events("resend_received", 2)
    assert relay.wait_for(lambda: settled(relay, 5))

    assert [(r.source, r.label, r.fate, r.cause) for r in relay.records()] == [
        ("B", "b0 -0", "delivered", ""),
        ("B", "b1 -0", "dropped", "drop next"),
        ("A", "a0 -1", "delivered", ""),
        ("B", "b0 -resend", "delivered", ""),
        ("B", "b1 -resend", "delivered", ""),
    ]
    assert [e.to_dict()["carried"] for e in b.events("resend")] == [1]
    assert texts(a, "delivered") == ["b0"]
    assert texts(a, "resend_received") == ["b0", "b1"]
    # Each peer only ever heard from the relay.
    sources = {e.to_dict()["source"] for e in a.history if e.name == "datagram_received"}
    assert sources == {f"{relay.listen_a_address[0]}:{relay.listen_a_address[1]}"}


@pytest.mark.parametrize("model", [ImpairmentModel(
    Impairment(loss=0.3, duplicate=0.3, delay=0.02), seed=5)])
def test_loss_duplication_and_delay_are_applied(trio: Trio, model: ImpairmentModel) -> None:
    a, relay, b = trio
    sent = [f"m{i}" for i in range(30)]
    for text in sent:
        a.send(text)
    assert relay.wait_for(lambda: settled(relay, 30) and len(relay.decisions()) == 30)
    records = relay.records()
    decisions = relay.decisions()
    delivered = [r for r in records if r.fate == "delivered"]
    assert b.wait_for_events("delivered", len(delivered))

    actions = Counter(d.action for d in decisions)
    assert actions["drop"] > 0 and actions["duplicate"] > 0  # seed 5 has both
    assert sum(r.fate == "dropped" for r in records) == actions["drop"]
    assert sum(r.copy_of is not None for r in records) == actions["duplicate"]
    # B got exactly what the relay forwarded, copies included, and nothing else.
    assert Counter(texts(b, "delivered")) == Counter(r.label.rsplit(" -", 1)[0]
                                                     for r in delivered)
    # The relay never sends a copy before its delay is over.
    assert all(r.arrived_at is not None and r.arrived_at - r.sent_at >= 0.02 for r in delivered)


def test_subscribers_see_each_record_and_its_fate(trio: Trio, model: ImpairmentModel) -> None:
    a, relay, b = trio
    seen: list[WireRecord] = []

    def broken(record: WireRecord) -> None:
        raise ZeroDivisionError

    relay.subscribe(broken)
    unsubscribe = relay.subscribe(seen.append)
    relay.drop_next("A->B")
    a.send("lost")
    a.send("kept")
    assert relay.wait_for(lambda: settled(relay, 2))
    assert [(r.id, r.fate) for r in seen] == [
        (0, "in_flight"), (0, "dropped"), (1, "in_flight"), (1, "delivered")]
    unsubscribe()
    a.send("unseen")
    assert b.wait_for_events("delivered", 2)
    assert len(seen) == 4
    assert relay.subscriber_errors and isinstance(relay.subscriber_errors[0], ZeroDivisionError)


def test_close_stops_the_thread_frees_both_ports_and_drops_what_was_waiting() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a, \
         socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b:
        a.bind(("127.0.0.1", 0))
        b.bind(("127.0.0.1", 0))
        relay = UdpRelay(a.getsockname(), b.getsockname(),
                         model=ImpairmentModel(Impairment(delay=60.0)), name="closing-relay")
        assert "labchat-closing-relay" in [t.name for t in threading.enumerate()]
        a.sendto(b"slow", relay.listen_a_address)
        assert relay.wait_for(lambda: len(relay.records()) == 1)
        relay.close()
        relay.close()  # twice is harmless

    assert "labchat-closing-relay" not in [t.name for t in threading.enumerate()]
    assert relay not in registry.open_resources()
    assert (relay.wire[0].fate, relay.wire[0].cause) == ("dropped", "relay closed")
    for address in (relay.listen_a_address, relay.listen_b_address):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
            again.bind(address)


# -- the command ---------------------------------------------------------------------------


def read_line(pipe: object, timeout: float = 10.0) -> str:
    """One line from a child's pipe, or fail after ``timeout`` (never hang)."""
    with selectors.DefaultSelector() as selector:
        selector.register(pipe, selectors.EVENT_READ)  # type: ignore[arg-type]
        assert selector.select(timeout), "no output from the relay in time"
    line: str = pipe.readline()  # type: ignore[attr-defined]
    return line


@pytest.fixture
def two_sockets() -> Iterator[tuple[socket.socket, socket.socket]]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a, \
         socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b:
        for sock in (a, b):
            sock.bind(("127.0.0.1", 0))
            sock.settimeout(10.0)
        yield a, b


def start_relay(a: socket.socket, b: socket.socket, *flags: str,
                stdin: int = subprocess.PIPE) -> subprocess.Popen[str]:
    address = "{}:{}".format
    return subprocess.Popen(
        [sys.executable, "-m", "labchat", "relay", "--a", address(*a.getsockname()),
         "--b", address(*b.getsockname()), *flags],
        stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def listening(first_line: str) -> tuple[Address, Address]:
    """Where A and B send, from the relay command's first line on stderr."""
    return (parse_address(first_line.split("A sends to ")[1].split(",")[0]),
            parse_address(first_line.split("B sends to ")[1].strip()))


def test_the_relay_command_forwards_both_ways_and_logs_each_decision(
    two_sockets: tuple[socket.socket, socket.socket]
) -> None:
    a, b = two_sockets
    process = start_relay(a, b, "--jsonl", "--delay", "5", "--seed", "3")
    try:
        first = read_line(process.stderr)
        assert first.startswith("relay: A sends to 127.0.0.1:")
        listen_a, listen_b = listening(first)

        a.sendto(b"hello b", listen_a)
        assert b.recvfrom(2048) == (b"hello b", listen_b)
        b.sendto(b"hello a", listen_b)
        assert a.recvfrom(2048) == (b"hello a", listen_a)

        out, err = process.communicate(timeout=10)  # closes stdin: end of input stops it
    finally:
        process.kill()
        process.wait(timeout=10)
    assert process.returncode == 0
    decisions = [json.loads(line) for line in out.splitlines()]
    assert [(d["number"], d["direction"], d["action"], d["delays"]) for d in decisions] == \
        [(1, "A->B", "deliver", [0.005]), (1, "B->A", "deliver", [0.005])]
    assert "2 datagrams decided, 2 forwarded, 0 dropped" in err


def test_the_relay_command_stops_on_sigterm_and_drops_as_told(
    two_sockets: tuple[socket.socket, socket.socket]
) -> None:
    a, b = two_sockets
    # stdin at /dev/null: the relay runs until a signal (a background service).
    process = start_relay(a, b, "--loss", "1", "--jsonl", stdin=subprocess.DEVNULL)
    try:
        first = read_line(process.stderr)
        listen_a, _ = listening(first)
        a.sendto(b"into the void", listen_a)
        decision = json.loads(read_line(process.stdout))
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=10)
    finally:
        process.kill()
        process.wait(timeout=10)
    assert process.returncode == 0
    assert (decision["action"], decision["cause"]) == ("drop", "random")
    assert "1 datagrams decided, 0 forwarded, 1 dropped" in err


def test_the_relay_command_corrupts_one_bit_and_logs_which(
    two_sockets: tuple[socket.socket, socket.socket]
) -> None:
    a, b = two_sockets
    process = start_relay(a, b, "--corrupt", "1", "--jsonl", "--seed", "4")
    try:
        first = read_line(process.stderr)
        listen_a, _ = listening(first)
        a.sendto(b"hello b", listen_a)
        arrived, _ = b.recvfrom(2048)
        out, _ = process.communicate(timeout=10)
    finally:
        process.kill()
        process.wait(timeout=10)
    assert process.returncode == 0
    (decision,) = [json.loads(line) for line in out.splitlines()]
    (flip,) = decision["flips"]
    assert arrived == corrupted(b"hello b", (flip[0], flip[1])) != b"hello b"


@pytest.mark.parametrize("model", [ImpairmentModel(Impairment(corrupt=1.0), seed=2)])
def test_the_relay_records_the_bytes_that_arrived(trio: Trio, model: ImpairmentModel) -> None:
    a, relay, b = trio
    a.send("hello")
    assert relay.wait_for(lambda: settled(relay, 1))
    (record,) = relay.records()
    (decision,) = relay.decisions()
    assert record.corrupted and record.received == corrupted(record.payload, decision.flip(0))
    assert record.received == b"hdllo -0"  # seed 2 flips the lowest bit of byte 1
    # The report has no checksum: B hands the changed text over as if it were fine.
    assert b.wait_for_events("delivered", 1)
    assert texts(b, "delivered") == ["hdllo"]


@pytest.mark.parametrize(("flags", "message"), [
    (["--loss", "2"], "loss is a probability"),
    (["--corrupt", "-0.5"], "corrupt is a probability"),
    (["--delay", "-5"], "delay is a time"),
])
def test_bad_relay_settings_are_one_line_errors(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["relay", "--a", "127.0.0.1:1", "--b", "127.0.0.1:2", *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_bad_address_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["relay", "--a", "nowhere", "--b", "127.0.0.1:2"])
    assert exit_info.value.code == 2
    assert "HOST:PORT" in capsys.readouterr().err



def test_a_describe_that_raises_is_recorded_and_the_datagram_still_forwarded(
    two_sockets: tuple[socket.socket, socket.socket]
) -> None:
    a, b = two_sockets

    def broken(payload: bytes) -> Outgoing:
        raise ValueError("cannot describe")

    with UdpRelay(a.getsockname(), b.getsockname(), describe=broken) as relay:
        a.sendto(b"boom", relay.listen_a_address)
        assert b.recvfrom(2048) == (b"boom", relay.listen_b_address)
        assert relay.wait_for(lambda: settled(relay, 1))
    assert "cannot describe" in relay.errors[0]
    assert (relay.wire[0].label, relay.wire[0].fate) == ("boom", "delivered")


def test_with_a_shared_wire_log_the_relay_keeps_the_senders_own_records() -> None:
    log = WireLog()
    with UdpPeer(create_engine("go-back-n"), name="A", wire_log=log) as a, \
         UdpPeer(create_engine("go-back-n"), name="B", wire_log=log) as b, \
         UdpRelay(a.address, b.address, wire_log=log) as relay:
        a.connect(relay.listen_a_address)
        b.connect(relay.listen_b_address)
        relay.drop_next("A->B")
        a.send("m0")
        assert b.wait_for_events("delivered", 1)
        assert a.wait_for(lambda: a.unfinished() == 0)
        assert relay.wait_for(lambda: settled(relay, 3))
        records = relay.records()
        sent = [e for e in a.history if isinstance(e, DatagramSent)]
        received = [e for e in b.history if isinstance(e, DatagramReceived)]
        delivered = b.events("delivered")
    # The relay's records are the ones A wrote as it sent: same ids, seq, kind, state,
    # though the relay itself was given no ``describe``.
    assert [(r.id, r.source, r.kind, r.seq, r.fate) for r in records] == [
        (sent[0].record, "A", "data", 0, "dropped"),
        (sent[1].record, "A", "resend", 0, "delivered"),
        (records[2].id, "B", "ack", None, "delivered"),
    ]
    assert records[0].state is not None and records[0].state["next seq"] == 1
    # B knows which record it got, and its delivery names it as the cause.
    assert [e.record for e in received] == [sent[1].record]
    assert [e.cause for e in delivered] == [sent[1].record]
    assert relay.errors == []


def test_a_datagram_its_sender_never_recorded_is_labelled_from_its_bytes_and_noted() -> None:
    log = WireLog()
    with UdpPeer(create_engine("report"), name="B", wire_log=log) as b, \
         socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as forger:
        forger.bind(("127.0.0.1", 0))
        with UdpRelay(forger.getsockname(), b.address, wire_log=log,
                      describe=ReportEngine.describe) as relay:
            log.write(forger.getsockname(), SentDatagram(
                id=log.next_id(), payload=b"honest -0", kind="data", seq=None,
                label="honest -0", sent_at=0.0))
            forger.sendto(b"forged -0", relay.listen_a_address)
            assert relay.wait_for(lambda: settled(relay, 1))
            (record,) = relay.records()
            errors = list(relay.errors)
    assert (record.label, record.state) == ("forged -0", None)
    assert len(errors) == 1 and "matches no record its sender wrote" in errors[0]

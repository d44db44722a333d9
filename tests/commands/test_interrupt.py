"""Ctrl-C (SIGINT) ends every command with status 130 and no traceback, at start or later.

Each test interrupts a real ``python -m labchat`` process at a moment it can
observe from outside (a socket taken over, a line printed, CPU time spent), so the
moment is known without sleeping; every wait is bounded.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from .processes import (
    WAIT,
    Child,
    LabchatChat,
    children,
    port_of,
    udp_socket,
    wait_until_adopted,
    wait_until_udp_unbound,
)

INTERRUPTED = 130


def labchat(*arguments: str, handed: Sequence[socket.socket] = ()) -> Child:
    return Child([sys.executable, "-m", "labchat", *arguments], name="labchat", handed=handed)


def wait_until_busy(child: Child, cpu_seconds: float) -> None:
    """Wait (at most ``WAIT`` s) until the child has used ``cpu_seconds`` of CPU time."""
    stat = Path(f"/proc/{child.process.pid}/stat")
    ticks = os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        # Fields 14 and 15 (utime, stime) follow the ")" that ends the name.
        fields = stat.read_text().rpartition(")")[2].split()
        if (int(fields[11]) + int(fields[12])) / ticks >= cpu_seconds:
            return
        time.sleep(0.02)
    child.fail(f"did not use {cpu_seconds} s of CPU within {WAIT} s")


def assert_quiet_interrupt(child: Child) -> None:
    assert child.wait_exit() == INTERRUPTED, child.transcript()
    child.stderr.join(WAIT)
    assert not any("Traceback" in line or "KeyboardInterrupt" in line
                   for line in child.stderr.lines), child.transcript()


def test_chat_interrupted_while_starting_exits_130() -> None:
    with udp_socket() as listen, udp_socket() as silent, children() as started:
        port = port_of(listen)
        # It gets a copy: this one sees the moment it takes the socket over.
        chat = LabchatChat("A", listen.dup(), port_of(silent), "--jsonl")
        started.append(chat)
        wait_until_adopted(listen)  # the earliest moment it holds anything to release
        listen.close()
        chat.interrupt()
        assert_quiet_interrupt(chat)
        assert chat.stderr.lines == []
        # Interrupted before or after it said it listens: nothing was sent either way.
        assert chat.events("interrupted") in (
            [], [{"event": "interrupted", "unacknowledged": 0, "queued": 0}])
        wait_until_udp_unbound(port)


def test_chat_interrupted_later_reports_unacknowledged_and_queued_messages() -> None:
    with udp_socket() as listen, udp_socket() as silent, children() as started:
        # Nobody reads the peer's socket: the first message waits for an
        # ACK that never comes, and stop-and-wait queues the next two.
        chat = LabchatChat("A", listen, port_of(silent), "--jsonl",
                           "--protocol", "stop-and-wait", "--setting", "timeout=3")
        started.append(chat)
        chat.wait_events("listening")
        chat.type("one", "two", "three", "/mismatch")
        # The refusal of /mismatch comes after the three lines were handled.
        chat.wait_line("no count to falsify", stream="stderr")
        chat.interrupt()
        assert_quiet_interrupt(chat)
        assert [event["text"] for event in chat.events("sent")] == ["one"]
        assert chat.events("interrupted") == [
            {"event": "interrupted", "unacknowledged": 1, "queued": 2}]
        assert len(chat.stderr.lines) == 1


def test_chat_tells_a_person_what_an_interrupt_left_behind() -> None:
    with udp_socket() as silent, children() as started:
        chat = labchat("chat", "--peer", f"127.0.0.1:{port_of(silent)}",
                       "--protocol", "go-back-n", "--setting", "window=1",
                       "--setting", "timeout=3")
        started.append(chat)
        chat.wait_line("listening on", stream="stderr")
        chat.type("one", "two", "/mismatch")
        chat.wait_line("no count to falsify", stream="stderr")
        chat.interrupt()
        assert_quiet_interrupt(chat)
        chat.stdout.join(WAIT)
        assert chat.stdout.lines == [
            "* interrupted: 1 message(s) sent but not acknowledged, 1 still queued and never sent"
        ]


#: When the relay is interrupted: as soon as its first port is bound, or once it is serving.
RELAY_MOMENTS: dict[str, Callable[[Child], object]] = {
    "at start": lambda relay: None,
    "serving": lambda relay: relay.wait_line("relay: A sends to", stream="stderr"),
}


@pytest.mark.parametrize("moment", list(RELAY_MOMENTS))
def test_relay_interrupted_while_starting_or_later_exits_130(moment: str) -> None:
    with (udp_socket() as listen_a, udp_socket() as silent_a, udp_socket() as silent_b,
          children() as started):
        port = port_of(listen_a)
        handed = listen_a.dup()  # this copy sees the moment the relay takes it over
        relay = labchat("relay", "--a", f"127.0.0.1:{port_of(silent_a)}",
                        "--b", f"127.0.0.1:{port_of(silent_b)}",
                        "--listen-a", f"fd:{handed.fileno()}", handed=[handed])
        started.append(relay)
        wait_until_adopted(listen_a)
        listen_a.close()
        RELAY_MOMENTS[moment](relay)
        relay.interrupt()
        assert_quiet_interrupt(relay)
        assert relay.stdout.lines == []
        wait_until_udp_unbound(port)


def test_simulate_interrupted_while_running_exits_130() -> None:
    with children() as started:
        simulate = labchat("simulate", "--protocol", "go-back-n", "--messages", "10000000",
                           "--loss", "0.1", "--json")
        started.append(simulate)
        wait_until_busy(simulate, 1.0)  # well past start-up: inside the simulation
        simulate.interrupt()
        assert_quiet_interrupt(simulate)
        simulate.stdout.join(WAIT)
        assert simulate.stdout.lines == [] and simulate.stderr.lines == []

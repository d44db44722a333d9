"""The report's own client (``report_client.py``) chats with ``labchat chat``.

Both run as child processes on ports of 127.0.0.1 the system chose. The report's client
is read the way its user reads it: it prints each datagram whole, as
``\\rClient2: <text> -<n> \\n> `` (the ``\\r`` ends a line in text mode, so its
lines come out as ``Client2: <text> -<n> `` between ``> `` prompts). labchat is
read through its ``--jsonl`` events. What the report's parser gets wrong is
asserted as it is: labchat must work with the report's program, not fix it.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .processes import (
    WAIT,
    Child,
    LabchatChat,
    children,
    port_of,
    udp_ports_by_descriptor,
    udp_socket,
    wait_until_udp_unbound,
)

REPORT_CLIENT = Path(__file__).resolve().parent / "report_client.py"


class ReportClient(Child):
    """``report_client.py 0 0 DEST``, typed into and read like a person would.

    The report's program binds its two ports itself, so it is given port 0
    for both and its listening port is read back from the system once bound.
    """

    def __init__(self, destination: int) -> None:
        super().__init__(
            [sys.executable, "-u", str(REPORT_CLIENT), "0", "0", str(destination)],
            name="report client",
        )
        self.listen_port = 0

    def wait_listening(self) -> int:
        """Its listening port, once its listener thread has bound it.

        It binds its sending socket, then its listener's: the listener's
        descriptor is the higher of its two UDP sockets.
        """
        self.wait_line("^Client 1 up and listening$")
        deadline = time.monotonic() + WAIT
        while len(ports := udp_ports_by_descriptor(self.process.pid)) < 2:
            if time.monotonic() > deadline:
                self.fail(f"its listener bound no port within {WAIT} s")
            time.sleep(0.01)
        self.listen_port = ports[max(ports)]
        return self.listen_port

    def received(self, count: int) -> list[str]:
        """The first ``count`` datagrams it printed, as it printed them (``text -n``)."""
        lines = self.wait_line(r"^Client2: ", count=count)
        return [re.sub(r"^Client2: (.*) $", r"\1", line) for line in lines]


@dataclass
class Chat:
    report: ReportClient
    labchat: LabchatChat


@pytest.fixture
def chat() -> Iterator[Chat]:
    with udp_socket() as listen, children() as started:
        report = ReportClient(port_of(listen))
        started.append(report)
        # Its listener thread binds a moment after it says it listens: labchat
        # starts once that port is known, so nothing is sent earlier.
        labchat = LabchatChat("labchat", listen, report.wait_listening(), "--jsonl")
        started.append(labchat)
        labchat.wait_events("listening")
        yield Chat(report, labchat)


def test_plain_text_both_ways(chat: Chat) -> None:
    chat.report.type("hello client 2")
    assert chat.labchat.texts("delivered", 1) == ["hello client 2"]
    chat.labchat.type("hello to you too client 1")
    # The report's session, line for line: one sent and one received on each side.
    assert chat.report.received(1) == ["hello to you too client 1 -1"]
    chat.report.type("how are you?")
    assert chat.labchat.texts("delivered", 2) == ["hello client 2", "how are you?"]
    # No assertion on resends here: the report's listener prints a message
    # before it counts it, with no lock, so "how are you?" may carry 0 or 1.
    assert chat.labchat.events("rejected") == []


def test_persian_text_both_ways(chat: Chat) -> None:
    chat.report.type("سلام دنیا")
    assert chat.labchat.texts("delivered", 1) == ["سلام دنیا"]
    chat.labchat.type("سلام، خوبی؟")
    assert chat.report.received(1) == ["سلام، خوبی؟ -1"]
    assert chat.report.stderr.lines == []


def test_text_with_dashes(chat: Chat) -> None:
    """From the report to labchat, dashes are harmless; the other way, the report's
    ``split('-')`` reads a number inside the text as the count, and text that is
    not a number after a dash kills its listener thread. labchat survives both."""
    report, labchat = chat.report, chat.labchat
    report.type("self-test - one", "two-2")
    assert labchat.texts("delivered", 2) == ["self-test - one", "two-2"]

    # "x-1 -2" is split into ["x", "1 ", "2"]: the report reads the count as 1,
    # not 2 (the right count), and resends everything it ever sent.
    labchat.type("x-1")
    assert report.received(1) == ["x-1 -2"]
    assert labchat.texts("resend_received", 2) == ["self-test - one", "two-2"]

    # "a-b -2": the report counts it, then int("b ") raises ValueError in its
    # listener thread; the thread dies and its socket with it.
    labchat.type("a-b")
    assert report.received(2)[1] == "a-b -2"
    report.wait_line(r"^ValueError: invalid literal for int\(\) with base 10: 'b '$",
                     stream="stderr")
    wait_until_udp_unbound(report.listen_port)

    # The report's client is deaf now, but it still sends. labchat's next
    # message goes nowhere, so the report's count (2) is behind labchat's 3:
    # labchat's resend rule fires, and labchat goes on without a hitch.
    labchat.type("hello?")
    assert [e["text"] for e in labchat.wait_events("sent", 3)][2] == "hello?"
    report.type("anyone - there?")
    assert labchat.texts("delivered", 3)[2] == "anyone - there?"
    [resend] = labchat.wait_events("resend")
    assert (resend["carried"], resend["expected"], resend["messages"]) == (2, 3, 3)
    assert [e["text"] for e in labchat.wait_events("resent", 3)] == ["x-1", "a-b", "hello?"]
    assert labchat.events("rejected") == []
    assert labchat.process.poll() is None
    assert labchat.stderr.lines == []


def test_forced_mismatch_makes_the_report_client_resend_everything(chat: Chat) -> None:
    """The report's own test of its resend, done from labchat without editing the report."""
    report, labchat = chat.report, chat.labchat
    report.type("one", "two", "three")
    assert labchat.texts("delivered", 3) == ["one", "two", "three"]
    labchat.type("/mismatch", "are you there?")
    [forced] = labchat.wait_events("mismatch_forced")
    assert (forced["carried"], forced["true_count"]) == (2, 3)
    assert report.received(1) == ["are you there? -2"]
    assert labchat.texts("resend_received", 3) == ["one", "two", "three"]
    # Resent messages are shown, never counted.
    assert len(labchat.events("delivered")) == 3

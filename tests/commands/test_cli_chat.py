"""``python -m labchat chat``: two real CLI processes chatting through pipes.

Each test starts the processes it needs (bounded waits, killed on the way
out) and asserts what a user or a script would see: JSON events on stdout,
one-line errors on stderr, exit statuses, and ports freed after exit.
"""

from __future__ import annotations

import re
import socket
import sys
from collections.abc import Iterator

import pytest

from labchat.voice import user_text as u

from .processes import Child, LabchatChat, TerminalChild, children, port_of, udp_socket


@pytest.fixture
def pair() -> Iterator[tuple[LabchatChat, LabchatChat]]:
    """Chats A and B pointing at each other, both listening (--jsonl)."""
    with udp_socket() as listen_a, udp_socket() as listen_b, children() as started:
        port_a, port_b = port_of(listen_a), port_of(listen_b)
        a = LabchatChat("A", listen_a, port_b, "--jsonl")
        started.append(a)
        b = LabchatChat("B", listen_b, port_a, "--jsonl")
        started.append(b)
        for chat in (a, b):
            chat.wait_events("listening")
        yield a, b


def run_chat(*arguments: str) -> Child:
    return Child([sys.executable, "-m", "labchat", "chat", *arguments], name="labchat")


def test_the_first_line_tells_where_it_listens(pair: tuple[LabchatChat, LabchatChat]) -> None:
    a, b = pair
    [ready] = a.wait_events("listening")
    assert ready == {"event": "listening", "name": "A", "address": f"127.0.0.1:{a.port}",
                     "peer": f"127.0.0.1:{b.port}", "protocol": "report"}


def test_two_chats_talk_both_ways(pair: tuple[LabchatChat, LabchatChat]) -> None:
    a, b = pair
    a.type("hello client 2")
    assert b.texts("delivered", 1) == ["hello client 2"]
    b.type("سلام - خوبی؟", "", "//mismatch is just text")
    assert a.texts("delivered", 2) == ["سلام - خوبی؟", "/mismatch is just text"]
    a.type("bye")
    assert b.texts("delivered", 2) == ["hello client 2", "bye"]

    sent_by_b = b.wait_events("sent", 2)
    assert [event["text"] for event in sent_by_b] == ["سلام - خوبی؟", "/mismatch is just text"]
    # Every engine event carries its fields, and the transport's events are there too.
    assert set(a.wait_events("delivered")[0]) == {"event", "at", "text", "seq"}
    assert b.wait_events("datagram_sent", 2)[0]["kind"] == "data"
    assert a.events("resend") == [] and b.events("resend") == []
    assert a.stderr.lines == [] and b.stderr.lines == []


def test_mismatch_makes_the_other_side_resend_everything(
    pair: tuple[LabchatChat, LabchatChat],
) -> None:
    a, b = pair
    b.type("one", "two")
    assert a.texts("delivered", 2) == ["one", "two"]
    a.type("/mismatch", "are you there?")

    [forced] = a.wait_events("mismatch_forced")
    assert (forced["carried"], forced["true_count"]) == (1, 2)
    [resend] = b.wait_events("resend")
    assert (resend["carried"], resend["expected"], resend["messages"]) == (1, 2, 2)
    assert a.texts("resend_received", 2) == ["one", "two"]
    assert b.texts("delivered", 1) == ["are you there?"]
    # Resent messages are shown, never counted: A delivered only the first two.
    assert len(a.events("delivered")) == 2


def test_an_unknown_command_is_one_line_and_nothing_is_sent(
    pair: tuple[LabchatChat, LabchatChat],
) -> None:
    a, b = pair
    a.type("/nonsense here", "after")
    assert a.wait_line("unknown command", stream="stderr") == [
        "unknown command \u2068/nonsense\u2069; type \u2068//nonsense here\u2069 to send it as text"
    ]
    assert b.texts("delivered", 1) == ["after"]
    assert [event["text"] for event in a.wait_events("sent")] == ["after"]


def test_end_of_input_exits_zero_and_frees_the_port(
    pair: tuple[LabchatChat, LabchatChat],
) -> None:
    a, b = pair
    a.type("last words")
    a.end_input()
    assert a.wait_exit() == 0
    assert b.texts("delivered", 1) == ["last words"]
    assert a.stderr.lines == []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind(("127.0.0.1", a.port))


def test_ctrl_c_exits_130_and_frees_the_port(pair: tuple[LabchatChat, LabchatChat]) -> None:
    a, _ = pair
    a.interrupt()
    assert a.wait_exit() == 130
    assert a.events("interrupted") == [{"event": "interrupted", "unacknowledged": 0, "queued": 0}]
    assert a.stderr.lines == []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind(("127.0.0.1", a.port))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--peer", "127.0.0.1:9", "--bogus"], "unrecognized arguments: --bogus"),
        (["--listen", "127.0.0.1:0"], "the following arguments are required: --peer"),
        (["--peer", "localhost"], "argument --peer: expected HOST:PORT"),
        (["--peer", "127.0.0.1:70000"], "argument --peer: expected HOST:PORT"),
        (["--peer", "127.0.0.1:9", "--linger", "-1"], "argument --linger: expected"),
        (["--peer", "127.0.0.1:9", "--protocol", "carrier-pigeon"], "argument --protocol"),
        (["--peer", "127.0.0.1:9", "--setting", "window"], "expected --setting NAME=VALUE"),
        (["--peer", "127.0.0.1:9", "--protocol", "stop-and-wait", "--setting", "seq_bits=0"],
         "bad --setting for stop-and-wait: seq_bits (bits of a sequence number on the wire, "
         "1: alternating bit) must be a whole number from 1 to 16, got 0"),
        (["--peer", "127.0.0.1:9", "--setting", "window=4"],
         "bad --setting for report: report has no setting “\u2068window\u2069”"),
    ],
)
def test_a_bad_flag_is_one_line_and_status_2(arguments: list[str], message: str) -> None:
    with children() as started:
        chat = run_chat(*arguments)
        started.append(chat)
        assert chat.wait_exit() == 2
        chat.stderr.join(10)
        assert len(chat.stderr.lines) == 1, chat.transcript()
        assert message in chat.stderr.lines[0]
        assert chat.stdout.lines == []


def test_an_address_in_use_is_one_line_and_status_1() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken, children() as started:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        chat = run_chat("--listen", f"127.0.0.1:{port}", "--peer", "127.0.0.1:9")
        started.append(chat)
        assert chat.wait_exit() == 1
        chat.stderr.join(10)
        assert chat.stderr.lines == [
            f"labchat chat: error: cannot listen on 127.0.0.1:{port}: Address already in use"
        ]


@pytest.mark.parametrize(
    ("too_long", "size"),
    [("x" * 1100, 1100 + len(" -resend")), ("س" * 600, 1200 + len(" -resend"))],
    ids=["ascii", "persian"],
)
def test_a_too_long_message_is_refused_and_the_chat_goes_on(
    pair: tuple[LabchatChat, LabchatChat], too_long: str, size: int
) -> None:
    a, b = pair
    a.type(too_long, "short")
    [error] = a.wait_line("message too long", stream="stderr")
    assert error == (f"message too long: its datagram would be {size} bytes of UTF-8, "
                     "the limit is 1024 bytes")
    assert b.texts("delivered", 1) == ["short"]
    assert [event["text"] for event in a.wait_events("sent")] == ["short"]
    assert len(a.stderr.lines) == 1


def test_a_garbage_datagram_is_rejected_and_the_next_message_delivered(
    pair: tuple[LabchatChat, LabchatChat],
) -> None:
    a, b = pair
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
        stranger.sendto(b"\xff\xfe not text", ("127.0.0.1", b.port))
        stranger.sendto(b"no count here", ("127.0.0.1", b.port))
        rejected = b.wait_events("rejected", 2)
    assert rejected[0]["reason"] == "not valid UTF-8 at byte 0"
    assert rejected[1]["reason"] == "no ' -<count>' field at the end"
    assert rejected[1]["preview"] == "no count here"
    a.type("still here")
    assert b.texts("delivered", 1) == ["still here"]
    assert b.events("resend") == []


def test_human_mode_shows_messages_resends_and_rejects() -> None:
    """Without --jsonl, through pipes: one readable line per event."""
    with (udp_socket() as listen_a, udp_socket() as listen_b, children() as started,
          socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger):
        port_a, port_b = port_of(listen_a), port_of(listen_b)
        a = LabchatChat("A", listen_a, port_b, "--peer-name", "B")
        started.append(a)
        b = LabchatChat("B", listen_b, port_a, "--peer-name", "A")
        started.append(b)
        for chat in (a, b):
            chat.wait_line(r"listening on 127\.0\.0\.1:\d+, sending to", stream="stderr")
        b.type("one", "two")
        a.wait_line(f"^{u('B')}: {u('two')}$")
        a.type("/mismatch", "are you there?")
        assert a.wait_line(r"^\S*B\S* \(resent\): ", count=2) == [
            f"{u('B')} (resent): {u('one')}", f"{u('B')} (resent): {u('two')}"]
        assert b.wait_line(r"^\* \S*A\S* carried") == [
            f"* {u('A')} carried count 1, {u('we')} sent 2: resending all 2"
        ]
        stranger.bind(("127.0.0.1", 0))
        stranger.sendto(b"x -lots", ("127.0.0.1", port_a))
        source = f"127.0.0.1:{stranger.getsockname()[1]}"
        [rejected] = a.wait_line("^rejected")
        assert rejected == (f"rejected datagram from {source} (count field “\u2068lots\u2069” is "
                            f"neither a number nor 'resend'): {u('x -lots')}")
        assert a.stdout.lines[:2] == [f"{u('B')}: {u('one')}", f"{u('B')}: {u('two')}"]
        a.end_input()
        b.end_input()
        assert a.wait_exit() == 0 and b.wait_exit() == 0


def test_at_a_terminal_an_event_does_not_break_the_line_being_typed() -> None:
    """Under a pseudo-terminal the CLI uses prompt_toolkit: a message that arrives
    while a line is half typed is shown, and the line is still sent whole."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other, children() as started:
        other.bind(("127.0.0.1", 0))
        other.settimeout(10)
        terminal = TerminalChild(
            [sys.executable, "-m", "labchat", "chat", "--name", "A", "--peer-name", "B",
             "--peer", f"127.0.0.1:{other.getsockname()[1]}"],
            name="labchat at a terminal",
        )
        started.append(terminal)
        terminal.wait_text("A>")
        address = re.search(r"listening on 127\.0\.0\.1:(\d+)", terminal.text)
        assert address is not None
        port = int(address.group(1))

        terminal.keys("half a li")
        terminal.wait_text("half a li")
        other.sendto(b"hello there -0", ("127.0.0.1", port))
        # The message is printed on its own line, then the prompt is redrawn
        # with the half-typed text, ready to go on.
        terminal.wait_text(f"{u('B')}: {u('hello there')}\r\nA> half a li")
        terminal.keys("ne\r")
        assert other.recvfrom(2048)[0] == b"half a line -1"
        terminal.wait_text("half a line\r\r\nA>")  # the next prompt is up
        terminal.keys("\x04")  # Ctrl-D at an empty prompt: end of input
        assert terminal.wait_exit() == 0

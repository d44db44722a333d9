"""``--listen fd:N`` (chat) and ``--listen-a/-b fd:N`` (relay): sockets handed to the command.

The parent binds port 0, reads the port and passes the socket to the child
process; the child listens on it and says where. Anything else given as
``fd:N`` is one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Sequence

import pytest

from .processes import (
    REPOSITORY,
    WAIT,
    LabchatChat,
    child_environment,
    children,
    port_of,
    udp_socket,
)


def run(*arguments: str, handed: Sequence[socket.socket] = ()) -> subprocess.CompletedProcess[str]:
    """``python -m labchat ARGUMENTS`` with no input, inheriting ``handed``."""
    return subprocess.run(
        [sys.executable, "-m", "labchat", *arguments], input="", capture_output=True, text=True,
        encoding="utf-8", cwd=REPOSITORY, env=child_environment(), timeout=WAIT,
        pass_fds=[sock.fileno() for sock in handed],
    )


def test_a_chat_listens_on_the_socket_it_was_handed() -> None:
    with udp_socket() as listen, udp_socket() as silent:
        port, peer = port_of(listen), f"127.0.0.1:{port_of(silent)}"
        done = run("chat", "--listen", f"fd:{listen.fileno()}", "--peer", peer, "--jsonl",
                   handed=[listen])
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[0] == (
        f'{{"event": "listening", "name": "me", "address": "127.0.0.1:{port}", '
        f'"peer": "{peer}", "protocol": "report"}}')


def test_a_message_already_waiting_in_the_handed_socket_is_shown() -> None:
    # The chat's thread reads it the moment it starts, before the chat could
    # subscribe to its events afterwards: the printer must be there from the first.
    with udp_socket() as listen, udp_socket() as partner, children() as started:
        partner.sendto(b"hello -0", listen.getsockname())  # the report's wire: "hello", count 0
        chat = LabchatChat("B", listen, port_of(partner), "--jsonl")
        started.append(chat)
        assert chat.texts("delivered", 1) == ["hello"]


def test_a_relay_listens_on_the_sockets_it_was_handed() -> None:
    with udp_socket() as listen_a, udp_socket() as listen_b, udp_socket() as silent:
        peer = f"127.0.0.1:{port_of(silent)}"
        ports = port_of(listen_a), port_of(listen_b)
        done = run("relay", "--a", peer, "--b", peer, "--listen-a", f"fd:{listen_a.fileno()}",
                   "--listen-b", f"fd:{listen_b.fileno()}", handed=[listen_a, listen_b])
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == (
        f"relay: A sends to 127.0.0.1:{ports[0]}, B sends to 127.0.0.1:{ports[1]}")


#: What is handed over as fd:N (None: nothing), and the one line that refuses it.
REFUSED = {
    "not a number": (None, "fd:three", "argument --listen: expected fd:N with N a file "
                                       "descriptor number, got “\u2068fd:three\u2069”"),
    "not open": (None, "fd:1000", "argument --listen: file descriptor 1000 is not an open "
                                  "socket: Bad file descriptor"),
    "not a socket": (None, "fd:0", "argument --listen: file descriptor 0 is not an open "
                                   "socket: Socket operation on non-socket"),
    "TCP": (socket.SOCK_STREAM, "fd:{fd}", "argument --listen: file descriptor {fd} is not "
                                           "an IPv4 UDP socket"),
    "not bound": (socket.SOCK_DGRAM, "fd:{fd}", "argument --listen: file descriptor {fd} is "
                                                "a UDP socket not bound to a port"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_chat_refuses_what_is_not_a_bound_udp_socket_in_one_line(case: str) -> None:
    kind, flag, message = REFUSED[case]
    with socket.socket(socket.AF_INET, kind or socket.SOCK_DGRAM) as sock:
        if kind == socket.SOCK_STREAM:
            sock.bind(("127.0.0.1", 0))  # bound, but not UDP
        descriptor = sock.fileno()
        handed = [] if kind is None else [sock]
        done = run("chat", "--peer", "127.0.0.1:9", "--listen", flag.format(fd=descriptor),
                   handed=handed)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [f"labchat chat: error: {message.format(fd=descriptor)}"]


def test_a_relay_refuses_one_socket_for_both_sides_in_one_line() -> None:
    with udp_socket() as listen, udp_socket() as silent:
        peer, descriptor = f"127.0.0.1:{port_of(silent)}", listen.fileno()
        done = run("relay", "--a", peer, "--b", peer, "--listen-a", f"fd:{descriptor}",
                   "--listen-b", f"fd:{descriptor}", handed=[listen])
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        f"labchat relay: error: --listen-a and --listen-b name the same file descriptor "
        f"{descriptor}: the relay needs one socket for each side"]


def test_a_relay_refuses_a_bad_descriptor_in_one_line() -> None:
    done = run("relay", "--a", "127.0.0.1:9", "--b", "127.0.0.1:9", "--listen-b", "fd:x")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        "labchat relay: error: argument --listen-b: expected fd:N with N a file descriptor "
        "number, got “\u2068fd:x\u2069”"]

"""Real chat processes: a restarted partner is noticed, and ``--secret-file`` refuses forgeries.

The restart is the classroom's most common event: B is killed mid-conversation
and a new B starts on the same port (the test binds port 0 and hands the
socket to B; once the old B is gone, the test binds that port again for the
new B: the scenario under test). Every wait is bounded; every child is stopped on the way out.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from labchat.commands.cli import main

from .processes import LabchatChat, children, port_of, udp_socket, wait_until_udp_unbound
from .test_ladder_udp import exited

SECRET = "3f1c5e0a9b7d2c4e6f8a1b3c5d7e9f01\n"


@pytest.mark.parametrize("protocol", ["go-back-n", "selective-repeat"])
def test_a_partner_killed_and_started_again_is_noticed_and_nothing_it_sends_is_lost(
    protocol: str,
) -> None:
    flags = ("--jsonl", "--protocol", protocol, "--linger", "5")
    with (udp_socket() as listen_a, udp_socket() as listen_b, children() as started,
          socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listen_again):
        port_a, port_b = port_of(listen_a), port_of(listen_b)
        a = LabchatChat("A", listen_a, port_b, *flags)
        old_b = LabchatChat("B", listen_b, port_a, *flags)
        started += [a, old_b]
        for chat in (a, old_b):
            chat.wait_events("listening")
        a.type("before")
        old_b.type("old b")
        old_b.wait_events("delivered")
        a.wait_events("delivered")
        a.wait_events("acked")  # else "before" is rightly sent to the new b again
        old_b.close()  # killed: no goodbye, its port is free again
        wait_until_udp_unbound(port_b)
        a.type("while b is down")
        listen_again.bind(("127.0.0.1", port_b))  # B's port again: the restart under test
        new_b = LabchatChat("B", listen_again, port_a, *flags)
        started.append(new_b)
        new_b.wait_events("listening")
        new_b.type(*(f"new b{n}" for n in range(5)))
        (restarted,) = a.wait_events("peer_restarted")
        texts = a.texts("delivered", 6)
        assert texts == ["old b", *(f"new b{n}" for n in range(5))]
        assert new_b.texts("delivered", 1) == ["while b is down"]
        for chat in (a, new_b):
            chat.end_input()
            assert exited(chat, 10) == 0, chat.transcript()
        assert a.events("gave_up") == new_b.events("gave_up") == []
        assert a.events("unacknowledged") == new_b.events("unacknowledged") == []
        assert restarted["resent"] == 1
    for port in (port_a, port_b):
        wait_until_udp_unbound(port)


def test_with_a_shared_secret_a_forged_datagram_is_rejected_and_shown(tmp_path: Path) -> None:
    key = tmp_path / "chat.key"
    key.write_text(SECRET)
    flags = ("--jsonl", "--protocol", "go-back-n", "--secret-file", str(key))
    with (udp_socket() as listen_a, udp_socket() as listen_b, children() as started,
          socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as forger):
        port_a, port_b = port_of(listen_a), port_of(listen_b)
        a = LabchatChat("A", listen_a, port_b, *flags)
        # Hearing anyone stands in for a forger who can send from A's address.
        b = LabchatChat("B", listen_b, port_a, *flags, "--accept-from-anyone")
        started += [a, b]
        for chat in (a, b):
            chat.wait_events("listening")
        a.type("hello")
        assert b.texts("delivered", 1) == ["hello"]
        forger.sendto(b"@00000001/- D 1 - FORGED", ("127.0.0.1", port_b))
        forger.sendto(b"@00000001/-/5#" + b"0" * 32 + b" D 1 - FORGED", ("127.0.0.1", port_b))
        reasons = [e["reason"] for e in b.wait_events("rejected", 2)]
        assert reasons == ["not signed, but this side requires the shared secret",
                           "the MAC does not match: forged, or another secret"]
        a.type("world")
        assert b.texts("delivered", 2) == ["hello", "world"]
        for chat in (a, b):
            chat.end_input()
            assert exited(chat, 10) == 0, chat.transcript()
        assert b.events("peer_restarted") == []
    for port in (port_a, port_b):
        wait_until_udp_unbound(port)


@pytest.mark.parametrize(("protocol", "content", "message"), [
    ("go-back-n", None, "cannot read the secret file {key}: No such file or directory"),
    ("go-back-n", "short\n", "the secret in {key} has 5 bytes; use at least 16"),
    ("report", SECRET, "the report rung has no envelope: --secret-file needs repaired, "
                       "stop-and-wait, go-back-n or selective-repeat"),
])
def test_a_bad_secret_file_is_one_line_and_status_2(
    protocol: str, content: str | None, message: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = tmp_path / "chat.key"
    if content is not None:
        key.write_text(content)
    status = main(["chat", "--peer", "127.0.0.1:9", "--protocol", protocol,
                   "--secret-file", str(key)])
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err.splitlines() == [f"labchat chat: error: {message.format(key=key)}"]


def test_a_stranger_is_shown_with_its_source_and_not_as_the_peer() -> None:
    with (udp_socket() as listen_b, udp_socket() as silent_a, children() as started,
          socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger):
        port_b = port_of(listen_b)
        stranger.bind(("127.0.0.1", 0))
        b = LabchatChat("B", listen_b, port_of(silent_a), "--jsonl", "--protocol", "go-back-n")
        started.append(b)
        b.wait_events("listening")
        stranger.sendto(b"D 0 - FORGED", ("127.0.0.1", port_b))
        (event,) = b.wait_events("stranger")
        assert event["source"] == f"127.0.0.1:{stranger.getsockname()[1]}"
        assert event["preview"] == "D 0 - FORGED"
        b.end_input()
        assert exited(b, 10) == 0, b.transcript()
        assert b.events("delivered") == []
    wait_until_udp_unbound(port_b)

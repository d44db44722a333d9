"""A peer and a relay take over sockets already bound, and ``fd:N`` names such a socket.

A parent that binds port 0 and hands the socket on knows the port before
the child starts, with no moment in which another process could take it.
The adopted socket is used exactly as one the peer or relay bound itself:
same receive buffer, non-blocking, and closed when they close.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from labchat.protocols import create_engine
from labchat.udp.peer import UdpPeer, parse_listen
from labchat.udp.relay import UdpRelay


@pytest.fixture
def bound() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock


def test_a_peer_adopts_a_bound_socket_and_chats_on_it(bound: socket.socket) -> None:
    port = bound.getsockname()[1]
    with UdpPeer(create_engine("go-back-n", window=512), bind=bound, name="A") as a, \
         UdpPeer(create_engine("go-back-n", window=512), name="B") as b:
        assert a.address == ("127.0.0.1", port)
        a.connect(b.address)
        b.connect(a.address)
        a.send("hello - سلام")
        assert b.wait_for_events("delivered", 1)
        b.send("back")
        assert a.wait_for_events("delivered", 1)
        assert [event.to_dict()["text"] for event in b.events("delivered")] == ["hello - سلام"]
        # Sized for a 512-message window as a socket it binds itself, and never blocking.
        assert a.receive_buffer == b.receive_buffer
        assert bound.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == a.receive_buffer
        assert not bound.getblocking()
    assert bound.fileno() == -1  # closed with the peer


def test_a_relay_adopts_both_listening_sockets() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listen_a, \
         socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listen_b, \
         socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer_a, \
         socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer_b:
        for sock in (listen_a, listen_b, peer_a, peer_b):
            sock.bind(("127.0.0.1", 0))
        peer_b.settimeout(5)
        ports = listen_a.getsockname(), listen_b.getsockname()
        with UdpRelay(peer_a.getsockname(), peer_b.getsockname(), listen_a=listen_a,
                      listen_b=listen_b) as relay:
            assert (relay.listen_a_address, relay.listen_b_address) == ports
            peer_a.sendto(b"through the relay", ports[0])
            data, source = peer_b.recvfrom(2048)
            assert (data, source) == (b"through the relay", ports[1])
        assert listen_a.fileno() == listen_b.fileno() == -1  # closed with the relay


def test_fd_n_names_the_bound_udp_socket_on_that_descriptor(bound: socket.socket) -> None:
    adopted = parse_listen(f"fd:{bound.fileno()}")
    assert isinstance(adopted, socket.socket)
    try:
        assert adopted.fileno() == bound.fileno()
        assert adopted.getsockname() == bound.getsockname()
    finally:
        adopted.detach()  # the descriptor is ``bound``'s: it closes it
    assert parse_listen("127.0.0.1:5000") == ("127.0.0.1", 5000)


@pytest.mark.parametrize(("kind", "message"), [
    ("tcp", "file descriptor {fd} is not an IPv4 UDP socket"),
    ("unbound", "file descriptor {fd} is a UDP socket not bound to a port"),
])
def test_a_socket_that_cannot_listen_is_refused_and_left_open(kind: str, message: str) -> None:
    kinds = {"tcp": socket.SOCK_STREAM, "unbound": socket.SOCK_DGRAM}
    with socket.socket(socket.AF_INET, kinds[kind]) as sock:
        if kind == "tcp":
            sock.bind(("127.0.0.1", 0))
        with pytest.raises(ValueError) as refused:
            parse_listen(f"fd:{sock.fileno()}")
        assert str(refused.value) == message.format(fd=sock.fileno())
        assert sock.fileno() >= 0
        sock.getsockname()  # still open: refusing it did not close it


@pytest.mark.parametrize("text", ["fd:", "fd:x", "fd:-1", "fd:²", "fd:99999999999999999999"])
def test_fd_without_a_descriptor_number_is_refused(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_listen(text)
    assert str(refused.value) == (f"expected fd:N with N a file descriptor number, "
                                  f"got “\u2068{text}\u2069”")

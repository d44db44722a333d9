"""The relay forwards only its two peers' datagrams and keeps bounded memory.

Real sockets on 127.0.0.1, ports chosen by the system; every wait is bounded.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from labchat.udp.relay import STORED_BYTES, UdpRelay


@pytest.fixture
def ends() -> Iterator[tuple[socket.socket, socket.socket, socket.socket]]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a, \
         socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b, \
         socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
        for sock in (a, b, stranger):
            sock.bind(("127.0.0.1", 0))
            sock.settimeout(10.0)
        yield a, b, stranger


def test_a_stranger_is_not_forwarded_and_is_counted(
    ends: tuple[socket.socket, socket.socket, socket.socket],
) -> None:
    a, b, stranger = ends
    with UdpRelay(a.getsockname(), b.getsockname()) as relay:
        stranger.sendto(b"x -0", relay.listen_a_address)  # B would see it come from the relay
        a.sendto(b"hello -0", relay.listen_a_address)
        assert b.recvfrom(2048)[0] == b"hello -0"
        assert relay.wait_for(lambda: relay.strangers == 1)
        assert [r.payload for r in relay.records()] == [b"hello -0"]
        (note,) = relay.errors
    assert note == (f"ignored a datagram from 127.0.0.1:{stranger.getsockname()[1]} on the A "
                    "side: not that side's peer")


def test_accept_from_anyone_forwards_a_stranger(
    ends: tuple[socket.socket, socket.socket, socket.socket],
) -> None:
    a, b, stranger = ends
    with UdpRelay(a.getsockname(), b.getsockname(), accept_from_anyone=True) as relay:
        stranger.sendto(b"x -0", relay.listen_a_address)
        assert b.recvfrom(2048) == (b"x -0", relay.listen_b_address)
        assert relay.strangers == 0


def test_a_huge_datagram_goes_on_whole_and_is_kept_short(
    ends: tuple[socket.socket, socket.socket, socket.socket],
) -> None:
    a, b, _ = ends
    huge = bytes(range(256)) * 234  # 59,904 bytes
    with UdpRelay(a.getsockname(), b.getsockname()) as relay:
        a.sendto(huge, relay.listen_a_address)
        assert b.recvfrom(65535)[0] == huge
        assert relay.wait_for(lambda: relay.fates["delivered"] == 1)
        (record,) = relay.records()
    assert record.payload == huge[:STORED_BYTES]


def test_records_are_bounded_and_fates_still_counted(
    ends: tuple[socket.socket, socket.socket, socket.socket],
) -> None:
    a, b, _ = ends
    with UdpRelay(a.getsockname(), b.getsockname(), keep=10) as relay:
        for n in range(50):
            a.sendto(f"m{n} -0".encode(), relay.listen_a_address)
            assert b.recvfrom(2048)[0] == f"m{n} -0".encode()
        assert relay.wait_for(lambda: relay.fates["delivered"] == 50)
        records = relay.records()
        assert 10 <= len(records) < 20
        assert records[-1].payload == b"m49 -0"
        assert relay.decided() == 50
        assert 10 <= len(relay.decisions()) < 20  # the impairment decisions too

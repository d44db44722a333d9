"""A peer hears only its partner, summarises floods, and keeps bounded memory.

Real sockets on 127.0.0.1, ports chosen by the system; every wait is bounded.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from labchat.protocols import create_engine
from labchat.protocols.arq import seal
from labchat.udp.peer import UdpPeer, format_address


@pytest.fixture
def pair() -> Iterator[tuple[UdpPeer, UdpPeer]]:
    with UdpPeer(create_engine("go-back-n"), name="A") as a, \
         UdpPeer(create_engine("go-back-n"), name="B") as b:
        a.connect(b.address)
        b.connect(a.address)
        yield a, b


def test_a_stranger_is_shown_with_its_source_and_never_heard(
    pair: tuple[UdpPeer, UdpPeer],
) -> None:
    a, b = pair
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
        stranger.bind(("127.0.0.1", 0))
        stranger.sendto(b"D 0 - FORGED", b.address)
        assert b.wait_for_events("stranger")
        (event,) = b.events("stranger")
        assert event.to_dict() == {"event": "stranger", "at": event.at,
                                   "source": format_address(stranger.getsockname()),
                                   "size": 12, "preview": "D 0 - FORGED"}
    a.send("the real one")
    assert b.wait_for_events("delivered")
    assert [e.to_dict()["text"] for e in b.events("delivered")] == ["the real one"]
    assert b.count("datagram_received") == 1


def test_a_flood_from_fresh_ports_is_a_few_events_and_one_count(
    pair: tuple[UdpPeer, UdpPeer],
) -> None:
    a, b = pair
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
                   for _ in range(30)]
        for round_ in range(10):
            for sender in sockets:
                sender.sendto(f"D {round_} - spray".encode(), b.address)
            # Sent after the spray, so once it is delivered the spray was read
            # (in rounds, so the kernel's receive buffer never overflows).
            a.send(f"still talking {round_}")
            assert b.wait_for_events("delivered", round_ + 1)
    assert b.wait_for_events("flood")
    (flood,) = [e.to_dict() for e in b.events("flood")]
    assert flood["what"] == "stranger"
    assert flood["source"] == "127.0.0.1 (30 ports)"
    assert b.count("stranger") + flood["datagrams"] == 300
    assert b.count("stranger") == 3
    assert [e.to_dict()["text"] for e in b.events("delivered")] == [
        f"still talking {n}" for n in range(10)]


def test_accept_from_anyone_lets_the_attack_through() -> None:
    with UdpPeer(create_engine("go-back-n"), name="B", accept_from_anyone=True) as b, \
         socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as attacker:
        b.connect(("127.0.0.1", 9))
        attacker.sendto(seal(b"D 0 - FORGED"), b.address)  # a checksum is no secret
        assert b.wait_for_events("delivered")
        assert [e.to_dict()["text"] for e in b.events("delivered")] == ["FORGED"]
        assert b.events("stranger") == []


def test_the_report_rung_hears_any_port_of_its_partners_host() -> None:
    # The report's client sends each resend from a new socket: same host, new port.
    with UdpPeer(create_engine("report"), name="B") as b, \
         socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as partner, \
         socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as resender:
        partner.bind(("127.0.0.1", 0))
        b.connect(partner.getsockname())
        resender.sendto(b"old news -resend", b.address)
        assert b.wait_for_events("resend_received")
        assert b.events("stranger") == []


def test_memory_is_bounded_but_every_event_is_counted() -> None:
    with UdpPeer(create_engine("go-back-n", window=64), name="A", keep=50) as a, \
         UdpPeer(create_engine("go-back-n", window=64), name="B", keep=50) as b:
        a.connect(b.address)
        b.connect(a.address)
        for n in range(200):
            a.send(f"m{n}")
        assert b.wait_for_events("delivered", 200)
        assert a.wait_for(lambda: a.unfinished() == 0)
        assert len(b.history) == 50
        assert len(b.captured) == 50
        assert b.count("delivered") == 200
        assert [e.to_dict()["text"] for e in b.events("delivered")][-1] == "m199"

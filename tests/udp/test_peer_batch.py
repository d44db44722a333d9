"""A peer hands every datagram waiting at a wake-up to its engine as one batch."""

from __future__ import annotations

import socket

from labchat.protocols import create_engine
from labchat.udp.peer import UdpPeer

MESSAGES = 20


def texts(peer: UdpPeer) -> list[str]:
    return [event.to_dict()["text"] for event in peer.events("delivered")]


def test_datagrams_that_arrive_together_get_one_selective_ack_per_batch() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as partner, \
         UdpPeer(create_engine("selective-repeat", window=64, acks="selective",
                               checksum=False), name="B") as b:  # the wire written by hand
        partner.bind(("127.0.0.1", 0))
        partner.settimeout(5.0)
        b.connect(partner.getsockname())
        # While the peer is busy (its lock held) the datagrams queue up in its
        # socket: it reads them in at most two wake-ups, so two batches.
        with b._lock:
            for i in range(MESSAGES):
                partner.sendto(f"D {i} - m{i}".encode(), b.address)
        assert b.wait_for_events("delivered", MESSAGES, timeout=5.0)
        acks = [partner.recv(100)]
        while not acks[-1].endswith(f" {MESSAGES - 1}:".encode()):
            acks.append(partner.recv(100))
        assert texts(b) == [f"m{i}" for i in range(MESSAGES)]
        assert len(acks) <= 2
        assert b.count("datagram_sent") == len(acks)


def test_two_peers_with_selective_acks_finish_a_long_run_exactly_once_in_order() -> None:
    settings = {"window": 256, "acks": "selective", "max_retries": 30}
    with UdpPeer(create_engine("selective-repeat", **settings), name="A") as a, \
         UdpPeer(create_engine("selective-repeat", **settings), name="B") as b:
        a.connect(b.address)
        b.connect(a.address)
        for i in range(2_000):
            a.send(f"m{i}")
        assert b.wait_for_events("delivered", 2_000, timeout=60.0)
        assert a.wait_for(lambda: a.engine.unfinished() == 0, timeout=30.0)
        assert texts(b) == [f"m{i}" for i in range(2_000)]
        assert a.count("gave_up") == 0

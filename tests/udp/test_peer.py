"""Two real UDP peers in one process: they chat, survive garbage, and close cleanly."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator

import pytest

from labchat.errors import MessageTooLong, RemoteProtocolError
from labchat.events import Event
from labchat.protocols import create_engine
from labchat.protocols.report import decode
from labchat.udp import registry
from labchat.udp.peer import UdpPeer, parse_address, wait_until
from tests.conftest import labchat_threads


@pytest.fixture
def pair() -> Iterator[tuple[UdpPeer, UdpPeer]]:
    with UdpPeer(create_engine("report"), name="A") as a, \
         UdpPeer(create_engine("report"), name="B") as b:
        a.connect(b.address)
        b.connect(a.address)
        yield a, b


def texts(peer: UdpPeer, name: str) -> list[str]:
    return [event.to_dict()["text"] for event in peer.events(name)]


def test_two_peers_chat_both_ways(pair: tuple[UdpPeer, UdpPeer]) -> None:
    a, b = pair
    a.send("hello client 2")
    assert b.wait_for_events("delivered", 1)
    b.send("hello to you too client 1")
    assert a.wait_for_events("delivered", 1)
    a.send("سلام - خوبی؟")
    assert b.wait_for_events("delivered", 2)

    assert texts(b, "delivered") == ["hello client 2", "سلام - خوبی؟"]
    assert texts(a, "delivered") == ["hello to you too client 1"]
    assert a.snapshot() == {"sent": 2, "received": 1, "last carried": 1, "resends": 0}
    assert b.events("resend") == []


def test_a_forced_mismatch_makes_the_other_peer_resend(pair: tuple[UdpPeer, UdpPeer]) -> None:
    a, b = pair
    b.send("one")
    b.send("two")
    assert a.wait_for_events("delivered", 2)
    a.force_mismatch()
    a.send("are you there?")
    assert a.wait_for_events("resend_received", 2)
    assert texts(a, "resend_received") == ["one", "two"]
    assert [e.to_dict()["carried"] for e in b.events("resend")] == [1]


def test_close_stops_the_thread_and_frees_the_port() -> None:
    peer = UdpPeer(create_engine("report"), name="closing")
    address = peer.address
    assert peer in registry.open_resources()
    peer.close()
    peer.close()  # twice is harmless
    assert labchat_threads() == []
    assert peer not in registry.open_resources()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind(address)  # the port is free again
    with pytest.raises(RuntimeError, match="closed"):
        peer.send("too late")


def test_close_all_closes_every_open_peer() -> None:
    peers = [UdpPeer(create_engine("report"), name=f"p{i}") for i in range(3)]
    assert registry.close_all() == 3
    assert all(peer.closed for peer in peers)
    assert labchat_threads() == []


def test_a_thousand_garbage_datagrams_then_a_real_message(pair: tuple[UdpPeer, UdpPeer]) -> None:
    a, b = pair
    generator = random.Random(2026)
    garbage = [generator.randbytes(generator.randrange(0, 300)) for _ in range(1000)]

    def parses(payload: bytes) -> bool:
        try:
            decode(payload)
        except (RemoteProtocolError, ValueError):
            return False
        return True

    expected_rejects = sum(not parses(g) for g in garbage)
    assert expected_rejects > 990  # random bytes almost never look like "<text> -<n>"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as attacker:
        # In batches, so the kernel's receive buffer never overflows.
        for start in range(0, len(garbage), 100):
            for payload in garbage[start:start + 100]:
                attacker.sendto(payload, b.address)
            received = start + 100
            assert b.wait_for(lambda: b.received >= received)  # noqa: B023
    a.send("still there?")
    assert b.wait_for_events("delivered", 1 + len(garbage) - expected_rejects)
    assert texts(b, "delivered")[-1] == "still there?"
    # A few rejections are shown one by one, the rest of the flood is counted
    # (a summary comes once the sender has been quiet for a moment).
    def accounted() -> int:
        floods = [e.to_dict() for e in b.events("flood")]
        return len(b.events("rejected")) + sum(int(f["datagrams"]) for f in floods)

    assert b.wait_for(lambda: accounted() >= expected_rejects)
    assert accounted() == expected_rejects
    assert b.events("flood")
    assert {e.to_dict()["what"] for e in b.events("flood")} == {"rejected"}
    assert b.events("engine_error") == []


def test_an_oversized_datagram_is_rejected_not_cut(pair: tuple[UdpPeer, UdpPeer]) -> None:
    _, b = pair
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(b"x" * 2000 + b" -0", b.address)
    assert b.wait_for_events("rejected")
    assert "2003 bytes exceeds the 1024-byte limit" in b.events("rejected")[0].to_dict()["reason"]
    assert b.events("delivered") == []


def test_a_too_long_message_is_refused_and_the_peer_goes_on(pair: tuple[UdpPeer, UdpPeer]) -> None:
    a, b = pair
    with pytest.raises(MessageTooLong, match="limit is 1024 bytes"):
        a.send("x" * 2000)
    a.send("short")
    assert b.wait_for_events("delivered")
    assert texts(b, "delivered") == ["short"]


def test_a_broken_subscriber_does_not_kill_the_peer(pair: tuple[UdpPeer, UdpPeer]) -> None:
    a, b = pair
    seen: list[Event] = []

    def broken(event: Event) -> None:
        raise ZeroDivisionError

    b.subscribe(broken)
    unsubscribe = b.subscribe(seen.append)
    a.send("one")
    assert b.wait_for_events("delivered")
    unsubscribe()
    a.send("two")
    assert b.wait_for_events("delivered", 2)
    assert [e.name for e in seen].count("delivered") == 1
    assert b.subscriber_errors and isinstance(b.subscriber_errors[0], ZeroDivisionError)


def test_sending_without_a_peer_address_is_reported() -> None:
    with UdpPeer(create_engine("report"), name="alone") as alone:
        alone.send("anyone?")
        assert [e.name for e in alone.history] == ["sent", "transport_error"]


def test_wait_until_gives_up_after_its_timeout() -> None:
    assert wait_until(lambda: False, timeout=0.05) is False
    assert wait_until(lambda: True, timeout=0.05) is True


@pytest.mark.parametrize("text", ["127.0.0.1", "host:", ":80", "127.0.0.1:70000", "a:b"])
def test_bad_addresses_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_address(text)


def test_binding_a_port_in_use_raises_and_leaks_nothing() -> None:
    with UdpPeer(create_engine("report"), name="first") as first, pytest.raises(OSError):
        UdpPeer(create_engine("report"), bind=first.address, name="second")


def test_events_are_counted_as_they_happen(pair: tuple[UdpPeer, UdpPeer]) -> None:
    a, b = pair
    for i in range(30):
        a.send(f"m{i}")
    assert b.wait_for_events("delivered", 30)
    assert b.count("delivered") == len(b.events("delivered")) == 30
    assert a.count("sent") == len(a.events("sent"))
    assert b.count("no such event") == 0

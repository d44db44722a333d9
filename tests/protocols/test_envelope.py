"""The session envelope on a virtual clock: restarts noticed, forgeries refused.

Forgeries here are the ones a review of labchat made on a real network: a
forged message with the expected number, a forged skip mark, a forged ACK
for a message that never arrived, a blind spray of numbered datagrams, and a
replay. Without the secret each of them is a ``rejected`` event that changes
nothing. The restart case replaces one side's engine by a fresh one (a new
process on the same port): nothing the new side sends is lost, and nothing
is acknowledged that was not delivered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from labchat.events import DatagramRejected, MessageDelivered, PeerRestarted
from labchat.protocols import create_engine, create_enveloped
from labchat.protocols.base import Engine
from labchat.protocols.envelope import HEADER_ROOM, mac_of, parse
from tests.protocols.engine_pair import Pair, assert_exactly_once_in_order

QUICK: dict[str, Any] = {"timeout": 0.25, "max_timeout": 1.0, "max_retries": 3}
SECRET = b"correct horse battery staple"
LADDER = {
    "stop-and-wait": QUICK,
    "go-back-n": {**QUICK, "window": 4},
    "selective-repeat": {**QUICK, "window": 4},
}


def enveloped_pair(protocol: str, secret: bytes | None = SECRET) -> Pair:
    sessions = iter([0x1A2B3C4D, 0x5E6F7081, 0x92A3B4C5, 0xD6E7F809])
    return Pair(lambda: create_enveloped(protocol, next(sessions), secret, LADDER[protocol]))


def inner_of(payload: bytes) -> bytes:
    inner = parse(payload).inner
    assert inner is not None
    return inner


def forge(p: Pair, to: str, inner: bytes, number: int = 10**6) -> bytes:
    """What an attacker without the secret can send: the right sessions, a made-up MAC."""
    sender = p.engines["b" if to == "a" else "a"].snapshot()["session"]
    receiver = p.engines[to].snapshot()["session"]
    return f"@{sender}/{receiver}/{number}#{'0' * 32} ".encode() + inner


@pytest.mark.parametrize("protocol", LADDER)
def test_the_envelope_changes_nothing_a_user_sees(protocol: str) -> None:
    p = enveloped_pair(protocol)
    for n in range(6):
        p.send("a", f"a{n}")
        p.send("b", f"b{n}")
    p.drop(0)
    p.settle()
    assert_exactly_once_in_order(p)
    assert p.of("a", DatagramRejected) == p.of("b", DatagramRejected) == []


FORGED_INNER = {
    # the next expected number, delivered as the partner's text on every bare rung
    "a forged message with the expected number": b"D 0 - FORGED",
    # a skip mark that would make b skip messages a has not even sent yet
    "a forged skip mark": b"S 3 - 3 FORGED",
    # an ack for the message in flight, which never arrived
    "a forged ack for a message that never arrived": b"A 0",
}


@pytest.mark.parametrize("protocol", LADDER)
@pytest.mark.parametrize("case", FORGED_INNER)
def test_without_the_secret_a_forgery_is_rejected_and_loses_nothing(
    protocol: str, case: str
) -> None:
    p = enveloped_pair(protocol)
    p.send("a", "hello")
    p.send("b", "hi")
    p.settle()
    p.send("a", "real")  # in flight: the forgery races it
    p.send("b", "real too")
    before = {side: dict(p.engines[side].snapshot()) for side in ("a", "b")}
    p.inject("a", forge(p, "a", FORGED_INNER[case]))
    p.inject("b", forge(p, "b", FORGED_INNER[case]))
    for side in ("a", "b"):
        (event,) = p.of(side, DatagramRejected)
        assert isinstance(event, DatagramRejected)
        assert "the MAC does not match" in event.reason
        assert p.engines[side].snapshot() == before[side]
    p.settle()
    assert_exactly_once_in_order(p)


def test_a_blind_spray_of_numbered_datagrams_delivers_nothing() -> None:
    p = enveloped_pair("go-back-n")
    p.send("a", "hello")
    p.settle()
    for n in range(64):
        p.inject("b", forge(p, "b", f"D {n} - spray {n}".encode(), number=n))
        p.inject("b", f"D {n} - spray {n}".encode())  # and without any envelope
    assert p.delivered("b") == ["hello"]
    assert len(p.of("b", DatagramRejected)) == 128


def test_a_replayed_datagram_is_rejected() -> None:
    p = enveloped_pair("selective-repeat")
    p.send("a", "once")
    (flight,) = p.in_flight
    p.deliver(0)
    p.inject("b", flight.datagram.payload)  # an attacker replays the recorded datagram
    (event,) = p.of("b", DatagramRejected)
    assert isinstance(event, DatagramRejected)
    assert "was received before (a replay)" in event.reason
    assert p.delivered("b") == ["once"]


def test_the_mac_covers_the_whole_datagram() -> None:
    p = enveloped_pair("go-back-n")
    p.send("a", "pay alice")
    (flight,) = p.in_flight
    p.drop(0)
    tampered = flight.datagram.payload.replace(b"alice", b"mallory")
    p.inject("b", tampered)
    assert p.delivered("b") == []
    header = parse(flight.datagram.payload)
    assert header.mac == mac_of(SECRET, header.signed_part)


def test_sides_with_different_secrets_hear_nothing_from_each_other() -> None:
    secrets = iter([b"one", b"two"])
    p = Pair(lambda: create_enveloped("go-back-n", 7, next(secrets), LADDER["go-back-n"]))
    p.send("a", "hello")
    p.deliver(0)
    assert p.delivered("b") == []
    assert "the MAC does not match" in p.of("b", DatagramRejected)[0].reason  # type: ignore[attr-defined]


def test_a_side_without_a_secret_refuses_signed_datagrams_and_the_other_way_round() -> None:
    keys: list[bytes | None] = [SECRET, None]
    made = iter(keys)
    p = Pair(lambda: create_enveloped("go-back-n", 7, next(made), LADDER["go-back-n"]))
    p.send("a", "signed")
    p.send("b", "unsigned")
    p.deliver(0)
    p.deliver(0)
    reasons = [e.reason for side in ("a", "b") for e in p.of(side, DatagramRejected)]  # type: ignore[attr-defined]
    assert reasons == ["not signed, but this side requires the shared secret",
                       "signed with a secret, but this side has none"]


def test_the_report_rung_keeps_its_wire() -> None:
    with pytest.raises(ValueError, match="keeps its own wire"):
        create_enveloped("report", 7)


# -- restarts ------------------------------------------------------------------------


def numbered(protocol: str, secret: bytes | None, first: int) -> Callable[[], Engine]:
    """Engines with sessions ``first``, ``first + 1``, ... in the order they are made."""
    sessions = iter(range(first, first + 10))
    return lambda: create_enveloped(protocol, next(sessions), secret,
                                    LADDER.get(protocol, {}))


def restart(p: Pair, side: str, make: Callable[[], Engine]) -> None:
    """``side`` dies (its datagrams in flight are lost with it) and starts afresh."""
    p.in_flight = [f for f in p.in_flight if f.source != side]
    p.engines[side] = make()


@pytest.mark.parametrize("secret", [None, SECRET], ids=["plain", "signed"])
@pytest.mark.parametrize("protocol", [*LADDER, "repaired"])
def test_a_restarted_partner_is_noticed_and_none_of_its_messages_is_lost(
    protocol: str, secret: bytes | None
) -> None:
    p = Pair(numbered(protocol, secret, 0xA))  # a is 0000000a, b 0000000b
    for n in range(5):
        p.send("a", f"a{n}")
        p.send("b", f"old b{n}")
        p.settle()
    p.send("a", "a5 (b dies before it arrives)")
    restart(p, "b", numbered(protocol, secret, 0xC))
    p.sent["b"] = []
    p.events["b"] = []
    for n in range(5):
        p.send("b", f"new b{n}")
        p.send("a", f"after {n}")
        p.settle()
    (event,) = p.of("a", PeerRestarted)
    assert isinstance(event, PeerRestarted)
    assert (event.previous, event.session) == ("0000000b", "0000000c")
    # "a5" and "after 0" were unacknowledged, and on the repaired rung (whose
    # acks ride only on new messages) "a4" too: each is sent again.
    assert event.resent == (3 if protocol == "repaired" else 2)
    new_b = [e.text for e in p.of("a", MessageDelivered)
             if isinstance(e, MessageDelivered) and e.text.startswith("new")]
    assert new_b == [f"new b{n}" for n in range(5)]
    # Delivery across a restart is at least once: the repaired rung had not
    # heard that the old b got "a4", so the new b gets it too.
    again = ["a4"] if protocol == "repaired" else []
    assert p.delivered("b") == [*again, "a5 (b dies before it arrives)",
                                *(f"after {n}" for n in range(5))]
    assert p.gave_up("a") == p.gave_up("b") == []


def test_a_late_datagram_from_the_old_session_is_not_a_new_restart() -> None:
    p = Pair(numbered("go-back-n", None, 0xA))
    p.send("b", "old")
    p.settle()
    p.send("b", "late")
    (late,) = p.in_flight  # delayed in the network while b restarts
    p.drop(0)
    restart(p, "b", numbered("go-back-n", None, 0xC))
    p.send("b", "new")
    p.settle()
    p.inject("a", late.datagram.payload)
    assert len(p.of("a", PeerRestarted)) == 1
    assert "which the partner left when it restarted" in p.of("a", DatagramRejected)[-1].reason  # type: ignore[attr-defined]
    assert p.delivered("a") == ["old", "new"]


def test_a_restarted_side_that_says_nothing_is_still_noticed() -> None:
    # The new b has nothing to send: a's retransmissions, addressed to the old
    # b, are rejected and answered with an announcement, and a starts afresh.
    p = Pair(numbered("go-back-n", None, 0xA))
    p.send("a", "one")
    p.settle()
    p.send("a", "two")
    restart(p, "b", numbered("go-back-n", None, 0xC))
    p.events["b"] = []
    p.settle()  # "two" reaches the new b, addressed to the old one
    (rejected,) = p.of("b", DatagramRejected)
    assert isinstance(rejected, DatagramRejected)
    assert rejected.reason.startswith("addressed to session 0000000b, not this one (0000000c)")
    assert len(p.of("a", PeerRestarted)) == 1
    assert p.delivered("b") == ["two"]
    assert p.engines["a"].unfinished() == 0


def test_bare_engines_are_untouched_by_the_envelope_module() -> None:
    assert b"@" not in b"".join(
        d.payload for d in (lambda e: (e.send_message("x", 0.0), e.pop_datagrams())[1])(
            create_engine("go-back-n")))


def test_the_envelope_answers_for_its_rung_everything_a_driver_asks() -> None:
    bare = create_engine("go-back-n", window=1)
    wrapped = create_enveloped("go-back-n", 7, None, {"window": 1})
    for engine in (bare, wrapped):
        for text in ("one", "two", "three"):
            engine.send_message(text, 0.0)
    asked = ("unfinished", "queued", "unfinished_texts", "next_deadline")
    assert {name: getattr(wrapped, name)() for name in asked} == {
        name: getattr(bare, name)() for name in asked}
    assert {**bare.snapshot()}.items() <= {**wrapped.snapshot()}.items()
    assert wrapped.max_datagram == bare.max_datagram + HEADER_ROOM


def test_a_partner_without_the_envelope_is_answered_bare() -> None:
    # A student's engine speaks the bare rung: once it is heard, so do we.
    made = iter([create_engine("go-back-n"), create_enveloped("go-back-n", 7)])
    p = Pair(lambda: next(made))
    p.inject("b", b"garbage, not a datagram")  # rejected: it does not switch b to bare
    assert p.engines["b"].snapshot()["bare partner"] is False
    p.send("a", "from a bare engine")
    p.send("b", "hello")
    p.settle()
    assert p.delivered("b") == ["from a bare engine"]
    assert p.delivered("a") == ["hello"]
    assert p.engines["b"].snapshot()["bare partner"] is True
    assert len(p.of("b", DatagramRejected)) == 1


def test_with_a_secret_a_bare_datagram_is_rejected() -> None:
    engine = create_enveloped("go-back-n", 7, SECRET)
    engine.receive_datagram(b"D 0 - FORGED", 0.0)
    (event,) = engine.pop_events()
    assert isinstance(event, DatagramRejected)
    assert event.reason == "expected an envelope '@<session>/<session> ...'"

"""The report's protocol as a pure engine: its session, its rule, its flaws, no crashes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labchat.errors import MessageTooLong, UnsupportedCommand
from labchat.events import Event, MessageDelivered, ResendReceived, ResendStarted
from labchat.protocols import PROTOCOLS, create_engine
from labchat.protocols.mismatch import can_force_mismatch, force_mismatch
from labchat.protocols.report import ReportEngine, decode, encode
from labchat.protocols.settings import REPORT_RECV_BUFFER


def names(events: list[Event]) -> list[str]:
    return [event.name for event in events]


def carry(sender: ReportEngine, receiver: ReportEngine, now: float = 0.0) -> list[bytes]:
    """Hand every datagram queued by ``sender`` to ``receiver``; return the payloads."""
    payloads = [d.payload for d in sender.pop_datagrams()]
    for payload in payloads:
        receiver.receive_datagram(payload, now)
    return payloads


def test_the_reports_example_session_and_its_forced_resend() -> None:
    client1, client2 = ReportEngine(), ReportEngine()

    client1.send_message("hello client 2", 0.0)
    assert carry(client1, client2) == [b"hello client 2 -0"]
    assert client2.pop_events() == [MessageDelivered(at=0.0, text="hello client 2", seq=0)]

    client2.send_message("hello to you too client 1", 1.0)
    assert carry(client2, client1, 1.0) == [b"hello to you too client 1 -1"]
    assert names(client1.pop_events()) == ["sent", "delivered"]  # counts agree: no resend

    # The report's test of the resend, done on the wire: client 1 claims a wrong count.
    client1.force_mismatch(2.0)
    client1.send_message("how are you client 2?", 2.0)
    assert carry(client1, client2, 2.0) == [b"how are you client 2? -0"]
    assert "resend" in names(client2.pop_events())
    assert carry(client2, client1, 2.0) == [b"hello to you too client 1 -resend"]
    shown = [e for e in client1.pop_events() if isinstance(e, ResendReceived)]
    assert [e.text for e in shown] == ["hello to you too client 1"]
    assert client1.snapshot()["received"] == 1  # a resent message is shown, never counted


def test_after_one_lost_datagram_the_mismatch_never_heals() -> None:
    a, b = ReportEngine(), ReportEngine()
    a.send_message("lost", 0.0)
    a.pop_datagrams()  # the network drops it
    resent_per_reply = []
    for turn in range(1, 6):
        a.send_message(f"a{turn}", turn)
        carry(a, b, turn)
        b.send_message(f"b{turn}", turn)
        carry(b, a, turn)  # carries b's count, one short of what a has sent
        resent_per_reply.append(len(carry(a, b, turn)))
    # Every reply triggers a full resend, and each one is bigger than the last:
    # the resend volume grows with the whole history.
    assert resent_per_reply == [2, 3, 4, 5, 6]
    assert a.resends == 5
    assert b.snapshot()["received"] == 5  # "lost" is never counted, so the gap stays


def test_a_forged_count_makes_a_peer_resend_everything() -> None:
    victim = ReportEngine()
    for i in range(10):
        victim.send_message(f"m{i}", 0.0)
    victim.pop_datagrams()
    victim.receive_datagram(b"x -999", 1.0)
    assert len(victim.pop_datagrams()) == 10  # one small datagram in, ten out


def test_text_with_dashes_is_parsed_from_the_right_end() -> None:
    assert decode(b"a-b - c -3").text == "a-b - c"
    assert decode(b"a-b - c -3").count == 3
    assert decode(b"-resend -resend").count is None
    assert decode(encode("ends with space ", 4)).text == "ends with space "


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfehello -1", "not valid UTF-8"),
        (b"no count here", "no ' -<count>' field"),
        (b"hello -one", "neither a number nor 'resend'"),
        (b"hello -\xd9\xa3", "neither a number nor 'resend'"),  # an Arabic-Indic digit
        (b"x" * 1025, "exceeds the 1024-byte limit"),
    ],
)
def test_garbage_becomes_a_visible_rejected_event(payload: bytes, reason: str) -> None:
    engine = ReportEngine()
    engine.receive_datagram(payload, 0.0)
    (event,) = engine.pop_events()
    assert event.name == "rejected"
    assert reason in event.to_dict()["reason"]
    assert engine.snapshot()["received"] == 0
    assert engine.pop_datagrams() == []


@given(st.binary(max_size=2000))
def test_no_bytes_from_the_network_raise(payload: bytes) -> None:
    engine = ReportEngine()
    engine.send_message("something to resend", 0.0)
    engine.pop_events()
    engine.receive_datagram(payload, 1.0)
    events = engine.pop_events()
    assert events, "every datagram is either shown or rejected"
    assert events[0].name in {"delivered", "resend_received", "rejected"}


@given(st.text(max_size=300))
def test_any_text_within_the_limit_round_trips(text: str) -> None:
    a, b = ReportEngine(), ReportEngine()
    a.send_message(text, 0.0)
    carry(a, b)
    assert [e.text for e in b.pop_events() if isinstance(e, MessageDelivered)] == [text]


def test_persian_and_emoji_round_trip() -> None:
    a, b = ReportEngine(), ReportEngine()
    for text in ("سلام، حالت چطوره؟", "🙂 - 🙃", "-", "", "a -resend"):
        a.send_message(text, 0.0)
    carry(a, b)
    delivered = [e.text for e in b.pop_events() if isinstance(e, MessageDelivered)]
    assert delivered == ["سلام، حالت چطوره؟", "🙂 - 🙃", "-", "", "a -resend"]


def test_the_size_limit_counts_utf8_bytes_and_the_resend_form() -> None:
    engine = ReportEngine()
    room = REPORT_RECV_BUFFER - len(" -resend")  # the longer of the two forms
    engine.send_message("x" * room, 0.0)
    with pytest.raises(MessageTooLong) as refused:
        engine.send_message("x" * (room + 1), 0.0)
    assert "1025 bytes" in str(refused.value)
    assert "limit is 1024 bytes" in str(refused.value)
    with pytest.raises(MessageTooLong, match="1208 bytes"):
        engine.send_message("س" * 600, 0.0)  # 600 letters, 1200 bytes of UTF-8
    assert engine.snapshot()["sent"] == 1  # refused messages change nothing
    assert len(engine.pop_datagrams()) == 1


def test_forcing_a_mismatch_with_nothing_received_claims_one() -> None:
    a, b = ReportEngine(), ReportEngine()
    b.send_message("first", 0.0)
    b.pop_datagrams()  # lost: a has received nothing
    a.force_mismatch(0.0)
    a.send_message("hi", 0.0)
    assert carry(a, b) == [b"hi -1"]
    events = b.pop_events()
    assert not any(isinstance(e, ResendStarted) for e in events)  # b has sent 1: it fits
    mismatch = [e for e in a.pop_events() if e.name == "mismatch_forced"]
    assert mismatch and mismatch[0].to_dict()["true_count"] == 0


def test_unknown_protocol_and_unsupported_command_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="choose one of: report"):
        create_engine("tcp")
    engine = create_engine("report")
    assert isinstance(engine, ReportEngine)
    # Only the report's protocol has a count to falsify.
    assert can_force_mismatch(engine) and can_force_mismatch(ReportEngine)
    assert not any(can_force_mismatch(PROTOCOLS[name]) for name in PROTOCOLS if name != "report")
    with pytest.raises(UnsupportedCommand, match="no count to falsify"):
        force_mismatch(create_engine("go-back-n"), 0.0)

"""Datagrams handed over as a batch: selective ACKs answer the batch with one ACK."""

from __future__ import annotations

from labchat.protocols import create_engine, create_enveloped
from labchat.protocols.base import Engine


def hand_over(engine: Engine, payloads: list[bytes], now: float = 0.0) -> list[bytes]:
    for payload in payloads:
        engine.receive_datagram(payload, now, batch=True)
    engine.end_of_batch(now)
    return [datagram.payload for datagram in engine.pop_datagrams()]


DATA = [b"D 0 - a", b"D 1 - b", b"D 3 - d"]
#: The plain textbook wire, written by hand: no checksum in front.
PLAIN = {"checksum": False}


def test_a_batch_gets_one_selective_ack_that_names_all_of_it() -> None:
    engine = create_engine("selective-repeat", acks="selective", **PLAIN)
    assert hand_over(engine, DATA) == [b"A 1:3"]


def test_textbook_acks_still_answer_each_datagram_of_a_batch() -> None:
    engine = create_engine("selective-repeat", **PLAIN)
    assert hand_over(engine, DATA) == [b"A 0", b"A 1", b"A 3"]


def test_one_at_a_time_each_datagram_gets_its_selective_ack() -> None:
    engine = create_engine("selective-repeat", acks="selective", **PLAIN)
    for payload in DATA:
        engine.receive_datagram(payload, 0.0)
    assert [d.payload for d in engine.pop_datagrams()] == [b"A 0:", b"A 1:", b"A 1:3"]


def test_garbage_last_in_a_batch_does_not_swallow_the_ack() -> None:
    engine = create_engine("selective-repeat", acks="selective", **PLAIN)
    assert hand_over(engine, [*DATA, b"\xff garbage"]) == [b"A 1:3"]
    assert [e.name for e in engine.pop_events()][-1] == "rejected"


def test_an_enveloped_engine_passes_the_batch_through() -> None:
    a = create_enveloped("selective-repeat", 1, None, {"acks": "selective"})
    b = create_enveloped("selective-repeat", 2, None, {"acks": "selective"})
    for text in ("a", "b", "c"):
        a.send_message(text, 0.0)
    answers = hand_over(b, [d.payload for d in a.pop_datagrams()])
    assert len(answers) == 1 and answers[0].endswith(b" A 2:")
    assert [e.name for e in b.pop_events()].count("delivered") == 3

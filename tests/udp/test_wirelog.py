"""The shared wire log: a receiver gets back exactly the record its sender wrote."""

from __future__ import annotations

from labchat.udp.wirelog import SentDatagram, WireLog

A = ("127.0.0.1", 4000)
B = ("127.0.0.1", 4001)


def sent(log: WireLog, payload: bytes, seq: int) -> SentDatagram:
    return SentDatagram(id=log.next_id(), payload=payload, kind="data", seq=seq,
                        label=payload.decode(), sent_at=0.0, state={"sent": seq + 1})


def test_each_arrival_claims_the_record_its_sender_wrote_in_order() -> None:
    log = WireLog()
    first, second = sent(log, b"D 0 - same", 0), sent(log, b"D 0 - same", 0)
    other = sent(log, b"D 0 - from b", 0)
    log.write(A, first)
    log.write(A, second)
    log.write(B, other)
    # Equal payloads (a resend) are told apart by their order on the one socket.
    assert log.claim(A, b"D 0 - same").record == first
    assert log.claim(B, b"D 0 - from b").record == other
    assert log.claim(A, b"D 0 - same").record == second
    assert [first.id, second.id, other.id] == [0, 1, 2]


def test_records_written_before_the_one_that_arrived_never_arrived() -> None:
    log = WireLog()
    lost, kept = sent(log, b"one", 0), sent(log, b"two", 1)
    log.write(A, lost)
    log.write(A, kept)
    claim = log.claim(A, b"two")
    assert (claim.record, claim.lost) == (kept, (lost,))


def test_a_payload_its_sender_never_wrote_claims_nothing_and_consumes_nothing() -> None:
    log = WireLog()
    real = sent(log, b"real", 0)
    log.write(A, real)
    assert log.claim(A, b"forged").record is None
    assert log.claim(("127.0.0.1", 9), b"real").record is None
    assert log.claim(A, b"real").record == real

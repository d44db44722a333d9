"""Corruption on the wire, and the checksum that turns it into a loss.

One bit flipped on the way: the report's rung hands the changed text over
as if it were fine; the textbook rungs carry the Internet checksum (RFC 1071)
and reject the datagram visibly, so their timer repairs it like a loss.
"""

from __future__ import annotations

import pytest

from labchat.errors import RemoteProtocolError
from labchat.events import DatagramRejected, MessageDelivered
from labchat.protocols import create_engine
from labchat.protocols.arq import internet_checksum, seal, unseal
from labchat.sim.channel import Impairment, ImpairmentModel, corrupted
from labchat.sim.network import ManualNetwork, VirtualNetwork
from labchat.sim.simulator import simulate

# -- the network corrupts ---------------------------------------------------------------


def test_corruption_draws_leave_every_other_fate_of_the_seed_alone() -> None:
    base = Impairment(loss=0.2, duplicate=0.2, reorder=0.2, delay=0.01, jitter=0.01)
    plain, bad = ImpairmentModel(base, seed=5), ImpairmentModel(
        Impairment(**{**base.__dict__, "corrupt": 0.5}), seed=5)
    fates = [(plain.decide("A->B", 0.0, 20), bad.decide("A->B", 0.0, 20)) for _ in range(300)]
    assert all((p.action, p.delays, p.held) == (b.action, b.delays, b.held) for p, b in fates)
    flipped = [b for _, b in fates if any(flip is not None for flip in b.flips)]
    assert 0 < len(flipped) < 300
    assert all(p.flips == () for p, _ in fates)
    for decision in flipped:
        assert len(decision.flips) == len(decision.delays)  # one entry per copy delivered
        for flip in decision.flips:
            assert flip is None or (0 <= flip[0] < 20 and flip[1] in (1, 2, 4, 8, 16, 32, 64, 128))


def test_a_dropped_or_empty_datagram_is_never_corrupted() -> None:
    model = ImpairmentModel(Impairment(loss=0.5, corrupt=1.0), seed=3)
    decisions = [model.decide("A->B", 0.0, 10) for _ in range(40)]
    assert {d.action for d in decisions} == {"drop", "deliver"}
    assert all(d.flips == () for d in decisions if d.action == "drop")
    assert all(d.flips != () for d in decisions if d.action == "deliver")
    assert model.decide("A->B", 0.0, 0).flips == ()


def test_the_report_hands_over_corrupted_text_as_if_fine() -> None:
    network = ManualNetwork(create_engine("report"), create_engine("report"))
    network.send("A", "hi")
    (record,) = network.in_flight()
    network.corrupt(record.id, (0, 1))  # "h" (0x68) becomes "i" (0x69)
    assert network.wire[record.id].corrupted
    assert (record.payload, network.wire[record.id].received) == (b"hi -0", b"ii -0")
    assert [e.text for e in network.events["B"] if isinstance(e, MessageDelivered)] == ["ii"]
    assert not [e for e in network.events["B"] if isinstance(e, DatagramRejected)]


def test_a_flip_outside_the_datagram_is_refused_and_the_datagram_stays_in_flight() -> None:
    network = ManualNetwork(create_engine("report"), create_engine("report"))
    network.send("A", "hi")
    (record,) = network.in_flight()
    for flip in [(5, 1), (-1, 1), (0, 0), (0, 256)]:
        with pytest.raises(ValueError, match=r"^a flip is \(byte 0\.\.4, bit mask 1\.\.255\)"):
            network.corrupt(record.id, flip)
    assert [r.id for r in network.in_flight()] == [record.id]
    assert not network.wire[record.id].corrupted


def test_the_virtual_network_records_what_arrived() -> None:
    a, b = create_engine("report"), create_engine("report")
    network = VirtualNetwork(a, b, ImpairmentModel(Impairment(corrupt=1.0, delay=0.01), seed=1))
    network.send("A", "hello")
    network.run(until=0.05)
    first = network.wire[0]
    assert first.corrupted and first.received != first.payload
    assert len(first.received or b"") == len(first.payload)
    assert sum(x != y for x, y in zip(first.received or b"", first.payload, strict=True)) == 1
    assert first.received == corrupted(first.payload, network.model.decisions[0].flip(0))


def test_over_a_corrupting_network_the_report_delivers_garbled_text() -> None:
    clean = simulate("report", 200, seed=2)
    report = simulate("report", 200, corrupt=0.1, seed=2)
    assert clean.garbled_delivered == 0
    assert report.garbled_delivered > 0


# -- the checksum catches it ------------------------------------------------------------


def test_the_internet_checksum_of_rfc_1071s_example() -> None:
    # RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (one's complement).
    assert internet_checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0xFFFF - 0xDDF2
    assert internet_checksum(b"\x01") == 0xFFFF - 0x0100  # an odd byte is padded with zero
    assert seal(b"A 0") == f"{internet_checksum(b'A 0'):04x} A 0".encode()
    assert unseal(seal(b"D 0 - hi")) == b"D 0 - hi"


def test_every_single_bit_flip_fails_the_checksum() -> None:
    sealed = seal("D 3 2 سلام, hello".encode())
    for offset in range(len(sealed)):
        for bit in range(8):
            with pytest.raises(RemoteProtocolError, match=r"^corrupted: checksum mismatch"):
                unseal(corrupted(sealed, (offset, 1 << bit)))


@pytest.mark.parametrize("protocol", ["stop-and-wait", "go-back-n", "selective-repeat"])
def test_a_textbook_rung_rejects_the_corrupted_copy_and_resends(protocol: str) -> None:
    network = ManualNetwork(create_engine(protocol), create_engine(protocol))
    network.send("A", "hi")
    (record,) = network.in_flight()
    network.corrupt(record.id)
    (rejected,) = [e for e in network.events["B"] if isinstance(e, DatagramRejected)]
    assert rejected.reason.startswith("corrupted: checksum mismatch")
    assert not [e for e in network.events["B"] if isinstance(e, MessageDelivered)]
    assert network.in_flight() == []  # no ACK: to the sender it is a loss
    network.advance_to_next_timer()
    (resent,) = network.in_flight()
    assert resent.kind == "resend"
    network.deliver(resent.id)
    assert [e.text for e in network.events["B"] if isinstance(e, MessageDelivered)] == ["hi"]


def test_without_the_checksum_a_textbook_rung_is_fooled_too() -> None:
    engines = [create_engine("go-back-n", checksum=False) for _ in range(2)]
    network = ManualNetwork(engines[0], engines[1])
    network.send("A", "hi")
    (record,) = network.in_flight()
    network.corrupt(record.id)  # the last byte: "i" becomes "h"
    assert [e.text for e in network.events["B"] if isinstance(e, MessageDelivered)] == ["hh"]


def test_over_a_corrupting_network_the_checksum_keeps_every_message_right() -> None:
    report = simulate("report", 200, corrupt=0.1, seed=2)
    checked = simulate("go-back-n", 200, corrupt=0.1, seed=2)
    unchecked = simulate("go-back-n", 200, corrupt=0.1, seed=2, settings={"checksum": False})
    assert report.garbled_delivered > 0 and unchecked.garbled_delivered > 0
    assert (checked.delivered, checked.garbled_delivered, checked.duplicates_delivered) == \
        (200, 0, 0)
    assert checked.resends > 0


def test_a_corrupted_datagram_is_rejected_visibly_on_the_virtual_network() -> None:
    a, b = create_engine("stop-and-wait"), create_engine("stop-and-wait")
    network = VirtualNetwork(a, b, ImpairmentModel(Impairment(corrupt=1.0, delay=0.01), seed=1))
    network.send("A", "hello")
    network.run(until=0.05)
    assert network.wire[0].corrupted
    rejected = [e for e in network.events["B"] if isinstance(e, DatagramRejected)]
    assert rejected and rejected[0].reason.startswith("corrupted: checksum mismatch")
    assert not [e for e in network.events["B"] if isinstance(e, MessageDelivered)]

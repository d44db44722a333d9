"""Corruption on the wire, and the checksum that turns it into a loss.

One bit flipped on the way: the report's rung hands the changed text over
as if it were fine; the textbook rungs carry the Internet checksum (RFC 1071)
and reject the datagram visibly, so their timer repairs it like a loss.
"""

from __future__ import annotations

import pytest

from labchat.events import DatagramRejected, MessageDelivered
from labchat.protocols import create_engine
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

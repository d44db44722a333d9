"""The virtual-time and manual networks, with the report's engine and a tiny ACK engine.

The report's flaws are measured here as behaviour on the virtual network:
after one lost datagram the mismatch never heals, the resend volume grows
with the history, and both sides talking at once makes spurious resends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from labchat.errors import MessageTooLong, RemoteProtocolError
from labchat.events import (
    AckReceived,
    DatagramReceived,
    DatagramSent,
    DuplicateDiscarded,
    Event,
    MessageDelivered,
    MessageRetransmitted,
    MessageSent,
    ResendStarted,
    TimerExpired,
)
from labchat.protocols import create_engine
from labchat.protocols.base import Engine, Outgoing, decode_text, encode_text
from labchat.sim.channel import Impairment, ImpairmentModel
from labchat.sim.network import ManualNetwork, NetworkBusy, VirtualNetwork
from labchat.trace import Side


class TinyAck(Engine):
    """A test-only rung: numbered data, an ACK for each, a resend timer per message.

    Wire: ``D<seq>:<text>`` and ``A<seq>``. It retries forever, so it also
    serves as the "timer never stops" case.
    """

    protocol = "tiny-ack"

    def __init__(self, timeout: float = 1.0, **settings: Any) -> None:
        super().__init__(**settings)
        self.timeout = timeout
        self.next_seq = 0
        self.unacked: dict[int, tuple[str, float, int]] = {}  # seq -> text, deadline, attempt
        self.delivered: set[int] = set()

    def send_message(self, text: str, now: float) -> None:
        payload = encode_text(f"D{self.next_seq}:{text}")
        self._check_fits(len(payload))
        seq, self.next_seq = self.next_seq, self.next_seq + 1
        self.unacked[seq] = (text, now + self.timeout, 1)
        self._queue(Outgoing(payload, "data", seq, f"{text} #{seq}"))
        self._emit(MessageSent(at=now, text=text, seq=seq))

    def _handle_datagram(self, data: bytes, now: float) -> None:
        kind, seq, text = self.parse(data)
        if kind == "ack":
            if self.unacked.pop(seq, None) is not None:
                self._emit(AckReceived(at=now, acked=(seq,)))
            return
        self._queue(Outgoing(encode_text(f"A{seq}"), "ack", seq, f"ACK {seq}"))
        if seq in self.delivered:
            self._emit(DuplicateDiscarded(at=now, seq=seq))
        else:
            self.delivered.add(seq)
            self._emit(MessageDelivered(at=now, text=text, seq=seq))

    def handle_timer(self, now: float) -> None:
        for seq, (text, deadline, attempt) in sorted(self.unacked.items()):
            if deadline <= now:
                self.unacked[seq] = (text, now + self.timeout, attempt + 1)
                self._emit(TimerExpired(at=now, seq=seq, timeout=self.timeout))
                self._queue(Outgoing(encode_text(f"D{seq}:{text}"), "resend", seq,
                                     f"{text} #{seq}"))
                self._emit(MessageRetransmitted(at=now, text=text, seq=seq, attempt=attempt + 1))

    def next_deadline(self) -> float | None:
        return min((deadline for _, deadline, _ in self.unacked.values()), default=None)

    @staticmethod
    def parse(data: bytes) -> tuple[str, int, str]:
        line = decode_text(data)
        head, _, text = line[1:].partition(":")
        if line[:1] not in ("A", "D") or not head.isdigit():
            raise RemoteProtocolError("not a tiny-ack datagram")
        return ("ack" if line[0] == "A" else "data"), int(head), text

    @classmethod
    def _describe(cls, payload: bytes) -> Outgoing:
        kind, seq, _ = cls.parse(payload)
        return Outgoing(payload, "ack" if kind == "ack" else "data", seq, f"{kind} {seq}")

    def snapshot(self) -> Mapping[str, object]:
        return {"next seq": self.next_seq, "unacked": sorted(self.unacked)}

    def unfinished(self) -> int:
        return len(self.unacked)


def report_pair(model: ImpairmentModel | None = None) -> VirtualNetwork:
    return VirtualNetwork(create_engine("report"), create_engine("report"), model)


def named(network: VirtualNetwork | ManualNetwork, side: Side, name: str) -> list[Event]:
    return [event for event in network.events[side] if event.name == name]


def delivered_texts(network: VirtualNetwork | ManualNetwork, side: Side) -> list[str]:
    return [e.text for e in network.events[side] if isinstance(e, MessageDelivered)]


def resends(network: VirtualNetwork, side: Side) -> list[ResendStarted]:
    return [e for e in network.events[side] if isinstance(e, ResendStarted)]


def alternate(network: VirtualNetwork, rounds: int, gap: float = 1.0) -> None:
    """A and B take turns, one message each per ``gap`` seconds, never overlapping."""
    for i in range(rounds):
        network.schedule_send("A", f"a{i}", i * gap)
        network.schedule_send("B", f"b{i}", i * gap + gap / 2)
    network.run()


# -- the virtual network, with the report's engine ------------------------------------


def test_messages_arrive_in_order_after_the_link_delay() -> None:
    network = report_pair(ImpairmentModel(Impairment(delay=0.25)))
    for text in ("one", "two - with a dash", "سه"):
        network.send("A", text)
    network.run()

    assert delivered_texts(network, "B") == ["one", "two - with a dash", "سه"]
    assert [(r.source, r.fate, r.sent_at, r.arrived_at, r.kind, r.seq) for r in network.wire] \
        == [("A", "delivered", 0.0, 0.25, "data", seq) for seq in range(3)]
    assert network.wire[0].label == "one -0"
    assert network.now == 0.25
    assert [e.name for e in network.events["A"]][:2] == ["sent", "datagram_sent"]
    assert [e.name for e in network.events["B"]][:2] == ["datagram_received", "delivered"]
    assert network.step() is False  # quiet


def test_without_loss_taking_turns_never_resends() -> None:
    network = report_pair(ImpairmentModel(Impairment(delay=0.1)))
    alternate(network, 6)
    assert resends(network, "A") == resends(network, "B") == []
    assert len(network.wire) == 12


def test_after_one_lost_datagram_the_mismatch_never_heals() -> None:
    model = ImpairmentModel(Impairment(delay=0.1))
    model.drop_number("B->A", 1)  # B's first message, b0, is lost
    network = report_pair(model)
    alternate(network, 6)

    # Every later message from A carries a count one short, so B resends all
    # of its history each time; resends are never counted, so it never heals.
    b_resends = resends(network, "B")
    assert [(r.carried, r.expected) for r in b_resends] == [(i, i + 1) for i in range(5)]
    assert network.engines["A"].snapshot()["received"] == 5
    assert network.engines["B"].snapshot()["sent"] == 6
    assert resends(network, "A") == []
    # The lost message reached A's screen only as a resend, never as a delivery.
    assert "b0" not in delivered_texts(network, "A")
    assert [e.to_dict()["text"] for e in named(network, "A", "resend_received")][:1] == ["b0"]


def test_resend_volume_grows_with_the_history() -> None:
    model = ImpairmentModel(Impairment(delay=0.1))
    model.drop_number("B->A", 1)
    network = report_pair(model)
    alternate(network, 8)

    per_resend = [r.messages for r in resends(network, "B")]
    assert per_resend == list(range(1, 8))  # one resend per A message, each one longer
    resent = [r for r in network.wire if r.kind == "resend"]
    assert len(resent) == sum(per_resend) == 28  # quadratic in the history
    assert {r.source for r in resent} == {"B"}


def test_both_talking_at_once_makes_spurious_resends_without_any_loss() -> None:
    network = report_pair(ImpairmentModel(Impairment(delay=0.1)))
    network.send("A", "hello")
    network.send("B", "hi")  # both datagrams are in flight together
    network.run()

    assert {r.fate for r in network.wire} == {"delivered"}
    for side in ("A", "B"):
        assert [(r.carried, r.expected) for r in resends(network, side)] == [(0, 1)]
    assert sorted(r.label for r in network.wire if r.kind == "resend") == \
        ["hello -resend", "hi -resend"]


def test_a_network_duplicate_is_counted_twice_by_the_report() -> None:
    network = report_pair(ImpairmentModel(Impairment(duplicate=1.0, delay=0.1)))
    network.send("A", "once")
    network.run()

    original, copy = network.wire
    assert copy.copy_of == original.id and copy.cause == original.cause == "random"
    assert [r.fate for r in network.wire] == ["delivered", "delivered"]
    assert delivered_texts(network, "B") == ["once", "once"]


def test_a_forced_mismatch_makes_the_peer_resend() -> None:
    network = report_pair(ImpairmentModel(Impairment(delay=0.1)))
    network.send("B", "b0")
    network.run()
    network.force_mismatch("A")
    network.send("A", "a0")
    network.run()
    # A has received one message but claims none: B sees a mismatch.
    assert [r.label for r in network.wire] == ["b0 -0", "a0 -0", "b0 -resend"]


def test_run_until_stops_the_clock_there_and_keeps_the_rest_in_flight() -> None:
    network = report_pair(ImpairmentModel(Impairment(delay=1.0)))
    network.schedule_send("A", "early", 0.0)
    network.schedule_send("A", "late", 5.0)
    network.run(until=3.0)
    assert network.now == 3.0
    assert delivered_texts(network, "B") == ["early"]
    assert network.in_flight() == 0
    network.run()
    assert delivered_texts(network, "B") == ["early", "late"]
    assert network.now == 6.0
    with pytest.raises(ValueError, match=r"already at 6\.0"):
        network.schedule_send("A", "in the past", 1.0)


def test_a_message_too_long_raises_and_puts_nothing_on_the_wire() -> None:
    network = report_pair()
    with pytest.raises(MessageTooLong):
        network.send("A", "x" * 2000)
    assert network.wire == [] and network.events["A"] == []


def test_the_same_seed_gives_the_same_run_and_replay_reproduces_it() -> None:
    settings = Impairment(loss=0.2, duplicate=0.2, reorder=0.2, delay=0.1, jitter=0.05)

    def run(model: ImpairmentModel) -> VirtualNetwork:
        network = report_pair(model)
        alternate(network, 15, gap=0.2)  # overlapping, so resends happen too
        return network

    first = run(ImpairmentModel(settings, seed=4))
    again = run(ImpairmentModel(settings, seed=4))
    replayed = run(ImpairmentModel.replay(first.model.decisions))
    assert {r.fate for r in first.wire} == {"delivered", "dropped"}
    assert again.wire == first.wire
    assert replayed.wire == first.wire
    assert replayed.events == first.events


def test_record_false_keeps_nothing_but_counts_and_tells_the_listener() -> None:
    heard: list[tuple[Side, str]] = []
    network = VirtualNetwork(create_engine("report"), create_engine("report"),
                             record=False, listener=lambda side, e: heard.append((side, e.name)))
    network.send("A", "a")
    network.send("B", "b")
    network.run()
    assert network.wire == [] and network.events == {"A": [], "B": []}
    assert ("B", "delivered") in heard and ("A", "resend") in heard
    assert network.sent_by_kind == {"data": 2, "resend": 2}
    assert network.bytes_sent == len(b"a -0") * 2 + len(b"a -resend") * 2


# -- the virtual network, with timers ---------------------------------------------------


def test_a_lost_message_is_resent_when_its_timer_expires() -> None:
    model = ImpairmentModel(Impairment(delay=0.1))
    model.drop_next("A->B")
    network = VirtualNetwork(TinyAck(timeout=1.0), TinyAck(timeout=1.0), model)
    network.send("A", "hi")
    network.run()

    assert [(r.source, r.kind, r.sent_at, r.fate) for r in network.wire] == [
        ("A", "data", 0.0, "dropped"),
        ("A", "resend", 1.0, "delivered"),
        ("B", "ack", 1.1, "delivered"),
    ]
    assert network.wire[0].cause == "drop next"
    assert delivered_texts(network, "B") == ["hi"]
    assert network.now == pytest.approx(1.2) and network.next_timer() is None


def test_an_ack_arriving_exactly_at_the_deadline_is_in_time() -> None:
    network = VirtualNetwork(TinyAck(timeout=1.0), TinyAck(timeout=1.0),
                             ImpairmentModel(Impairment(delay=0.5)))
    network.send("A", "hi")
    network.run()
    assert [r.kind for r in network.wire] == ["data", "ack"]
    assert named(network, "A", "timeout") == []


def test_a_timer_that_never_stops_ends_in_network_busy() -> None:
    model = ImpairmentModel(Impairment(loss=1.0))
    network = VirtualNetwork(TinyAck(), TinyAck(), model)
    network.send("A", "into the void")
    with pytest.raises(NetworkBusy, match="still busy after 50 steps"):
        network.run(max_steps=50)
    assert network.now == 50.0  # one resend per virtual second
    network.run(until=60.0, max_steps=100)  # a bounded run is fine
    assert network.now == 60.0


# -- the manual network -----------------------------------------------------------------


def test_manual_delivery_takes_the_transit_time() -> None:
    network = ManualNetwork(create_engine("report"), create_engine("report"))
    network.send("A", "one")
    network.send("A", "two")
    first, second = network.in_flight()
    assert (first.fate, first.label, second.label) == ("in_flight", "one -0", "two -0")

    network.deliver(second.id)
    assert network.now == pytest.approx(0.1)
    network.deliver(first.id)
    assert network.now == pytest.approx(0.2)
    assert delivered_texts(network, "B") == ["two", "one"]  # the caller reordered them
    assert [r.fate for r in network.wire] == ["delivered", "delivered"]
    assert [r.arrived_at for r in network.wire] == [pytest.approx(0.2), pytest.approx(0.1)]
    assert network.in_flight() == []


def test_manual_drop_loses_the_datagram_without_moving_the_clock() -> None:
    network = ManualNetwork(create_engine("report"), create_engine("report"))
    network.send("B", "lost")
    (record,) = network.in_flight()
    network.drop(record.id)
    assert (network.wire[0].fate, network.wire[0].cause) == ("dropped", "manual")
    assert network.now == 0.0 and network.events["A"] == []
    with pytest.raises(ValueError, match="not in flight"):
        network.deliver(record.id)
    with pytest.raises(ValueError, match="not in flight"):
        network.drop(99)


def test_manual_duplicate_delivers_one_copy_and_keeps_another_in_flight() -> None:
    network = ManualNetwork(create_engine("report"), create_engine("report"))
    network.send("A", "twice")
    copy_id = network.duplicate(0)
    (copy,) = network.in_flight()
    assert (copy.id, copy.copy_of, copy.cause, copy.sent_at) == (copy_id, 0, "manual", 0.0)
    network.deliver(copy_id)
    assert delivered_texts(network, "B") == ["twice", "twice"]  # the report counts it again


def test_advance_to_next_timer_fires_the_resend() -> None:
    network = ManualNetwork(TinyAck(timeout=2.0), TinyAck(timeout=2.0))
    assert network.next_timer() is None and network.advance_to_next_timer() is False
    network.send("A", "hi")
    network.drop(0)
    assert network.next_timer() == 2.0
    assert network.advance_to_next_timer() is True
    assert network.now == 2.0
    (resent,) = network.in_flight()
    assert (resent.kind, resent.sent_at) == ("resend", 2.0)
    network.deliver(resent.id)
    (ack,) = network.in_flight()
    network.deliver(ack.id)
    assert network.next_timer() is None
    assert [type(e) for e in named(network, "A", "acked")] == [AckReceived]


def test_time_passing_during_a_delivery_fires_due_timers_first() -> None:
    network = ManualNetwork(TinyAck(timeout=0.08), TinyAck(), transit=0.1)
    network.send("A", "slow")
    network.deliver(0)
    # The timer (at 0.08) expired while the datagram crossed (0.1 s).
    assert [(r.kind, r.sent_at) for r in network.wire] == [("data", 0.0), ("resend", 0.08),
                                                           ("ack", 0.1)]
    network.advance(0.5)
    assert network.now == pytest.approx(0.6)
    with pytest.raises(ValueError, match="forward"):
        network.advance(-1.0)


def test_each_send_names_its_record_and_each_arrival_names_what_it_delivered() -> None:
    model = ImpairmentModel(Impairment(delay=0.1, duplicate=1.0))
    network = VirtualNetwork(create_engine("go-back-n"), create_engine("go-back-n"), model)
    network.send("A", "m0")
    network.run(until=0.15)
    (sent,) = [e for e in network.events["A"] if isinstance(e, DatagramSent)]
    original = network.wire[sent.record]  # type: ignore[index]
    # Written as it was sent: the sender's state then (one message in flight).
    assert (original.source, original.seq, original.copy_of) == ("A", 0, None)
    assert original.state is not None and original.state["next seq"] == 1
    copies = [r for r in network.wire if r.copy_of == original.id]
    assert [r.state for r in copies] == [None]  # the network made it, not the sender
    received = [e for e in network.events["B"] if isinstance(e, DatagramReceived)]
    assert [e.record for e in received] == [original.id, copies[0].id]
    # What B did on each arrival names that arrival; the second copy is a duplicate.
    caused = [(e.name, e.cause) for e in network.events["B"]
              if not isinstance(e, DatagramReceived | DatagramSent)]
    assert caused[0] == ("delivered", original.id)
    assert all(cause in (original.id, copies[0].id) for _, cause in caused)


def test_an_arrival_at_a_timers_deadline_is_in_time() -> None:
    # Timeout 0.2 s is exactly two manual transits: the ACK lands on the deadline.
    network = ManualNetwork(TinyAck(timeout=0.2), TinyAck(timeout=0.2), transit=0.1)
    network.send("A", "on time")
    network.deliver(0)
    (ack,) = network.in_flight()
    network.deliver(ack.id)
    assert network.now == pytest.approx(0.2)
    assert [r.kind for r in network.wire] == ["data", "ack"]
    assert network.next_timer() is None and named(network, "A", "timeout") == []


def test_a_timer_due_at_an_arrivals_instant_fires_after_it() -> None:
    # B's datagram does not stop A's timer: it is due at 0.1 and fires once the arrival is in.
    network = ManualNetwork(TinyAck(timeout=0.1), TinyAck(timeout=5.0), transit=0.1)
    network.send("A", "first")
    network.send("B", "crossing")
    network.deliver(1)
    names = [e.name for e in network.events["A"] if e.name in ("datagram_received", "timeout")]
    assert names == ["datagram_received", "timeout"]


def test_on_a_rated_manual_link_a_delivery_waits_for_the_datagram_to_leave() -> None:
    # 10-byte datagrams ("D0:aaaaaa", "D1:...") at 100 B/s: each takes about 0.1 s to leave.
    network = ManualNetwork(TinyAck(timeout=9.0), TinyAck(timeout=9.0), transit=0.1, rate=100.0)
    network.send("A", "aaaaaa")
    network.send("A", "bbbbbb")
    first, second = network.in_flight()
    network.deliver(second.id)  # queued behind the first: left at 0.18, arrives at 0.28
    assert network.wire[second.id].arrived_at == pytest.approx(0.28)
    network.deliver(first.id)  # left long ago: arrives one transit after now
    assert network.wire[first.id].arrived_at == pytest.approx(0.38)


def test_a_send_pattern_is_taken_as_it_comes_in_the_order_of_scheduled_sends() -> None:
    def network() -> VirtualNetwork:
        return VirtualNetwork(create_engine("selective-repeat"),
                              create_engine("selective-repeat"))

    sides: tuple[Side, Side] = ("B", "A")
    pattern = [(i // 3 * 0.1, sides[i % 2], f"m{i}") for i in range(12)]
    streamed, one_by_one = network(), network()
    streamed.schedule_sends(iter(pattern))
    assert len(streamed._queue) == 1  # only the next send waits in the queue
    for at, side, text in pattern:
        one_by_one.schedule_send(side, text, at)
    streamed.run()
    one_by_one.run()
    assert streamed.wire == one_by_one.wire
    assert streamed.events == one_by_one.events


def test_a_send_pattern_out_of_time_order_is_refused() -> None:
    network = VirtualNetwork(create_engine("report"), create_engine("report"))
    pattern: list[tuple[float, Side, str]] = [(0.5, "A", "late"), (0.2, "A", "early")]
    network.schedule_sends(iter(pattern))
    with pytest.raises(ValueError, match="must be in time order"):
        network.run()

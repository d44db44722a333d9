"""The student API: hooks in, helpers out, events and wire format like the textbook rungs."""

from __future__ import annotations

from collections.abc import Hashable

import pytest

from labchat.events import (
    DatagramRejected,
    GaveUp,
    MessageDelivered,
    MessageRetransmitted,
    MessageSent,
    TimerExpired,
)
from labchat.protocols import SettingError, create_engine, protocol_name, resolve_protocol
from labchat.protocols.student import StudentEngine


class Recorder(StudentEngine):
    """Writes down every hook call; sends what the test asks it to."""

    seq_bits = 2

    def setup(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    def on_message(self, text: str) -> None:
        self.calls.append(("message", text))
        self.send_data(len(self.calls), text)
        self.start_timer()

    def on_ack(self, ack: int) -> None:
        self.calls.append(("ack", ack))
        self.stop_timer()

    def on_data(self, seq: int, text: str) -> None:
        self.calls.append(("data", seq, text))
        self.deliver(text)
        self.send_ack(seq)

    def on_timeout(self, timer: Hashable) -> None:
        self.calls.append(("timeout", timer))
        if len([c for c in self.calls if c[0] == "timeout"]) > 1:
            self.give_up(1, "hi")
            return
        self.send_data(1, "hi")
        self.start_timer()


def test_a_message_goes_out_in_the_textbook_wire_format_with_a_timer() -> None:
    engine = Recorder(checksum=False)
    engine.send_message("hi", now=1.0)
    [datagram] = engine.pop_datagrams()
    assert (datagram.payload, datagram.kind, datagram.label) == (b"D 1 - hi", "data", "D1 ack- hi")
    assert engine.pop_events() == [MessageSent(at=1.0, text="hi", seq=0)]
    assert engine.next_deadline() == pytest.approx(1.2)
    assert engine.unfinished() == 1


def test_a_resend_from_the_timeout_counts_as_one_then_the_give_up_is_reported() -> None:
    engine = Recorder(checksum=False)
    engine.send_message("hi", now=0.0)
    engine.pop_datagrams()
    engine.pop_events()
    engine.handle_timer(now=0.1)  # not due: nothing happens
    assert engine.calls == [("message", "hi")]
    engine.handle_timer(now=0.2)
    [resend] = engine.pop_datagrams()
    assert resend.kind == "resend"
    assert engine.pop_events() == [
        TimerExpired(at=0.2, seq=0, timeout=0.2),
        MessageRetransmitted(at=0.2, text="hi", seq=0, attempt=2),
    ]
    engine.handle_timer(now=0.4)
    assert engine.pop_events() == [TimerExpired(at=0.4, seq=0, timeout=0.2),
                                   GaveUp(at=0.4, text="hi", seq=0, attempts=2)]
    assert engine.next_deadline() is None


def test_an_ack_riding_on_data_reaches_on_ack_before_on_data() -> None:
    engine = Recorder(checksum=False)
    engine.receive_datagram(b"D 3 2 hello", now=0.5)
    assert engine.calls == [("ack", 2), ("data", 3, "hello")]
    assert engine.pop_events() == [MessageDelivered(at=0.5, text="hello", seq=0)]
    assert [d.payload for d in engine.pop_datagrams()] == [b"A 3"]


@pytest.mark.parametrize("payload", [b"\xff 1 - hi", b"D 9 - out of a 2-bit space", b"X"])
def test_a_corrupted_datagram_is_rejected_before_any_hook_runs(payload: bytes) -> None:
    engine = Recorder(checksum=False)
    engine.receive_datagram(payload, now=0.0)
    assert engine.calls == []
    [event] = engine.pop_events()
    assert isinstance(event, DatagramRejected)


def test_numbers_are_taken_modulo_the_space_and_the_state_shows_public_attributes() -> None:
    engine = Recorder(seq_bits=3, window=2, checksum=False)
    assert (engine.modulus, engine.window, engine.seq_bits) == (8, 2, 3)
    engine.send_data(9, "wrapped")
    engine.send_ack(-1)
    assert [d.payload for d in engine.pop_datagrams()] == [b"D 1 - wrapped", b"A 7"]
    engine.start_timer(5, seconds=1.0)
    assert engine.snapshot() == {"calls": [], "timers": ["5"]}


def test_settings_are_checked_like_the_rungs_and_a_class_default_applies() -> None:
    assert Recorder().seq_bits == 2
    assert Recorder(seq_bits=4).seq_bits == 4
    with pytest.raises(SettingError, match="seq_bits"):
        Recorder(seq_bits=0)
    with pytest.raises(SettingError, match="Recorder has no setting “\u2068colour\u2069”"):
        create_engine(Recorder, colour=1)


def test_a_students_class_is_named_after_itself_and_resolves_as_it_is() -> None:
    assert protocol_name(Recorder) == "Recorder"
    assert resolve_protocol(Recorder) is Recorder
    assert StudentEngine.protocol == "student"
    with pytest.raises(ValueError, match=r"choose one of: report, .*or FILE\.py:CLASS"):
        resolve_protocol("carrier-pigeon")


def test_a_hook_left_unwritten_says_so() -> None:
    with pytest.raises(NotImplementedError, match="on_data is not written yet"):
        StudentEngine(checksum=False).receive_datagram(b"D 0 - hi", now=0.0)

"""The checks pass the model answers and name each mistake of a deliberately wrong engine."""

# The wrong engines extend the model answers, plain untyped files loaded at run time.
# mypy: disable-error-code="has-type"

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pytest

from labchat import voice
from labchat.build.exercises import EXERCISES, Report, check, suite
from labchat.build.judge import Failure
from labchat.protocols.student import StudentEngine
from tests.build.answers import ALL_KEYS, answer

StopAndWait: Any = answer("stop_and_wait")
GoBackNReceiver: Any = answer("gbn_receiver")
SelectiveRepeatReceiver: Any = answer("sr_receiver")
SelectiveRepeat: Any = answer("selective_repeat")


def failures(report: Report) -> list[Failure]:
    return [failure for failure, _ in report.failures()]


@pytest.mark.parametrize("key", ALL_KEYS)
def test_the_model_answer_passes_every_scenario(key: str) -> None:
    report = check(key, answer(key))
    assert report.failures() == []
    assert report.passed == report.total > 10
    assert str(report).endswith(f"all {report.total} scenarios pass.")


@pytest.mark.parametrize("key", ["stop_and_wait", "selective_repeat"])
def test_the_reference_rung_itself_passes_except_where_it_is_not_a_student_class(
        key: str) -> None:
    ex = next(e for e in EXERCISES if e.key == key)
    assert failures(check(key, ex.reference)) == []


def test_the_suites_wrap_around_duplicate_reorder_and_lose_and_corrupt_acks() -> None:
    names = " | ".join(s.name for s in suite("gbn_receiver"))
    for shown in ("wrap around", "duplicates", "reordered", "ACK is lost", "ACK corrupted",
                  "a long run", "the first ACK is corrupted"):
        assert shown in names
    long_run = max(suite("selective_repeat"), key=lambda s: s.messages)
    assert long_run.messages >= 40


# -- a wrong engine per failure class -----------------------------------------------------


class DeliversEveryCopy(StopAndWait):  # type: ignore[misc]
    """Forgets to check the number: a resend whose ACK was lost is delivered again."""

    def on_data(self, seq: int, text: str) -> None:
        self.deliver(text)
        self.expected = (seq + 1) % self.modulus
        self.send_ack(seq)


class DeliversOnArrival(SelectiveRepeatReceiver):  # type: ignore[misc]
    """Hands a message over as soon as it arrives, gap or not, instead of buffering it."""

    def on_data(self, seq: int, text: str) -> None:
        offset = (seq - self.base) % self.modulus
        if offset < self.window:
            self.send_ack(seq)
            if seq not in self.buffer:
                self.deliver(text)
                self.buffer[seq] = text
            while self.base in self.buffer:
                del self.buffer[self.base]
                self.base = (self.base + 1) % self.modulus
        elif offset >= self.modulus - self.window:
            self.send_ack(seq)


class AcksWhatArrived(GoBackNReceiver):  # type: ignore[misc]
    """Delivers in order but acknowledges the number that arrived, even beyond a gap."""

    def on_data(self, seq: int, text: str) -> None:
        if seq == self.expected:
            self.deliver(text)
            self.expected = (self.expected + 1) % self.modulus
        self.send_ack(seq)


class NeverResends(StopAndWait):  # type: ignore[misc]
    """Starts no timer: a lost message is never sent again."""

    def start_timer(self, timer: Hashable = "timer", seconds: float | None = None) -> None:
        pass


class AcceptsAnyWindow(SelectiveRepeat):  # type: ignore[misc]
    """Leaves out the check of the window against the sequence space."""

    def setup(self) -> None:
        self.window = min(self.window, self.modulus)  # the check, written wrongly
        saved, self.window = self.window, 1
        super().setup()
        self.window = saved


class ResendsAfterGivingUp(StopAndWait):  # type: ignore[misc]
    """Gives up, then sends the message once more anyway."""

    def on_timeout(self, timer: Hashable) -> None:
        if self.tries > self.max_retries:
            self.give_up(self.send_seq, self.sending)
            self.send_data(self.send_seq, self.sending)
            self.finish()
            return
        super().on_timeout(timer)


class GivesUpAtOnce(StopAndWait):  # type: ignore[misc]
    """Gives up on the first timeout."""

    def on_timeout(self, timer: Hashable) -> None:
        self.give_up(self.send_seq, self.sending)
        self.finish()


class NeverStopsTheTimer(StopAndWait):  # type: ignore[misc]
    """Keeps resending after the ACK: the run never goes quiet."""

    def on_ack(self, ack: int) -> None:
        if self.sending is not None and ack == self.send_seq:
            self.finish()

    def on_timeout(self, timer: Hashable) -> None:
        self.send_data(self.send_seq, "again")
        self.start_timer()


class CrashesOnAck(StopAndWait):  # type: ignore[misc]
    def on_ack(self, ack: int) -> None:
        raise KeyError(ack)


class Unwritten(StudentEngine):
    """The skeleton as a student finds it."""


@pytest.mark.parametrize(("key", "wrong", "failure", "words"), [
    ("stop_and_wait", DeliversEveryCopy, Failure.DUPLICATE, "to its user twice"),
    ("sr_receiver", DeliversOnArrival, Failure.OUT_OF_ORDER, "B delivered A0 after A1"),
    ("gbn_receiver", AcksWhatArrived, Failure.ACK_BEYOND_GAP, "A cumulative ACK names"),
    ("stop_and_wait", NeverResends, Failure.NO_RETRANSMIT, "never sent it again"),
    ("selective_repeat", AcceptsAnyWindow, Failure.WINDOW_TOO_LARGE, "accepted window=3"),
    ("stop_and_wait", ResendsAfterGivingUp, Failure.SENT_AFTER_GIVE_UP, "then sent it again"),
    ("stop_and_wait", GivesUpAtOnce, Failure.GAVE_UP_TOO_SOON, "after 1 transmission(s)"),
    ("stop_and_wait", NeverStopsTheTimer, Failure.NEVER_QUIET, "still busy"),
    ("stop_and_wait", CrashesOnAck, Failure.CRASHED, "raised KeyError: 0 in on_ack, line"),
])
def test_a_wrong_engine_gets_the_feedback_of_its_failure_class(
        key: str, wrong: type[StudentEngine], failure: Failure, words: str) -> None:
    report = check(key, wrong)
    found = failures(report)
    assert failure in found
    text = str(report)
    assert f"- {voice.failure_title(failure.value)}: " in text
    assert words in text
    assert report.passed < report.total


def test_a_selective_repeat_receiver_that_acks_the_expected_number_is_told_it_acks_a_gap() -> None:
    class AcksTheBase(SelectiveRepeatReceiver):  # type: ignore[misc]
        def send_ack(self, ack: int) -> None:
            super().send_ack(self.base)

    text = str(check("sr_receiver", AcksTheBase))
    assert "acknowledged beyond a gap: B sent ACK" in text
    assert "for a message it never received" in text


def test_the_shortest_scenario_showing_a_failure_is_the_one_named() -> None:
    report = check("stop_and_wait", DeliversEveryCopy)
    (failure, outcomes), *_ = report.failures()
    assert failure is Failure.DUPLICATE
    assert outcomes[0].run.size == min(o.run.size for o in outcomes)
    assert "the shortest: two messages, the first ACK is lost" in str(report)


def test_an_unwritten_skeleton_is_feedback_not_an_exception() -> None:
    report = check("gbn_sender", Unwritten)
    assert report.not_written()
    assert str(report) == ("Exercise 2 · Go-Back-N sender: not written yet: fill in the "
                           "hooks of the class and run the check again.")
    assert report.score == 0.0


def test_a_missing_class_or_a_non_engine_is_one_line() -> None:
    assert str(check("gbn_receiver", None)).endswith(
        "no class GoBackNReceiver found: define it (a subclass of StudentEngine) and run again.")
    assert "is not a protocol engine" in str(check("gbn_receiver", int))  # type: ignore[arg-type]

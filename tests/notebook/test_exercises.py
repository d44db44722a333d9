"""The exercise checks pass a correct rule and say precisely what is wrong with others."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from labchat.notebook.exercises import (
    backoff_scenarios,
    check_backoff,
    check_gbn_receiver,
    check_gbn_sender,
    gbn_receiver_scenarios,
    gbn_sender_scenarios,
)

# -- the Go-Back-N receiver ------------------------------------------------------------


def receive_correct(expected: int, seq: int) -> tuple[str, int | None]:
    action = "deliver" if seq == expected else "discard"
    have = expected + 1 if seq == expected else expected  # messages held in order
    return action, (have - 1 if have > 0 else None)


def receive_buffers_ahead(expected: int, seq: int) -> tuple[str, int | None]:
    # Delivers anything new, as if Go-Back-N kept a receive buffer.
    if seq >= expected:
        return "deliver", seq
    return "discard", expected - 1


def receive_acks_next_expected(expected: int, seq: int) -> tuple[str, int | None]:
    # TCP's convention (the next byte wanted) instead of this lab's (the last one held).
    action = "deliver" if seq == expected else "discard"
    return action, expected + 1 if seq == expected else expected


def receive_always_acks(expected: int, seq: int) -> tuple[str, int | None]:
    # Forgets that before the first message there is nothing to acknowledge.
    action, ack = receive_correct(expected, seq)
    return action, -1 if ack is None else ack


def test_the_receiver_scenarios_cover_every_case_the_engine_meets() -> None:
    scenarios = gbn_receiver_scenarios()
    calls = [(s.args["expected"], s.args["seq"], s.expected) for s in scenarios]
    assert any(seq == expected and answer[0] == "deliver" for expected, seq, answer in calls)
    assert any(seq < expected and answer[0] == "discard" for expected, seq, answer in calls)
    assert any(seq > expected and answer[0] == "discard" for expected, seq, answer in calls)
    assert any(answer[1] is None for _, _, answer in calls)  # nothing to ACK yet
    assert len({(e, s) for e, s, _ in calls}) == len(calls)  # each call once


def test_a_correct_receiver_passes_every_scenario() -> None:
    feedback = check_gbn_receiver(receive_correct)
    assert feedback.passed
    assert str(feedback) == f"Go-Back-N receiver: all {feedback.total} scenarios pass."


@pytest.mark.parametrize("wrong", [receive_buffers_ahead, receive_acks_next_expected,
                                   receive_always_acks])
def test_a_wrong_receiver_is_told_which_scenario_and_what_was_expected(
        wrong: Callable[[int, int], tuple[str, int | None]]) -> None:
    feedback = check_gbn_receiver(wrong)
    assert not feedback.passed
    first = feedback.failures[0]
    expected, seq = first.scenario.args["expected"], first.scenario.args["seq"]
    text = str(feedback)
    assert text.startswith(f"Go-Back-N receiver: {len(feedback.failures)} of "
                           f"{feedback.total} scenarios fail.")
    assert f"receive(expected={expected}, seq={seq})" in text
    assert f"expected {receive_correct(expected, seq)!r}, got {wrong(expected, seq)!r}" in text


def test_a_receiver_that_raises_is_reported_not_fatal() -> None:
    def crashes(expected: int, seq: int) -> tuple[str, int]:
        raise KeyError(seq)

    text = str(check_gbn_receiver(crashes))
    assert "raised KeyError: 1" in text or "raised KeyError: 0" in text
    assert "... and" in text  # the rest are summarised, not all printed


def test_a_receiver_returning_a_list_is_accepted() -> None:
    def as_list(expected: int, seq: int) -> list[object]:
        return list(receive_correct(expected, seq))

    assert check_gbn_receiver(as_list).passed


def test_passing_something_that_is_not_a_function_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="pass your function itself, not tuple"):
        check_gbn_receiver(receive_correct(0, 0))  # type: ignore[arg-type]


# -- the Go-Back-N sender and a cumulative ACK -----------------------------------------


def on_ack_correct(base: int, next_seq: int, ack: int) -> tuple[int, ...]:
    return tuple(range(base, ack + 1)) if base <= ack < next_seq else ()


def test_the_sender_scenarios_include_old_acks_and_acks_of_several_messages() -> None:
    answers = [s.expected for s in gbn_sender_scenarios()]
    assert () in answers
    assert any(len(answer) > 1 for answer in answers)


def test_the_sender_check_passes_a_correct_rule_and_catches_wrong_ones() -> None:
    assert check_gbn_sender(on_ack_correct).passed
    only_that_one = check_gbn_sender(lambda base, next_seq, ack: (ack,))
    assert not only_that_one.passed
    assert "expected (), got (0,)" in str(only_that_one)  # an old ACK acknowledges nothing
    off_by_one = check_gbn_sender(lambda base, next_seq, ack: tuple(range(base, ack)))
    assert "on_ack(base=0, next_seq=4, ack=0)\n    expected (0,), got ()" in str(off_by_one)


# -- the retransmission timeout --------------------------------------------------------


def timeouts_correct(timeout: float, max_timeout: float, max_retries: int) -> list[float]:
    waited, rto = [], timeout
    for _ in range(max_retries + 1):  # every retransmission, then the expiry that gives up
        waited.append(rto)
        rto = min(rto * 2, max_timeout)
    return waited


def test_the_backoff_scenarios_are_what_the_engine_waited() -> None:
    first = backoff_scenarios()[0]
    assert first.args == {"timeout": 0.2, "max_timeout": 3.2, "max_retries": 8}
    assert first.expected == [0.2, 0.4, 0.8, 1.6, 3.2, 3.2, 3.2, 3.2, 3.2]


def test_the_backoff_check_passes_a_correct_rule_and_catches_wrong_ones() -> None:
    assert check_backoff(timeouts_correct).passed
    powers = check_backoff(  # the same rule written with powers of two passes too
        lambda timeout, max_timeout, max_retries:
        [min(timeout * 2**k, max_timeout) for k in range(max_retries + 1)])
    assert powers.passed
    no_cap = check_backoff(
        lambda timeout, max_timeout, max_retries:
        [timeout * 2**k for k in range(max_retries + 1)])
    assert "expected [0.5, 1.0, 2.0, 2.0, 2.0], got [0.5, 1.0, 2.0, 4.0, 8.0]" in str(no_cap)
    one_short = check_backoff(lambda timeout, max_timeout, max_retries:
                              timeouts_correct(timeout, max_timeout, max_retries)[:-1])
    assert "6 of 6 scenarios fail" in str(one_short)
    fixed = check_backoff(lambda timeout, max_timeout, max_retries:
                          [timeout] * (max_retries + 1))
    assert not fixed.passed
    assert [f.number for f in fixed.failures] == [1, 2, 4, 6]  # scenario 3 and 5 never double


def test_any_equivalent_answer_passes_a_range_a_generator_any_order_or_a_list() -> None:
    assert check_gbn_sender(
        lambda base, next_seq, ack: range(base, ack + 1) if base <= ack < next_seq else []
    ).passed
    assert check_gbn_sender(
        lambda base, next_seq, ack: reversed(on_ack_correct(base, next_seq, ack))).passed
    assert check_gbn_sender(
        lambda base, next_seq, ack: {*on_ack_correct(base, next_seq, ack)}).passed
    assert check_gbn_receiver(lambda expected, seq: iter(receive_correct(expected, seq))).passed
    assert check_backoff(lambda timeout, max_timeout, max_retries:
                         (t for t in timeouts_correct(timeout, max_timeout, max_retries))).passed
    # Order matters where it is the point: the receiver's pair, the timeouts in turn.
    assert not check_gbn_receiver(lambda expected, seq: receive_correct(expected, seq)[::-1]
                                  ).passed
    assert not check_backoff(lambda timeout, max_timeout, max_retries:
                             timeouts_correct(timeout, max_timeout, max_retries)[::-1]).passed

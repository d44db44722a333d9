"""In a notebook a check reads as text and, in JupyterLab, draws the shortest failing scenario."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from labchat.notebook.build import check, exercise_list
from labchat.protocols.student import StudentEngine
from tests.build.answers import answer

StopAndWait: Any = answer("stop_and_wait")


class NeverResends(StopAndWait):  # type: ignore[misc]
    def start_timer(self, timer: Hashable = "timer", seconds: float | None = None) -> None:
        pass


class Skeleton(StudentEngine):
    seq_bits = 1

    def setup(self) -> None:
        pass

    def on_message(self, text: str) -> None:
        raise NotImplementedError("on_message")


def test_a_failing_check_draws_the_shortest_scenario_under_its_failure_class() -> None:
    result = check("stop_and_wait", NeverResends)
    assert not result.passed
    page = result._repr_html_()
    assert page.count("<li>") == len(result.report.failures()) >= 1
    assert "never retransmitted after a timeout: the last copy of A0 was lost" in page
    assert page.count("<svg") == page.count("<li>")  # one chart per failure class
    assert repr(result) == str(result.report)


def test_an_unfilled_skeleton_is_not_written_yet_and_draws_nothing() -> None:
    result = check("stop_and_wait", Skeleton)
    assert repr(result) == ("Exercise 1 · Stop-and-wait (rdt 3.0), sender and receiver: "
                            "not written yet: fill in the hooks of the class and run the "
                            "check again.")
    assert "<svg" not in result._repr_html_()
    assert result.score == 0.0


def test_a_model_answer_passes_and_the_list_names_every_exercise() -> None:
    assert check("stop_and_wait", StopAndWait).passed
    assert exercise_list().splitlines()[0].split() == ["1.", "stop_and_wait", "StopAndWait",
                                                       "Stop-and-wait", "(rdt", "3.0),",
                                                       "sender", "and", "receiver"]

"""The build-your-own exercises in a notebook: a check's verdict, with a chart per mistake.

``check(exercise, YourClass)`` runs ``labchat.build.exercises.check`` and
returns a ``CheckResult``: its text (what nbval compares and a terminal
shows) is the report; in JupyterLab it also draws, under each failure class,
the sequence chart of the shortest scenario that shows it. A class still
being written is feedback ("not written yet"), never an exception, so a
notebook of unfilled skeletons runs from top to bottom.

This module draws (``labchat.notebook.chart``); the checking is pure and
lives in ``labchat.build``.
"""

from __future__ import annotations

import html
from typing import Any

from labchat import voice
from labchat.build.exercises import EXERCISES, Exercise, Outcome, Report
from labchat.build.exercises import check as run_check
from labchat.notebook.chart import render_svg
from labchat.protocols import ProtocolLike

#: The most datagrams a feedback chart draws (the shortest scenarios are short).
CHART_LAST = 60


class CheckResult:
    """A check's report, shown as text, or as HTML with charts in JupyterLab."""

    def __init__(self, report: Report) -> None:
        self.report = report

    @property
    def passed(self) -> bool:
        """Every scenario passes."""
        return self.report.complete

    @property
    def score(self) -> float:
        return self.report.score

    def __repr__(self) -> str:
        return str(self.report)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self.report))

    def _repr_html_(self) -> str:
        lines = self.report.lines()
        parts = [f'<div class="labchat-check" dir="{voice.direction()}">'
                 f'<p><b>{html.escape(lines[0])}</b></p>']
        explained = self.report.explained()
        if explained:
            parts.append("<ul>")
            for sentence, outcomes in explained:
                parts.append(f"<li><p>{html.escape(sentence)}</p>"
                             f"<p><i>{html.escape(_caption(len(outcomes), outcomes[0]))}</i></p>"
                             f"{_chart(outcomes[0])}</li>")
            parts.append("</ul>")
        parts.append("</div>")
        return "".join(parts)


def _caption(count: int, shortest: Outcome) -> str:
    return voice.build_shown_by(count, shortest.describe())


def _chart(outcome: Outcome) -> str:
    network = outcome.run.network
    if not network.wire:
        return ""
    return render_svg(network.wire, network.events, last=CHART_LAST)


def check(exercise: str | Exercise, student: ProtocolLike | None) -> CheckResult:
    """Check ``student`` (your class) against exercise ``exercise`` ("stop_and_wait", ...)."""
    return CheckResult(run_check(exercise, student))


def exercise_list() -> str:
    """The exercises, one a line: number, key, title and the class each asks for."""
    return "\n".join(f"{ex.number}. {ex.key:<17} {ex.class_name:<24} {ex.title}"
                     for ex in EXERCISES)

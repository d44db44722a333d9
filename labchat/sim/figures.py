"""Kurose & Ross's figures of chapter 3 as scripted step-throughs, with predictions.

A ``Figure`` is one figure of the textbook told as a script of step lines
(``labchat.sim.stepping``'s language) on one rung with fixed settings. A
``FigureWalk`` takes the script one step at a time on a ``StepModel``; before
each arrival or timer step it asks for a prediction, and afterwards it says
what actually happened, read from the events the engines recorded during that
step (``outcome_of``), never from a second copy of the protocol's rules.

Pure: virtual time, no widgets. This module owns the figures' scripts and the
outcome classification; the captions and the outcomes' names are words, so
they live in ``labchat.voice``; the widget is ``labchat.notebook.predict``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from labchat import voice
from labchat.events import (
    AckReceived,
    DuplicateDiscarded,
    Event,
    MessageBuffered,
    MessageDelivered,
    OutOfOrderDiscarded,
    TimerExpired,
)
from labchat.sim.stepping import StepError, StepModel
from labchat.trace import SIDES

#: What one step can cause, as a student predicts it; checked in this order, so a
#: step that fires a timer and delivers is a timeout, one that delivers and buffers
#: (Selective Repeat filling a gap) is a delivery.
OUTCOMES = ("timeout", "delivered", "buffered", "duplicate", "out_of_order", "acked",
            "nothing_new")

#: The outcomes each rung's figures offer as choices.
CHOICES = {
    "stop-and-wait": ("delivered", "duplicate", "acked", "nothing_new", "timeout"),
    "go-back-n": ("delivered", "out_of_order", "duplicate", "acked", "nothing_new", "timeout"),
    "selective-repeat": ("delivered", "buffered", "duplicate", "acked", "nothing_new",
                         "timeout"),
}

#: The verbs of a step line that ask for a prediction first.
PREDICTED_MOVES = ("deliver", "timer")


def outcome_of(events: Sequence[Event]) -> str:
    """The one outcome (see ``OUTCOMES``) that ``events``, caused by one step, show."""
    found = set()
    for event in events:
        if isinstance(event, TimerExpired):
            found.add("timeout")
        elif isinstance(event, MessageDelivered):
            found.add("delivered")
        elif isinstance(event, MessageBuffered):
            found.add("buffered")
        elif isinstance(event, DuplicateDiscarded):
            found.add("duplicate")
        elif isinstance(event, OutOfOrderDiscarded):
            found.add("out_of_order")
        elif isinstance(event, AckReceived) and event.acked:
            found.add("acked")
    for outcome in OUTCOMES:
        if outcome in found:
            return outcome
    return "nothing_new"


@dataclass(frozen=True)
class Figure:
    """One textbook figure: its rung, settings and script (captions: ``voice.figure_step``)."""

    key: str
    protocol: str
    script: tuple[str, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def choices(self) -> tuple[str, ...]:
        return CHOICES[self.protocol]


#: rdt 3.0 (Figure 3.16): one bit, a timer longer than any step here, so that a
#: timer fires only when the figure's step says so.
_RDT3 = {"seq_bits": 1, "timeout": 1.0}
#: Figures 3.22 and 3.26: a window of 4, and a timer long enough for the arrivals
#: the figure shows before its timeout.
_WINDOW4 = {"window": 4, "timeout": 2.0}
#: Figure 3.27: four sequence numbers (0-3) and a Selective Repeat window of 3,
#: more than half of them, which the rung takes only when told it is unsafe.
_TOO_LARGE = {"seq_bits": 2, "window": 3, "allow_unsafe_window": True, "timeout": 2.0}
#: The same four numbers with a window of 2, half the sequence space: safe.
_HALF = {"seq_bits": 2, "window": 2, "timeout": 2.0}

#: Between two sends of a window, half a second passes, as the textbook draws
#: them one after another: each packet's timer then expires at its own instant
#: (pkt2's before pkt3's in Figure 3.26, pkt0's alone in Figure 3.27), not all
#: together, which is what they would do if the packets left at one instant.
_SPACE = "wait 0.5"

FIGURES: dict[str, Figure] = {figure.key: figure for figure in (
    Figure("3.16a", "stop-and-wait", (
        "send A m1", "send A m2", "send A m3",
        "deliver 0", "deliver 1", "deliver 2", "deliver 3", "deliver 4", "deliver 5"), _RDT3),
    Figure("3.16b", "stop-and-wait", (
        "send A pkt0", "send A pkt1",
        "deliver 0", "deliver 1", "drop 2", "timer", "deliver 3", "deliver 4"), _RDT3),
    Figure("3.16c", "stop-and-wait", (
        "send A pkt0", "send A pkt1",
        "deliver 0", "deliver 1", "deliver 2", "drop 3", "timer", "deliver 4", "deliver 5"),
        _RDT3),
    # The premature timeout is pkt1's, as drawn: ACK1 (3) is still on its way when
    # the timer fires; it then moves the sender on to pkt0 (m3), the resent pkt1
    # (4) is a duplicate, and the second ACK1 (6) is ignored; ACK0 (7) sends pkt1 (m4).
    Figure("3.16d", "stop-and-wait", (
        "send A m1", "send A m2", "send A m3", "send A m4",
        "deliver 0", "deliver 1", "deliver 2", "timer", "deliver 3", "deliver 4",
        "deliver 5", "deliver 6", "deliver 7"), _RDT3),
    Figure("3.22", "go-back-n", (
        "send A pkt0", _SPACE, "send A pkt1", _SPACE, "send A pkt2", _SPACE, "send A pkt3",
        "send A pkt4", "send A pkt5", "drop 2",
        "deliver 0", "deliver 1", "deliver 3", "deliver 4", "deliver 5", "deliver 6",
        "deliver 7", "deliver 8", "deliver 9", "deliver 10", "timer", "deliver 11",
        "deliver 12"), _WINDOW4),
    # ACK3 (6) arrives after pkt2's timeout, as drawn, and before pkt3's.
    Figure("3.26", "selective-repeat", (
        "send A pkt0", _SPACE, "send A pkt1", _SPACE, "send A pkt2", _SPACE, "send A pkt3",
        "send A pkt4", "send A pkt5", "drop 2",
        "deliver 0", "deliver 1", "deliver 3", "deliver 4", "deliver 5", "deliver 7",
        "deliver 8", "timer", "deliver 6", "deliver 11"), _WINDOW4),
    # Past the textbook's last arrow: ACK0 lets pkt3 go, and its arrival hands the
    # old pkt0 to the user as if it were new.
    Figure("3.27", "selective-repeat", (
        "send A pkt0", _SPACE, "send A pkt1", _SPACE, "send A pkt2", "send A pkt3",
        "deliver 0", "deliver 1", "deliver 2", "drop 3", "drop 4", "drop 5", "timer",
        "deliver 6", "deliver 7", "deliver 8"), _TOO_LARGE),
    Figure("3.27-safe", "selective-repeat", (
        "send A pkt0", _SPACE, "send A pkt1", "send A pkt2",
        "deliver 0", "deliver 1", "drop 2", "drop 3", "timer",
        "deliver 4", "deliver 5", "deliver 6"), _HALF),
)}


@dataclass(frozen=True)
class Verdict:
    """What the student predicted for one step and what the engines did."""

    step: int
    predicted: str
    actual: str

    @property
    def right(self) -> bool:
        return self.predicted == self.actual


class FigureWalk:
    """A figure taken one step at a time; arrivals and timers are predicted first."""

    def __init__(self, key: str) -> None:
        if key not in FIGURES:
            raise StepError(voice.figure_unknown(key, sorted(FIGURES)))
        self.figure = FIGURES[key]
        self.model = StepModel(self.figure.protocol, settings=self.figure.settings)
        self.position = 0
        self.verdicts: list[Verdict] = []

    @property
    def done(self) -> bool:
        return self.position >= len(self.figure.script)

    @property
    def needs_prediction(self) -> bool:
        """Whether the next step asks for a prediction (an arrival or a timer)."""
        return not self.done and self.figure.script[self.position].split()[0] in PREDICTED_MOVES

    def caption(self, index: int | None = None) -> str:
        """The textbook's words for step ``index`` (the next one by default)."""
        return voice.figure_step(self.figure.key, self.position if index is None else index)

    def step(self, prediction: str | None = None) -> Verdict | None:
        """Take the next step; an arrival or a timer needs ``prediction`` (one of the choices)."""
        if self.done:
            raise StepError(voice.figure_done())
        if self.needs_prediction and prediction not in self.figure.choices:
            raise StepError(voice.figure_predict_first(self.figure.choices))
        seen = {side: len(self.model.network.events[side]) for side in SIDES}
        self.model.take(self.figure.script[self.position], number=self.position + 1)
        caused = [event for side in SIDES for event in self.model.network.events[side][seen[side]:]]
        verdict = None
        if prediction is not None and self.needs_prediction:
            verdict = Verdict(self.position, prediction, outcome_of(caused))
            self.verdicts.append(verdict)
        self.position += 1
        return verdict

    def score(self) -> tuple[int, int]:
        """(right predictions, predictions made)."""
        return sum(v.right for v in self.verdicts), len(self.verdicts)

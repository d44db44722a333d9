"""Predict-then-step widget over one of the textbook's figures (``labchat.sim.figures``).

``Predictor`` shows the figure's next step in the textbook's words; before an
arrival or a timer the student chooses what will happen, then clicks *Step*;
the widget says whether the prediction was right, from what the engines did,
and redraws the sequence chart. The walk, the scripts and the outcomes are
``labchat.sim.figures``'s; the words are ``labchat.voice``'s; this module owns
the widgets only.

Widget callbacks run on the kernel's main thread, like a notebook's own calls.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from labchat import voice
from labchat.notebook.chart import render_svg
from labchat.notebook.ui import close_tree, closed_on_rerun, display_bundle
from labchat.sim.figures import FigureWalk, Verdict
from labchat.sim.stepping import StepError
from labchat.trace import SIDES

__all__ = ["Predictor"]


class Predictor:
    """One figure, stepped by a student who predicts each arrival and timer first."""

    def __init__(self, key: str) -> None:
        self.walk = FigureWalk(key)
        self.verdicts_text: list[str] = []
        self._closed = False
        self._title = widgets.HTML(f"<b>{html.escape(voice.figure_title(key))}</b>")
        self._next = widgets.HTML()
        self._next.add_class("labchat-figure-next")
        self._choices = widgets.RadioButtons(
            options=[(voice.outcome_name(o), o) for o in self.walk.figure.choices], value=None,
            layout=widgets.Layout(width="auto"))
        self._choices.add_class("labchat-figure-choices")
        self._button = widgets.Button(description=voice.label("step"))
        self._button.add_class("labchat-figure-step")
        self._button.on_click(lambda _b: self._step_from_click())
        self._verdict = widgets.HTML()
        self._verdict.add_class("labchat-figure-verdict")
        self._chart = widgets.HTML()
        self._chart.add_class("labchat-chart")
        self._root = widgets.VBox([self._title, self._next, self._choices, self._button,
                                   self._verdict, self._chart])
        self._root.add_class("labchat-predictor")
        self._refresh()
        closed_on_rerun(self.close)  # re-running the cell closes this one's widgets

    # -- what a notebook (or a click) does -------------------------------------

    def predict(self, outcome: str) -> None:
        """Choose ``outcome`` (one of the figure's choices) for the next step."""
        if outcome not in self.walk.figure.choices:
            raise StepError(voice.figure_predict_first(self.walk.figure.choices))
        self._choices.value = outcome

    def step(self) -> Verdict | None:
        """Take the next step with the chosen prediction; says whether it was right."""
        caption = self.walk.caption()
        number = self.walk.position + 1
        verdict = self.walk.step(self._choices.value if self.walk.needs_prediction else None)
        line = voice.label("figure_transcript", number=number, caption=caption)
        if verdict is not None:
            line += " " + voice.figure_verdict(verdict.right, verdict.actual)
        self.verdicts_text.append(line)
        self._choices.value = None
        self._refresh()
        return verdict

    def transcript(self) -> str:
        """Every step taken so far with its verdict, then the score: deterministic text."""
        right, made = self.walk.score()
        return "\n".join([*self.verdicts_text, voice.figure_score(right, made)])

    def widget(self) -> widgets.VBox:
        return self._root

    def close(self) -> None:
        self._closed = True
        close_tree(self._root)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return display_bundle(self._root, repr(self), **kwargs)

    def __repr__(self) -> str:
        right, made = self.walk.score()
        # The line a notebook shows as text/plain (display_bundle): the reader's words.
        return voice.predictor_text(self.walk.figure.key, self.walk.position,
                                    len(self.walk.figure.script), right, made)

    # -- the widget ------------------------------------------------------------

    def _step_from_click(self) -> None:
        # A click must never raise into the widget machinery: show the error instead.
        try:
            self.step()
        except StepError as error:
            self._verdict.value = f"<span class='labchat-error'>{html.escape(str(error))}</span>"

    def _refresh(self) -> None:
        if self._closed:
            return
        walk = self.walk
        total = len(walk.figure.script)
        if walk.done:
            self._next.value = html.escape(voice.figure_finished())
        else:
            text = voice.figure_next(walk.position + 1, total, walk.caption())
            if walk.needs_prediction:
                text += " " + voice.figure_question()
            self._next.value = html.escape(text)
        self._choices.layout.display = None if walk.needs_prediction else "none"
        self._button.disabled = walk.done
        if self.verdicts_text:
            self._verdict.value = html.escape(self.verdicts_text[-1])
        network = walk.model.network
        self._chart.value = render_svg(network.wire, network.events,
                                       final={side: walk.model.snapshot(side) for side in SIDES})

"""A recorded scenario that draws itself: what the handouts tell their stories with.

``Scenario`` is ``labchat.sim.recording.Recording`` (pure, virtual time,
seeded) plus ``chart()``, which turns the run so far into a sequence chart.
The drawing lives here, in the view layer, so the pure recording never
imports a view.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from labchat import voice
from labchat.notebook.chart import DEFAULT_LAST, SequenceChart
from labchat.sim.recording import Recording
from labchat.sim.stepping import StepModel


class Scenario(Recording):
    """A ``Recording`` with a chart: send, drop, forge, wait, then ``chart()``."""

    def chart(self, last: int | None = DEFAULT_LAST) -> SequenceChart:
        """The run so far as a chart (a copy: later steps do not change it)."""
        final = {side: dict(engine.snapshot()) for side, engine in self.engines.items()}
        return SequenceChart(self.network.wire, self.network.events,
                             final=final, names=self.names, last=last)


def step_chart(model: StepModel, last: int | None = DEFAULT_LAST) -> SequenceChart:
    """A step model's run so far as a chart, like ``Scenario.chart`` (a copy)."""
    final = {side: dict(engine.snapshot()) for side, engine in model.engines.items()}
    return SequenceChart(model.network.wire, model.network.events, final=final, last=last)


#: Room above each chart of a stack for its heading, in pixels.
HEADING = 22
_SIZE = re.compile(r'^<svg [^>]*?width="(\d+)" height="(\d+)"')


class ChartStack:
    """Charts one above the other, each under its heading: one picture to compare runs."""

    def __init__(self, charts: Sequence[tuple[str, SequenceChart]]) -> None:
        self.charts = list(charts)

    def svg(self) -> str:
        parts, width, y = [], 0, 0
        for heading, chart in self.charts:
            inner = chart.svg()
            size = _SIZE.match(inner)
            assert size is not None  # render_svg writes its width and height first
            width = max(width, int(size[1]))
            parts.append(f'<text x="6" y="{y + 16}" font-weight="bold">'
                         f"{html.escape(voice.user_text(heading))}</text>")
            parts.append(f'<svg x="0" y="{y + HEADING}" ' + inner.removeprefix("<svg "))
            y += HEADING + int(size[2])
        return (f'<svg xmlns="http://www.w3.org/2000/svg" class="labchat-chart-stack" '
                f'width="{width}" height="{y}" viewBox="0 0 {width} {y}" '
                f'font-family="{html.escape(voice.FONT_STACK)}" font-size="12">'
                + "".join(parts) + "</svg>")

    def _repr_svg_(self) -> str:
        return self.svg()

    def __repr__(self) -> str:
        return voice.chart_stack_text([heading for heading, _ in self.charts])

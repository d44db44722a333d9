"""A recorded scenario that draws itself: what the handouts tell their stories with.

``Scenario`` is ``labchat.sim.recording.Recording`` (pure, virtual time,
seeded) plus ``chart()``, which turns the run so far into a sequence chart.
The drawing lives here, in the view layer, so the pure recording never
imports a view.
"""

from __future__ import annotations

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

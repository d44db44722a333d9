"""Step-through widget: a person (or a notebook) decides the fate of every datagram.

``Stepper`` is the widget over a ``labchat.sim.stepping.StepModel`` (two
engines on a ``ManualNetwork``: no threads, no sockets, virtual time). It
offers each of the model's moves as a method and as a button, and after every
move redraws both peers' state, their delivered messages, the datagrams in
flight, the log and the sequence chart. The moves, the script, the replay and
the narration are the model's (usable with no widget); this module owns the
widgets only, drawing belongs to ``labchat.notebook.chart``.

Widget callbacks run on the kernel's main thread, the same thread as a
notebook's direct calls, so widgets are updated in place without locks.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from labchat import voice
from labchat.errors import LabchatError
from labchat.notebook.chart import render_svg, save_svg
from labchat.notebook.ui import close_tree, closed_on_rerun, display_bundle, dressed, on_enter
from labchat.protocols import ProtocolLike
from labchat.protocols.base import Engine
from labchat.sim.network import ManualNetwork
from labchat.sim.stepping import DATAGRAM_MOVES, StepError, StepModel
from labchat.trace import SIDES, Side, WireRecord

__all__ = ["StepError", "StepModel", "Stepper"]


class Stepper:
    """The step-through widget over a ``StepModel``; the moves are the model's.

    ``script`` is a list of steps as ``replay`` takes them, run at once; for
    example ``["send A hello", "drop 1", "timer", "deliver 2"]``. ``protocol``
    is a rung's name, an engine class (a student's) or ``FILE.py:CLASS``;
    ``peer_protocol`` makes B run another one (labchat's reference, say).
    Given a ``StepModel`` instead, the widget shows that model (its settings
    and engines are the model's).
    """

    def __init__(self, protocol: ProtocolLike | StepModel, *,
                 settings: Mapping[str, Any] | None = None,
                 script: Iterable[str] | None = None,
                 peer_protocol: ProtocolLike | None = None) -> None:
        if isinstance(protocol, StepModel):
            self.model = protocol
            if script is not None:
                self.model.replay(script)
        else:
            self.model = StepModel(protocol, settings=settings, script=script,
                                   peer_protocol=peer_protocol)
        self._closed = False
        self._build_widget()
        self._refresh()
        self._unlisten = self.model.on_change(self._refresh)
        closed_on_rerun(self.close)  # re-running the cell closes this one's widgets

    # -- the model's moves, as a notebook calls them ---------------------------

    @property
    def protocol(self) -> str:
        return self.model.protocol

    @property
    def settings(self) -> dict[str, Any]:
        return self.model.settings

    @property
    def engines(self) -> dict[Side, Engine]:
        return self.model.engines

    @property
    def network(self) -> ManualNetwork:
        return self.model.network

    @property
    def log(self) -> list[str]:
        return self.model.log

    @property
    def steps(self) -> list[str]:
        return self.model.steps

    def send(self, side: Side, text: str) -> None:
        """Peer ``side`` sends ``text`` (a local error, e.g. too long, is raised)."""
        self.model.send(side, text)

    def force_mismatch(self, side: Side) -> None:
        """The report's test: ``side``'s next datagram carries a wrong count."""
        self.model.force_mismatch(side)

    def deliver(self, datagram_id: int) -> None:
        """Hand datagram ``datagram_id`` (in flight) to its destination."""
        self.model.deliver(datagram_id)

    def drop(self, datagram_id: int) -> None:
        """Lose datagram ``datagram_id``."""
        self.model.drop(datagram_id)

    def duplicate(self, datagram_id: int) -> None:
        """Make the network copy datagram ``datagram_id``; both copies stay in flight."""
        self.model.duplicate(datagram_id)

    def next_timer(self) -> bool:
        """Advance the clock to the earliest pending timer and fire it; False if none."""
        return self.model.next_timer()

    def back(self) -> bool:
        """Undo the last move (replay all but it); False if there is none."""
        return self.model.back()

    def script(self) -> str:
        """The moves so far as a notebook cell that does them again exactly."""
        return self.model.script()

    def key(self, keys: str) -> None:
        """A keyboard shortcut, as typed in the widget: ``d 3``, ``x 3``, ``c 3``, ``t``, ``b``."""
        self.model.key(keys)

    def replay(self, steps: Iterable[str]) -> None:
        """Take ``steps`` in order (see ``StepModel.replay``)."""
        self.model.replay(steps)

    def in_flight(self) -> list[WireRecord]:
        """Datagrams waiting for a decision, oldest first."""
        return self.model.in_flight()

    def delivered(self, side: Side) -> list[str]:
        """The messages ``side`` has handed to its user, in order."""
        return self.model.delivered(side)

    def save_pcap(self, path: str | Path) -> Path:
        """Write every datagram so far, in flight ones too, as a pcapng capture (virtual time)."""
        return self.model.save_pcap(path)

    def save_chart(self, path: str | Path) -> Path:
        """Write the chart as it stands as an SVG file (for a report or a slide)."""
        return save_svg(path, self._chart_svg())

    def summary(self) -> str:
        """Deterministic multi-line text: clock, each peer's state and messages, the wire."""
        return self.model.summary()

    @property
    def widget(self) -> widgets.VBox:
        return self._root

    def close(self) -> None:
        """Close every widget the step-through made (the moves still work without them)."""
        self._closed = True
        self._unlisten()
        close_tree(self._root)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return display_bundle(self._root, repr(self), **kwargs)

    def __repr__(self) -> str:
        # The line a notebook shows as text/plain (display_bundle): the reader's words.
        return voice.stepper_text(self.protocol, len(self.steps), self.model.now,
                                  len(self.in_flight()))

    # -- the widget ------------------------------------------------------------

    def _build_widget(self) -> None:
        self._inputs: dict[Side, widgets.Text] = {}
        self._states: dict[Side, widgets.HTML] = {}
        self._messages: dict[Side, widgets.HTML] = {}
        panels = []
        for side in SIDES:
            box = widgets.Text(placeholder=voice.label("message_from", side=side))
            box.add_class("labchat-input")
            button = widgets.Button(description=voice.label("side_sends", side=side))
            button.add_class("labchat-send")
            button.on_click(lambda _b, s=side: self._send_from_box(s))
            on_enter(box, functools.partial(self._send_from_box, side))
            state = widgets.HTML()
            state.add_class("labchat-state")
            state.add_class(f"labchat-state-{side}")
            messages = widgets.HTML()
            messages.add_class("labchat-messages")
            title = widgets.HTML(f"<b>{html.escape(voice.label('peer', side=side))}</b>")
            panel = widgets.VBox([title, widgets.HBox([box, button]), state, messages])
            panel.add_class("labchat-peer")
            panel.add_class(f"labchat-peer-{side}")
            panels.append(panel)
            self._inputs[side], self._states[side], self._messages[side] = box, state, messages
        self._flight_box = widgets.VBox()
        self._timer_button = widgets.Button(description=voice.label("next_timer"))
        self._timer_button.add_class("labchat-next-timer")
        self._timer_button.on_click(lambda _b: self._guarded(self.model.next_timer))
        self._back_button = widgets.Button(description=voice.label("back"))
        self._back_button.add_class("labchat-back")
        self._back_button.on_click(lambda _b: self._guarded(self.model.back))
        self._script_button = widgets.Button(description=voice.label("script"))
        self._script_button.add_class("labchat-script")
        self._script_button.on_click(lambda _b: self._show_script())
        # The script as text to copy into a cell; shown when asked for.
        self._script_view = widgets.Textarea(layout=widgets.Layout(width="100%",
                                                                   display="none"))
        self._script_view.add_class("labchat-script-text")
        self._keys = widgets.Text(placeholder=voice.label("shortcuts"),
                                  layout=widgets.Layout(width="28em"))
        self._keys.add_class("labchat-keys")
        on_enter(self._keys, self._take_keys)
        self._status = widgets.HTML()
        self._status.add_class("labchat-status")
        self._chart = widgets.HTML()
        self._chart.add_class("labchat-chart")
        self._log_view = widgets.HTML()
        self._log_view.add_class("labchat-log")
        peers = widgets.HBox(panels)
        peers.add_class("labchat-peers")
        self._root = dressed([
            peers,
            widgets.HTML(f"<b>{html.escape(voice.label('in_flight'))}</b>"),
            self._flight_box,
            widgets.HBox([self._timer_button, self._back_button, self._keys,
                          self._script_button, self._status]),
            self._script_view,
            self._chart,
            self._log_view,
        ], "labchat-stepper")

    def _send_from_box(self, side: Side) -> None:
        box = self._inputs[side]
        text = box.value
        if not text:
            return  # nothing typed: nothing to send
        self._guarded(functools.partial(self.model.send, side, text))
        box.value = ""

    def _take_keys(self) -> None:
        keys = self._keys.value
        self._keys.value = ""
        self._guarded(functools.partial(self.model.key, keys))

    def _show_script(self) -> None:
        self._script_view.value = self.model.script()
        self._script_view.layout.display = "block"

    def _guarded(self, move: Callable[[], object]) -> None:
        # A click must never raise into the widget machinery: show the error instead.
        try:
            move()
        except (StepError, LabchatError, ValueError) as error:
            self._status.value = f"<span class='labchat-error'>{html.escape(str(error))}</span>"

    def _refresh(self) -> None:
        if self._closed:
            return
        for side in SIDES:
            rows = "".join(
                f"<tr><td>{html.escape(voice.state_name(k))}</td>"
                f"<td>{html.escape(voice.state_value(v, k))}</td></tr>"
                for k, v in self.model.snapshot(side).items())
            self._states[side].value = f"<table>{rows}</table>"
            self._messages[side].value = "".join(
                f"<div class='labchat-msg labchat-msg-new' dir='{voice.direction()}'>"
                f"{voice.user_html(text)}</div>"
                for text in self.delivered(side))
        old_rows = list(self._flight_box.children)
        self._flight_box.children = [self._flight_row(r) for r in self.in_flight()]
        for row in old_rows:  # closed so a long session does not pile up widget models
            close_tree(row)
        deadline = self.model.next_deadline()
        self._timer_button.disabled = deadline is None
        self._back_button.disabled = not self.model.steps
        if self._script_view.layout.display != "none":
            self._script_view.value = self.model.script()
        self._timer_button.description = (
            voice.label("next_timer_none") if deadline is None
            else voice.label("next_timer_at", time=f"{deadline:.3f}"))
        self._status.value = f"t={self.model.now:.3f}"
        self._chart.value = self._chart_svg()
        recent = self.model.log[-12:]
        self._log_view.value = "<pre>" + html.escape("\n".join(recent)) + "</pre>"

    def _flight_row(self, record: WireRecord) -> widgets.HBox:
        label = widgets.HTML(f"<span class='labchat-inflight-label' data-id='{record.id}'>"
                             f"{html.escape(voice.record_line(record))}</span>")
        buttons = []
        for verb in DATAGRAM_MOVES:
            button = widgets.Button(description=voice.label(verb),
                                    layout=widgets.Layout(width="auto"))
            button.add_class(f"labchat-{verb}")
            button.on_click(lambda _b, v=verb, i=record.id: self._guarded(
                functools.partial(getattr(self.model, v), i)))
            buttons.append(button)
        row = widgets.HBox([label, *buttons])
        row.add_class("labchat-inflight")
        # ipywidgets cannot set data-* attributes on a widget; the id is in a class too.
        row.add_class(f"labchat-inflight-{record.id}")
        return row

    def _chart_svg(self) -> str:
        network = self.model.network
        return render_svg(network.wire, network.events,
                          final={side: self.model.snapshot(side) for side in SIDES})


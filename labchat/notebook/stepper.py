"""Step-through: a person (or a notebook) decides the fate of every datagram.

``Stepper`` joins two engines on a ``ManualNetwork`` (no threads, no sockets,
virtual time) and offers each move both as a method and as a widget button:
make a peer send, deliver / drop / duplicate a datagram in flight, advance the
clock to the next timer. After every move it records one deterministic line of
narration in ``log`` (and the move itself in ``steps``, which ``replay`` takes
back), and redraws both peers' state, their delivered messages and the
sequence chart. This module owns the widget and the narration; protocol
behaviour belongs to the engines, fates to the network, drawing to
``labchat.notebook.chart``.

Widget callbacks run on the kernel's main thread, the same thread as a
notebook's direct calls, so widgets are updated in place without locks.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from labchat import voice
from labchat.errors import LabchatError
from labchat.events import DatagramReceived, DatagramSent, MessageDelivered
from labchat.notebook.chart import render_svg
from labchat.notebook.ui import close_tree, on_enter
from labchat.pcap import save_wire
from labchat.protocols import ProtocolLike, create_engine, resolve_protocol
from labchat.protocols.base import Engine
from labchat.sim.network import ManualNetwork
from labchat.trace import SIDES, Side, WireRecord, check_side

#: Events the network adds about carrying datagrams: the wire lines already say so.
_WIRE_EVENTS = (DatagramSent, DatagramReceived)


class StepError(ValueError):
    """A step that cannot be taken: unknown datagram id, bad script line, ..."""


class Stepper:
    """Two peers on a manual network, stepped by hand or by a script.

    ``script`` is a list of steps as ``replay`` takes them, run at once; for
    example ``["send A hello", "drop 1", "timer", "deliver 2"]``. ``protocol``
    is a rung's name, an engine class (a student's) or ``FILE.py:CLASS``;
    ``peer_protocol`` makes B run another one (labchat's reference, say).
    """

    def __init__(self, protocol: ProtocolLike, *, settings: Mapping[str, Any] | None = None,
                 script: Iterable[str] | None = None,
                 peer_protocol: ProtocolLike | None = None) -> None:
        engine = resolve_protocol(protocol)
        peer = engine if peer_protocol is None else resolve_protocol(peer_protocol)
        self.protocol = engine.protocol
        self.settings = dict(settings or {})
        self.engines: dict[Side, Engine] = {
            "A": create_engine(engine, **self.settings),
            "B": create_engine(peer, **self.settings),
        }
        self.network = ManualNetwork(self.engines["A"], self.engines["B"])
        self.log: list[str] = []
        self.steps: list[str] = []
        self._seen_wire = 0
        self._seen_events: dict[Side, int] = {side: 0 for side in SIDES}
        self._closed = False
        self._build_widget()
        self._refresh()
        if script is not None:
            self.replay(script)

    # -- moves: each one is a method, a button, and a line of ``steps`` --------

    def send(self, side: Side, text: str) -> None:
        """Peer ``side`` sends ``text`` (a local error, e.g. too long, is raised)."""
        side = check_side(side)
        self.network.send(side, text)
        self._record(f"send {side} {text}", voice.step_send(side, text))

    def force_mismatch(self, side: Side) -> None:
        """The report's test: ``side``'s next datagram carries a wrong count."""
        side = check_side(side)
        self.network.force_mismatch(side)
        self._record(f"mismatch {side}", voice.step_mismatch(side))

    def deliver(self, datagram_id: int) -> None:
        """Hand datagram ``datagram_id`` (in flight) to its destination."""
        record = self._in_flight(datagram_id)
        self.network.deliver(datagram_id)
        self._record(f"deliver {datagram_id}", voice.step_deliver(record))

    def drop(self, datagram_id: int) -> None:
        """Lose datagram ``datagram_id``."""
        record = self._in_flight(datagram_id)
        self.network.drop(datagram_id)
        self._record(f"drop {datagram_id}", voice.step_drop(record))

    def duplicate(self, datagram_id: int) -> None:
        """Make the network copy datagram ``datagram_id``; both copies stay in flight."""
        record = self._in_flight(datagram_id)
        self.network.duplicate(datagram_id)
        self._record(f"duplicate {datagram_id}", voice.step_duplicate(record))

    def next_timer(self) -> bool:
        """Advance the clock to the earliest pending timer and fire it; False if none."""
        deadline = self.network.next_timer()
        if deadline is None:
            self._note(voice.step_no_timer())
            return False
        self.network.advance_to_next_timer()
        self._record("timer", voice.step_timer(deadline))
        return True

    def replay(self, steps: Iterable[str]) -> None:
        """Take ``steps`` in order; each is a line like those in ``self.steps``.

        ``send A <text>``, ``mismatch A``, ``deliver <id>``, ``drop <id>``,
        ``duplicate <id>``, ``timer``. A bad line raises ``StepError`` naming
        it; the steps before it stay done.
        """
        for number, line in enumerate(steps, start=1):
            self._take(number, line)

    # -- what a person reads ---------------------------------------------------

    def in_flight(self) -> list[WireRecord]:
        """Datagrams waiting for a decision, oldest first."""
        return list(self.network.in_flight())

    def delivered(self, side: Side) -> list[str]:
        """The messages ``side`` has handed to its user, in order."""
        return [e.text for e in self.network.events[check_side(side)]
                if isinstance(e, MessageDelivered)]

    def save_pcap(self, path: str | Path) -> Path:
        """Write every datagram so far, in flight ones too, as a pcapng capture (virtual time)."""
        return save_wire(path, self.network.wire, self.engines["A"])

    def summary(self) -> str:
        """Deterministic multi-line text: clock, each peer's state and messages, the wire."""
        lines = [voice.step_heading(self.protocol, self.network.now, len(self.steps))]
        for side in SIDES:
            state = ", ".join(f"{voice.state_name(k)}={v}"
                              for k, v in self.engines[side].snapshot().items())
            lines.append(f"{side}: {state}")
            lines.append(voice.step_delivered(side, self.delivered(side)))
        wire = self.network.wire
        fates = {fate: sum(1 for r in wire if r.fate == fate)
                 for fate in ("delivered", "dropped", "in_flight")}
        lines.append(voice.step_wire(len(wire), fates))
        lines.extend("  " + voice.step_in_flight(r) for r in self.in_flight())
        deadline = self.network.next_timer()
        lines.append(voice.step_next_timer(deadline))
        return "\n".join(lines)

    @property
    def widget(self) -> widgets.VBox:
        return self._root

    def close(self) -> None:
        """Close every widget the step-through made (the moves still work without them)."""
        self._closed = True
        close_tree(self._root)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        # Displaying the stepper displays its widget. The widget's own text/plain
        # repr dumps every child (chart included); a short line reads better and
        # is what nbval compares.
        bundle = self._root._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        return (f"<Stepper {self.protocol}: {len(self.steps)} steps, t={self.network.now:.3f}, "
                f"{len(self.in_flight())} in flight>")

    # -- internals -------------------------------------------------------------

    def _take(self, number: int, line: str) -> None:
        words = line.split(maxsplit=2)
        verb = words[0] if words else ""
        try:
            if verb == "send" and len(words) == 3:
                self.send(check_side(words[1]), words[2])
            elif verb == "mismatch" and len(words) == 2:
                self.force_mismatch(check_side(words[1]))
            elif verb in ("deliver", "drop", "duplicate") and len(words) == 2:
                getattr(self, verb)(_parse_id(words[1]))
            elif verb == "timer" and len(words) == 1:
                self.next_timer()
            else:
                raise StepError(voice.step_usage())
        except (ValueError, LabchatError) as error:  # StepError is a ValueError
            raise StepError(voice.step_bad_line(number, line, error)) from None

    def _in_flight(self, datagram_id: int) -> WireRecord:
        for record in self.network.in_flight():
            if record.id == datagram_id:
                return record
        waiting = [r.id for r in self.network.in_flight()]
        raise StepError(voice.step_not_in_flight(datagram_id, waiting))

    def _record(self, step: str, what: str) -> None:
        self.steps.append(step)
        self._note(what)

    def _note(self, what: str) -> None:
        """Narrate ``what`` and everything it caused, then redraw."""
        self.log.append(f"t={self.network.now:.3f} {what}")
        for side in SIDES:
            events = self.network.events[side]
            for event in events[self._seen_events[side]:]:
                if not isinstance(event, _WIRE_EVENTS):
                    self.log.append(f"    {side}: {voice.narration(event)}")
            self._seen_events[side] = len(events)
        for record in self.network.wire[self._seen_wire:]:
            self.log.append("    " + voice.step_new_in_flight(record))
        self._seen_wire = len(self.network.wire)
        self._refresh()

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
        self._timer_button.on_click(lambda _b: self._guarded(self.next_timer))
        self._status = widgets.HTML()
        self._status.add_class("labchat-status")
        self._chart = widgets.HTML()
        self._chart.add_class("labchat-chart")
        self._log_view = widgets.HTML()
        self._log_view.add_class("labchat-log")
        self._root = widgets.VBox([
            widgets.HBox(panels),
            widgets.HTML(f"<b>{html.escape(voice.label('in_flight'))}</b>"),
            self._flight_box,
            widgets.HBox([self._timer_button, self._status]),
            self._chart,
            self._log_view,
        ])
        self._root.add_class("labchat-stepper")

    def _send_from_box(self, side: Side) -> None:
        box = self._inputs[side]
        text = box.value
        if not text:
            return  # nothing typed: nothing to send
        self._guarded(lambda: self.send(side, text))
        box.value = ""

    def _guarded(self, move: Any) -> None:
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
                f"<tr><td>{html.escape(voice.state_name(k))}</td><td>{html.escape(str(v))}</td></tr>"
                for k, v in self.engines[side].snapshot().items())
            self._states[side].value = f"<table>{rows}</table>"
            self._messages[side].value = "".join(
                f"<div class='labchat-msg labchat-msg-new' dir='auto'>{voice.user_html(text)}</div>"
                for text in self.delivered(side))
        old_rows = list(self._flight_box.children)
        self._flight_box.children = [self._flight_row(r) for r in self.in_flight()]
        for row in old_rows:  # closed so a long session does not pile up widget models
            close_tree(row)
        deadline = self.network.next_timer()
        self._timer_button.disabled = deadline is None
        self._timer_button.description = (
            voice.label("next_timer_none") if deadline is None
            else voice.label("next_timer_at", time=f"{deadline:.3f}"))
        self._status.value = f"t={self.network.now:.3f}"
        self._chart.value = self._chart_svg()
        recent = self.log[-12:]
        self._log_view.value = "<pre>" + html.escape("\n".join(recent)) + "</pre>"

    def _flight_row(self, record: WireRecord) -> widgets.HBox:
        label = widgets.HTML(f"<span class='labchat-inflight-label' data-id='{record.id}'>"
                             f"{html.escape(voice.record_line(record))}</span>")
        buttons = []
        for verb in ("deliver", "drop", "duplicate"):
            button = widgets.Button(description=voice.label(verb),
                                    layout=widgets.Layout(width="auto"))
            button.add_class(f"labchat-{verb}")
            button.on_click(lambda _b, v=verb, i=record.id: self._guarded(
                lambda: getattr(self, v)(i)))
            buttons.append(button)
        row = widgets.HBox([label, *buttons])
        row.add_class("labchat-inflight")
        # ipywidgets cannot set data-* attributes on a widget; the id is in a class too.
        row.add_class(f"labchat-inflight-{record.id}")
        return row

    def _chart_svg(self) -> str:
        return render_svg(self.network.wire, self.network.events,
                          final={side: self.engines[side].snapshot() for side in SIDES})


def _parse_id(word: str) -> int:
    try:
        return int(word.lstrip("#"))
    except ValueError:
        raise StepError(voice.step_not_an_id(word)) from None

"""The live chat lab's view: two chat panels, the relay's controls, a live chart.

``ChatLab`` is the widget over a ``labchat.notebook.lab_model.LabModel``: the
model runs the conversation (two ``UdpPeer`` objects on 127.0.0.1 and a
``UdpRelay`` between them, so the network can lose, duplicate and delay
datagrams on demand) and records what happened; this view turns clicks and
slider moves into calls on the model and draws the model's state. Each
``PeerPanel`` shows what its user sees (messages new, resent, rejected told
apart) and the engine's counters; the sequence chart shows what crossed the
wire.

Threads and widgets: a ``print`` or ``with out:`` from a background thread
lands in whatever cell is running at that moment (and breaks nbval's output
comparison), while setting a widget's trait is a comm message and safe from
one thread. So the peers' and the relay's threads only feed the model, and
two render threads of the view are the only writers of the values it draws,
each of its own widgets: each waits for the model to change, takes a copy of
the part of its state it draws and re-renders from that copy (traits, never
``print`` or ``with out:``). The panels' thread draws every change at once
(a panel line's HTML is made once, and only the newest lines are drawn); the
chart's thread throttles bursts, since a chart costs a hundred times a panel,
and a message never waits for a chart to be drawn before its panel shows it.
The view's lock guards only what has been drawn, and is never held while
calling the model.

This module owns the widgets. The conversation and its state belong to the
model, protocol behaviour to the engines, impairments to the relay, drawing
to ``labchat.notebook.chart``.
"""

from __future__ import annotations

import functools
import html
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import ipywidgets as widgets

from labchat import voice
from labchat.notebook.chart import format_state, render_svg, save_svg
from labchat.notebook.lab_model import (
    HISTORY,
    LabModel,
    LabState,
    Line,
    LineKind,
    LocalSession,
    line_for,
)
from labchat.notebook.ui import close_tree, display_bundle, dressed, on_enter
from labchat.pcap import save_wire
from labchat.protocols import ProtocolLike, resolve_protocol
from labchat.sim.channel import Direction, Impairment
from labchat.trace import SIDES, Side, WireRecord, check_side
from labchat.udp import registry
from labchat.udp.peer import UdpPeer, numeric_address, wall_clock_offset
from labchat.udp.relay import UdpRelay

__all__ = ["CHART_LAST", "ChatLab", "Line", "PeerPanel", "line_for", "line_html"]

#: How many datagrams the live chart draws (the newest); older ones are counted.
CHART_LAST = 40
#: How many of its newest lines a chat panel draws; it counts the older ones.
PANEL_LAST = 200
#: After a chart render that took ``d`` seconds, a change arriving within
#: ``CHART_RATIO * d`` waits until then, so a burst of changes costs one chart and
#: the chart's thread spends at most about half its time drawing; a change after a
#: quiet spell is charted at once. The panels are not throttled: they are cheap.
CHART_RATIO = 1.0


def line_html(line: Line) -> str:
    """One panel line as HTML: its kind as a class and a style, its text as text."""
    # The line is a sentence of labchat's language (user text inside is
    # isolated), so it takes that language's direction, not the text's.
    return (f'<div class="labchat-msg labchat-msg-{line.kind}" dir="{voice.direction()}" '
            f'style="{_LINE_STYLE[line.kind]}">{html.escape(line.text)}</div>')


_LINE_STYLE: dict[LineKind, str] = {
    "sent": "color:#1f3f7f",
    "new": "color:#000000;font-weight:bold",
    "resent": "color:#d62728;font-style:italic",
    "rejected": "color:#7f7f7f;text-decoration:line-through",
    "note": "color:#8c564b;font-size:smaller",
    "error": "color:#ffffff;background:#d62728",
}


class PeerPanel:
    """One chat window: name, message list, counters, a text box and a Send button."""

    def __init__(self, side: Side, name: str, on_send: Callable[[str], None]) -> None:
        self.side = side
        self.name = name
        self._on_send = on_send
        # Each shown line's HTML by its number in the conversation (and the line, so a
        # restart's new line 0 is not taken for the old one).
        self._html: dict[int, tuple[Line, str]] = {}
        self.title = widgets.HTML(f"<b>{html.escape(name)}</b>")
        self.messages = widgets.HTML()
        self.messages.add_class("labchat-messages")
        self.counters = widgets.HTML()
        self.counters.add_class("labchat-counters")
        self.input = widgets.Text(placeholder=voice.label("message_placeholder"),
                                  layout=widgets.Layout(width="70%"))
        self.input.add_class("labchat-input")
        self.send_button = widgets.Button(description=voice.label("send"), button_style="primary")
        self.send_button.add_class("labchat-send")
        self.send_button.on_click(lambda _button: self.submit())
        on_enter(self.input, self.submit)
        self.widget = widgets.VBox(
            [self.title, self.messages, self.counters,
             widgets.HBox([self.input, self.send_button])],
            layout=widgets.Layout(width="50%", border="1px solid #cccccc", padding="4px"),
        )
        self.widget.add_class("labchat-peer")
        self.widget.add_class(f"labchat-peer-{side}")

    def submit(self) -> None:
        """Send what is in the text box (what Enter and the Send button do)."""
        text = self.input.value
        if not text:
            return
        self.input.value = ""
        self._on_send(text)

    def show(self, lines: Sequence[Line], state: dict[str, object], earlier: int = 0) -> None:
        """Re-render the message list and counters (from the lab's render thread).

        ``lines`` are the newest lines, ``earlier`` how many came before them.
        Each line's HTML is made once and kept while the line is shown.
        """
        cache: dict[int, tuple[Line, str]] = {}
        parts = []
        if earlier:
            parts.append(f'<div class="labchat-earlier" style="color:#999999">'
                         f'{html.escape(voice.panel_earlier(earlier))}</div>')
        for number, line in enumerate(lines, start=earlier):
            known = self._html.get(number)
            markup = known[1] if known is not None and known[0] == line else line_html(line)
            cache[number] = (line, markup)
            parts.append(markup)
        self._html = cache
        body = "".join(parts) or (
            f'<div style="color:#999999">{html.escape(voice.label("no_messages"))}</div>')
        self.messages.value = f'<div style="height:220px;overflow-y:auto">{body}</div>'
        self.counters.value = html.escape(format_state(state) or "-")

    def close(self) -> None:
        close_tree(self.widget)


_current: ChatLab | None = None
_current_lock = threading.Lock()


class ChatLab:
    """Two chat peers over real UDP with a relay between them, as one widget.

    The conversation is ``self.model`` (a ``LabModel``, usable without
    widgets); this object draws it. Creating a lab closes the previous one
    (re-running a notebook cell leaks no thread, port or widget). Display it
    by leaving ``lab`` as the last expression of a cell.

    ``protocol`` is a rung's name, an engine class (a student's
    ``StudentEngine`` subclass) or ``FILE.py:CLASS``; ``protocols`` adds more
    classes to the chooser. ``peer_protocol`` makes B run another engine for
    the whole session, e.g. a student's class as A and labchat's reference as
    B: ``ChatLab(StopAndWait, peer_protocol="stop-and-wait")``.

    ``history`` is how many of the newest lines, events and wire records the
    model keeps (the view draws fewer); ``history=None`` keeps every one, for
    a notebook that saves or summarises a long conversation whole.

    ``secret`` (at least 16 bytes) authenticates every datagram of the ladder
    rungs: a forged or replayed one is shown rejected, never delivered (see
    ``LabModel``).
    """

    def __init__(self, protocol: ProtocolLike = "report", *, seed: int = 0,
                 names: tuple[str, str] = ("A", "B"), peer_protocol: ProtocolLike | None = None,
                 protocols: Sequence[ProtocolLike] = (),
                 history: int | None = HISTORY, secret: bytes | str | None = None) -> None:
        global _current
        # Resolved before anything is built or closed: a ValueError of one line if unknown.
        chosen = resolve_protocol(protocol)
        extras = [resolve_protocol(extra) for extra in protocols]
        peer = None if peer_protocol is None else resolve_protocol(peer_protocol)
        with _current_lock:
            previous, _current = _current, None
        if previous is not None:
            previous.close()
        self.names = names
        self.render_errors: list[BaseException] = []
        self._closed = False
        self._stop = threading.Event()
        # What the render threads have drawn: the model's version each drew last.
        self._drawn = threading.Condition()
        self._rendered: dict[str, int] = {"panels": -1, "chart": -1}
        self.model = LabModel(chosen, seed=seed, names=names, peer_protocol=peer,
                              protocols=extras, connect=LocalSession, history=history,
                              secret=secret)
        self._building = True  # widget observers ignore the values set while building
        try:
            self._build_widgets(self.model.protocol, seed)
        except BaseException:
            self.model.close()
            raise
        self._show_mismatch()
        self._building = False
        self._renderers = [
            threading.Thread(target=self._render_loop, args=("panels", self._draw_panels, 0.0),
                             name="labchat-lab-render", daemon=True),
            threading.Thread(target=self._render_loop,
                             args=("chart", self._draw_chart, CHART_RATIO),
                             name="labchat-lab-chart", daemon=True),
        ]
        for renderer in self._renderers:
            renderer.start()
        registry.register(self)
        with _current_lock:
            _current = self

    # -- what a notebook calls ------------------------------------------------------

    @property
    def protocol(self) -> str:
        return self.model.protocol

    # The view always builds its conversations with ``LocalSession``, so its
    # peers and relay are the local UDP ones.

    @property
    def a(self) -> UdpPeer:
        return cast(UdpPeer, self.model.peer("A"))

    @property
    def b(self) -> UdpPeer:
        return cast(UdpPeer, self.model.peer("B"))

    @property
    def relay(self) -> UdpRelay:
        return cast(UdpRelay, self.model.relay)

    def panel(self, side: Side) -> PeerPanel:
        return self.panels[check_side(side)]

    def send(self, side: Side, text: str) -> None:
        """``side`` sends ``text``, exactly as typing it and pressing Send does."""
        panel = self.panel(side)
        panel.input.value = text
        panel.send_button.click()

    def drop_next(self, direction: Direction) -> None:
        """The relay drops the next datagram going ``direction`` ("A->B" or "B->A")."""
        self.model.drop_next(direction)

    def force_mismatch(self, side: Side) -> None:
        """The report's test: ``side``'s next datagram carries a wrong count."""
        self.model.force_mismatch(side)

    def wait_until_quiet(self, timeout: float = 5.0) -> bool:
        """Block until nothing is on its way and the panels show it all; bounded.

        Quiet means: the model is quiet (every datagram a peer sent reached
        the relay, every copy the relay forwarded reached its peer, nothing
        waits in the relay's delay queue, no engine has unacknowledged
        messages), and the panels and the chart show the latest state. Returns
        whether that happened within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        if not self.model.wait_until_quiet(timeout):
            return False
        target = self.model.version
        with self._drawn:
            return self._drawn.wait_for(lambda: min(self._rendered.values()) >= target,
                                        max(0.0, deadline - time.monotonic()))

    def summary(self) -> str:
        """Deterministic text: protocol, each panel's counters and lines, the wire."""
        return self.model.summary()

    def records(self) -> list[WireRecord]:
        """What crossed the relay so far, as the senders recorded it (kind, seq, state)."""
        return self.model.records()

    def save_pcap(self, path: str | Path) -> Path:
        """Write what crossed the relay so far as a pcapng capture for Wireshark.

        Each datagram goes from its sender's real address to the other peer's,
        stamped with the wall-clock time it was sent; the ones the relay lost
        or duplicated say so in their packet comment.
        """
        peers = {"A": self.a, "B": self.b}
        addresses = {side: numeric_address(peers[side].address) for side in SIDES}
        return save_wire(path, self.records(), peers["A"].engine, addresses=addresses,
                         epoch=wall_clock_offset())

    def save_chart(self, path: str | Path, last: int | None = CHART_LAST) -> Path:
        """Write the current sequence chart as an SVG file (for a report or a slide)."""
        return save_svg(path, self.chart_svg(last))

    def chart_svg(self, last: int | None = CHART_LAST) -> str:
        """The current sequence chart as SVG text."""
        # Only the records drawn are copied under the model's lock; the SVG is
        # computed outside it, from that copy.
        return self._chart_of(self.model.state(records=last), last)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop the peers, the relay and the render thread; close every widget."""
        global _current
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self.model.close()  # wakes the render threads if they wait for a change
        for renderer in self._renderers:
            if renderer is not threading.current_thread():
                renderer.join(timeout=2.0)
        close_tree(self.widget)  # the panels, the controls, their layouts and styles
        with _current_lock:
            if _current is self:
                _current = None
        registry.unregister(self)

    def __enter__(self) -> ChatLab:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        # The line a notebook shows as text/plain, in the reader's words. No ports,
        # ids or times: notebooks compare this text (nbval).
        return voice.chat_lab_text(self.protocol, self.names, self._closed)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return display_bundle(self.widget, repr(self), **kwargs)

    # -- widgets -----------------------------------------------------------------------

    @staticmethod
    def _impairment_slider(name: str, style: dict[str, str]) -> widgets.FloatSlider:
        """A 0..1 slider for one impairment, labelled by the voice, found by its CSS class."""
        slider = widgets.FloatSlider(0.0, min=0.0, max=1.0, step=0.05,
                                     description=voice.label(name), style=style)
        slider.add_class(f"labchat-{name}")
        return slider

    def _build_widgets(self, protocol: str, seed: int) -> None:
        self.panels: dict[Side, PeerPanel] = {
            side: PeerPanel(side, name, functools.partial(self._send_typed, side))
            for side, name in zip(SIDES, self.names, strict=True)
        }

        def button(description: str, css: str, action: Callable[[], None]) -> widgets.Button:
            # Wide enough for "drop next Client1→Client2" without an ellipsis.
            widget = widgets.Button(description=description, tooltip=description,
                                    layout=widgets.Layout(width="auto"))
            widget.add_class(css)
            widget.on_click(lambda _b: action())
            return widget

        a_name, b_name = self.names
        buttons = [
            button(voice.label("drop_next", source=a_name, destination=b_name), "labchat-drop-a-b",
                   lambda: self.drop_next("A->B")),
            button(voice.label("drop_next", source=b_name, destination=a_name), "labchat-drop-b-a",
                   lambda: self.drop_next("B->A")),
            button(voice.label("mismatch", name=a_name), "labchat-mismatch-a",
                   lambda: self.force_mismatch("A")),
            button(voice.label("mismatch", name=b_name), "labchat-mismatch-b",
                   lambda: self.force_mismatch("B")),
        ]
        self.mismatch_buttons = buttons[2:]
        style = {"description_width": "70px"}
        # Reordering holds a copy back to be overtaken (labchat.sim.channel);
        # jitter alone reorders datagrams sent closer together than it.
        (self.loss, self.duplicate, self.delay, self.reorder, self.jitter,
         self.corrupt) = (self._impairment_slider(name, style) for name in (
             "loss", "duplicate", "delay", "reorder", "jitter", "corrupt"))
        self.seed_box = widgets.IntText(seed, description=voice.label("seed"), style=style,
                                        layout=widgets.Layout(width="160px"))
        self.seed_box.add_class("labchat-seed")
        self.protocol_chooser = widgets.Dropdown(options=list(self.model.choices), value=protocol,
                                                 description=voice.label("protocol"), style=style)
        self.protocol_chooser.add_class("labchat-protocol")
        for slider in (self.loss, self.duplicate, self.delay, self.reorder, self.jitter,
                       self.corrupt):
            slider.observe(lambda _change: self._apply_impairment(), names="value")
        self.seed_box.observe(lambda _change: self._restart(), names="value")
        self.protocol_chooser.observe(lambda _change: self._restart(), names="value")

        self.chart = widgets.HTML()
        self.chart.add_class("labchat-chart")
        row_buttons = widgets.HBox(buttons)
        row_sliders = widgets.VBox([widgets.HBox([self.loss, self.duplicate, self.delay]),
                                    widgets.HBox([self.reorder, self.jitter, self.corrupt])])
        row_choice = widgets.HBox([self.protocol_chooser, self.seed_box])
        chats = widgets.HBox([self.panels[side].widget for side in SIDES])
        chats.add_class("labchat-peers")
        self.widget = dressed([chats, row_buttons, row_sliders, row_choice, self.chart],
                              "labchat-lab")

    def _impairment(self) -> Impairment:
        return Impairment(loss=self.loss.value, duplicate=self.duplicate.value,
                          delay=self.delay.value, reorder=self.reorder.value,
                          jitter=self.jitter.value, corrupt=self.corrupt.value)

    def _apply_impairment(self) -> None:
        if self._building or self._closed:
            return
        self.model.set_impairment(self._impairment())

    def _restart(self) -> None:
        """A new protocol or seed: a fresh conversation with new peers and relay."""
        if self._building or self._closed:
            return
        self.model.restart(protocol=str(self.protocol_chooser.value),
                           seed=int(self.seed_box.value))
        self._show_mismatch()

    def _show_mismatch(self) -> None:
        # Only the report's rung carries a count to falsify: grey the buttons
        # out for the others rather than let a click end in an error line.
        engines = self.model.engines()
        for side, mismatch in zip(SIDES, self.mismatch_buttons, strict=True):
            falsifiable = self.model.can_force_mismatch(side)
            mismatch.disabled = not falsifiable
            mismatch.tooltip = (mismatch.description if falsifiable else voice.label(
                "no_count_to_falsify", protocol=engines[side].protocol))

    def _send_typed(self, side: Side, text: str) -> None:
        self.model.send(side, text)

    # -- the two writers of the drawn values --------------------------------------

    def _render_loop(self, part: str, draw: Callable[[LabState], None], ratio: float) -> None:
        # Render ``part`` as soon as something changes; with a ``ratio``, only a
        # burst is throttled: a change that comes while the last render's cost
        # has not yet been "paid back" waits out that span, then the newest
        # state is drawn once.
        shown = ({"records": CHART_LAST, "lines": 0} if part == "chart"
                 else {"records": 0, "lines": PANEL_LAST})  # only what this part draws
        ready_at = 0.0  # monotonic time before which a new render waits
        while not self._stop.is_set():
            with self._drawn:
                drawn = self._rendered[part]
            state = self.model.changed_since(drawn, timeout=1.0, **shown)
            if state is None or self._stop.is_set():
                continue  # nothing new yet, or closing
            pause = ready_at - time.monotonic()
            if pause > 0:
                if self._stop.wait(pause):
                    continue
                state = self.model.state(**shown)  # what the burst added meanwhile, drawn once
            started = time.monotonic()
            try:
                draw(state)
            except Exception as error:  # a broken display must not stop the renderer
                self.render_errors.append(error)
            finished = time.monotonic()
            ready_at = finished + ratio * (finished - started)
            with self._drawn:
                self._rendered[part] = state.version
                self._drawn.notify_all()

    def _draw_panels(self, state: LabState) -> None:
        """Draw both panels from a copy of the model's newest lines and counters."""
        for side in SIDES:
            self.panels[side].show(state.lines[side], state.snapshot[side],
                                   state.earlier_lines[side])

    def _draw_chart(self, state: LabState) -> None:
        """Draw the chart from a copy of the model's newest records alone; how many
        earlier ones it leaves out is said above it."""
        earlier = state.earlier_records
        note = (f'<div class="labchat-chart-earlier" style="color:#999999">'
                f'{html.escape(voice.chart_hidden(earlier))}</div>') if earlier else ""
        self.chart.value = note + self._chart_of(state, CHART_LAST)

    def _chart_of(self, state: LabState, last: int | None) -> str:
        # ``state`` holds only the records drawn (the model copied no more
        # under its lock), so the SVG costs the same at any history length.
        return render_svg(state.wire(), state.events, final=state.snapshot, names=self.names,
                          last=last, time_origin=state.origin, proportional_time=False)

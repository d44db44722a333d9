"""The live chat lab: two chat panels over real UDP, a relay between them, a live chart.

``ChatLab`` starts two ``UdpPeer`` objects on 127.0.0.1 (each with its own
receive thread) and a ``UdpRelay`` between them, so the network can lose,
duplicate and delay datagrams on demand. Each ``PeerPanel`` shows what its
user sees (messages new, resent, rejected told apart) and the engine's
counters; the sequence chart shows what crossed the wire.

Threads and widgets: a ``print`` or ``with out:`` from a background thread
lands in whatever cell is running at that moment (and breaks nbval's output
comparison), while setting a widget's trait is a comm message and safe from
one thread. So the peers' and the relay's threads only
record what happened in the lab's state, under the lab's lock, and wake the
lab's render thread; that one thread is the only writer of widget values,
which it re-renders from the state (traits, never ``print`` or ``with out:``).
The lab's lock is always the innermost one: nothing holding it calls into a
peer or the relay, so no lock-order deadlock is possible.

This module owns the widgets and the wiring. Protocol behaviour belongs to the
engines, impairments to the relay, drawing to ``labchat.notebook.chart``.
"""

from __future__ import annotations

import functools
import html
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import ipywidgets as widgets

from labchat import voice
from labchat.errors import LabchatError
from labchat.events import (
    DatagramReceived,
    DatagramSent,
    Event,
)
from labchat.notebook.chart import format_state, render_svg
from labchat.notebook.ui import close_tree, on_enter
from labchat.pcap import save_wire
from labchat.protocols import PROTOCOLS, ProtocolLike, create_engine, resolve_protocol
from labchat.protocols.base import Engine
from labchat.protocols.mismatch import can_force_mismatch
from labchat.sim.channel import Direction, Impairment, ImpairmentModel
from labchat.trace import SIDES, Side, WireRecord, check_side, other
from labchat.udp import registry
from labchat.udp.peer import UdpPeer, numeric_address, wait_until, wall_clock_offset
from labchat.udp.relay import UdpRelay
from labchat.udp.wirelog import WireLog

#: How many datagrams the live chart draws (the newest); older ones are counted.
CHART_LAST = 40
#: The render thread redraws at most this often, so a burst costs one redraw.
RENDER_INTERVAL = 0.05

LineKind = Literal["sent", "new", "resent", "rejected", "note", "error"]


@dataclass(frozen=True)
class Line:
    """One line of a chat panel, as its user sees it."""

    kind: LineKind
    text: str

    def html(self) -> str:
        return (f'<div class="labchat-msg labchat-msg-{self.kind}" dir="auto" '
                f'style="{_LINE_STYLE[self.kind]}">{html.escape(self.text)}</div>')


_LINE_STYLE: dict[LineKind, str] = {
    "sent": "color:#1f3f7f",
    "new": "color:#000000;font-weight:bold",
    "resent": "color:#d62728;font-style:italic",
    "rejected": "color:#7f7f7f;text-decoration:line-through",
    "note": "color:#8c564b;font-size:smaller",
    "error": "color:#ffffff;background:#d62728",
}


def line_for(event: Event, me: str, peer: str) -> Line | None:
    """What a chat panel shows for one of its engine's events (None: nothing)."""
    words = voice.chat_line(event, voice.Speakers(me, peer))
    if words is None or words.chat is None:
        return None
    return Line(cast(LineKind, words.tone), words.chat)


class PeerPanel:
    """One chat window: name, message list, counters, a text box and a Send button."""

    def __init__(self, side: Side, name: str, on_send: Callable[[str], None]) -> None:
        self.side = side
        self.name = name
        self._on_send = on_send
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

    def show(self, lines: list[Line], state: dict[str, object]) -> None:
        """Re-render the message list and counters (from the lab's render thread)."""
        body = "".join(line.html() for line in lines) or (
            f'<div style="color:#999999">{html.escape(voice.label("no_messages"))}</div>')
        self.messages.value = (f'<div style="height:220px;overflow-y:auto;'
                               f'font-family:monospace">{body}</div>')
        self.counters.value = html.escape(format_state(state) or "-")

    def close(self) -> None:
        close_tree(self.widget)


@dataclass
class _State:
    """What the threads record and the render thread draws (guarded by the lab's lock)."""

    lines: dict[Side, list[Line]] = field(default_factory=lambda: {"A": [], "B": []})
    snapshot: dict[Side, dict[str, object]] = field(default_factory=lambda: {"A": {}, "B": {}})
    events: dict[Side, list[Event]] = field(default_factory=lambda: {"A": [], "B": []})
    records: dict[int, WireRecord] = field(default_factory=dict)
    origin: float = 0.0
    version: int = 0


class _Session:
    """One conversation: two peers and the relay, for one engine class per side and seed."""

    def __init__(self, engines: dict[Side, type[Engine]], seed: int, impairment: Impairment,
                 generation: int, on_event: Callable[[_Session, Side, UdpPeer, Event], None],
                 on_record: Callable[[_Session, WireRecord], None]) -> None:
        self.protocol = engines["A"].protocol
        self.generation = generation
        self.peers: dict[Side, UdpPeer] = {}
        self.unsubscribe: list[Callable[[], None]] = []
        # One log for the three: each datagram's record is written by its sender.
        wire_log = WireLog()
        try:
            for side in SIDES:
                self.peers[side] = UdpPeer(create_engine(engines[side]), name=f"lab-{side}",
                                           wire_log=wire_log)
            self.model = ImpairmentModel(impairment, seed=seed)
            self.relay = UdpRelay(self.peers["A"].address, self.peers["B"].address,
                                  model=self.model, describe=engines["A"].describe,
                                  name="lab-relay", wire_log=wire_log)
        except BaseException:
            self.close()
            raise
        self.origin = self.relay.now()
        for side, peer in self.peers.items():
            self.unsubscribe.append(peer.subscribe(functools.partial(on_event, self, side, peer)))
        self.unsubscribe.append(self.relay.subscribe(lambda record: on_record(self, record)))
        self.peers["A"].connect(self.relay.listen_a_address)
        self.peers["B"].connect(self.relay.listen_b_address)

    def close(self) -> None:
        for unsubscribe in self.unsubscribe:
            unsubscribe()
        if hasattr(self, "relay"):
            self.relay.close()
        for peer in self.peers.values():
            peer.close()


_current: ChatLab | None = None
_current_lock = threading.Lock()


class ChatLab:
    """Two chat peers over real UDP with a relay between them, as one widget.

    Creating a lab closes the previous one (re-running a notebook cell leaks
    no thread, port or widget). Display it by leaving ``lab`` as the last
    expression of a cell.

    ``protocol`` is a rung's name, an engine class (a student's
    ``StudentEngine`` subclass) or ``FILE.py:CLASS``; ``protocols`` adds more
    classes to the chooser. ``peer_protocol`` makes B run another engine for
    the whole session, e.g. a student's class as A and labchat's reference as
    B: ``ChatLab(StopAndWait, peer_protocol="stop-and-wait")``.
    """

    def __init__(self, protocol: ProtocolLike = "report", *, seed: int = 0,
                 names: tuple[str, str] = ("A", "B"), peer_protocol: ProtocolLike | None = None,
                 protocols: Sequence[ProtocolLike] = ()) -> None:
        global _current
        chosen = resolve_protocol(protocol)  # a ValueError of one line if unknown
        self._choices: dict[str, type[Engine]] = dict(PROTOCOLS)
        for extra in (*protocols, chosen):
            engine = resolve_protocol(extra)
            self._choices[engine.protocol] = engine
        self._peer_engine = None if peer_protocol is None else resolve_protocol(peer_protocol)
        with _current_lock:
            previous, _current = _current, None
        if previous is not None:
            previous.close()
        self.names = names
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._state = _State()
        # Which conversation is current: set before its peers start, so what
        # reaches them while it is being built is already the lab's.
        self._generation = 0
        self._rendered = -1
        self.render_errors: list[BaseException] = []
        self._closed = False
        self._stop = threading.Event()
        self._building = True  # widget observers ignore the values set while building
        self._build_widgets(chosen.protocol, seed)
        self._session = self._new_session()
        self._building = False
        self._renderer = threading.Thread(target=self._render_loop, name="labchat-lab-render",
                                          daemon=True)
        self._renderer.start()
        registry.register(self)
        with _current_lock:
            _current = self

    # -- what a notebook calls ------------------------------------------------------

    @property
    def protocol(self) -> str:
        return str(self.protocol_chooser.value)

    @property
    def a(self) -> UdpPeer:
        return self._session.peers["A"]

    @property
    def b(self) -> UdpPeer:
        return self._session.peers["B"]

    @property
    def relay(self) -> UdpRelay:
        return self._session.relay

    def panel(self, side: Side) -> PeerPanel:
        return self.panels[check_side(side)]

    def send(self, side: Side, text: str) -> None:
        """``side`` sends ``text``, exactly as typing it and pressing Send does."""
        panel = self.panel(side)
        panel.input.value = text
        panel.send_button.click()

    def drop_next(self, direction: Direction) -> None:
        """The relay drops the next datagram going ``direction`` ("A->B" or "B->A")."""
        self._session.relay.drop_next(direction)

    def force_mismatch(self, side: Side) -> None:
        """The report's test: ``side``'s next datagram carries a wrong count."""
        side = check_side(side)
        try:
            self._session.peers[side].force_mismatch()
        except LabchatError as error:
            self._add_line(side, Line("error", voice.label("cannot_mismatch", error=error)))

    def wait_until_quiet(self, timeout: float = 5.0) -> bool:
        """Block until nothing is on its way and the panels show it all; bounded.

        Quiet means: every datagram a peer sent reached the relay, every copy
        the relay forwarded reached its peer, nothing waits in the relay's
        delay queue, no engine has unacknowledged messages, and the render
        thread has drawn the latest state. Returns whether that happened
        within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        session = self._session
        relay, a, b = session.relay, session.peers["A"], session.peers["B"]

        def settled() -> bool:
            # All three locks held (relay, then A, then B; nobody takes them in
            # another order), so no thread is half-way through a step.
            return relay.wait_for(
                lambda: a.wait_for(lambda: b.wait_for(lambda: _quiet(session), 0), 0), 0)

        if not wait_until(settled, timeout):
            return False
        with self._changed:
            target = self._state.version
            return self._changed.wait_for(lambda: self._rendered >= target,
                                          max(0.0, deadline - time.monotonic()))

    def summary(self) -> str:
        """Deterministic text: protocol, each panel's counters and lines, the wire."""
        with self._lock:
            lines = {side: list(self._state.lines[side]) for side in SIDES}
            states = {side: dict(self._state.snapshot[side]) for side in SIDES}
            records = _records(self._state)
        peer = None if self._peer_engine is None else (self.names[1],
                                                       self._peer_engine.protocol)
        out = [voice.lab_heading(self.protocol, self.seed_box.value, peer)]
        for side, name in zip(SIDES, self.names, strict=True):
            out.append(f"{name}: {format_state(states[side])}")
            out.extend(f"  [{line.kind}] {line.text}" for line in lines[side])
        for side in SIDES:
            sent = [r for r in records if r.source == side]
            kinds = Counter(r.kind for r in sent if r.copy_of is None)
            out.append(voice.wire_direction(side, other(side), len(sent), kinds,
                                            sum(r.fate == "dropped" for r in sent),
                                            sum(r.copy_of is not None for r in sent)))
        return "\n".join(out)

    def records(self) -> list[WireRecord]:
        """What crossed the relay so far, as the senders recorded it (kind, seq, state)."""
        with self._lock:
            return _records(self._state)

    def save_pcap(self, path: str | Path) -> Path:
        """Write what crossed the relay so far as a pcapng capture for Wireshark.

        Each datagram goes from its sender's real address to the other peer's,
        stamped with the wall-clock time it was sent; the ones the relay lost
        or duplicated say so in their packet comment.
        """
        session = self._session
        addresses = {side: numeric_address(session.peers[side].address) for side in SIDES}
        return save_wire(path, self.records(), session.peers["A"].engine, addresses=addresses,
                         epoch=wall_clock_offset())

    def chart_svg(self, last: int | None = CHART_LAST) -> str:
        """The current sequence chart as SVG text."""
        with self._lock:
            records = _records(self._state)
            events = {side: list(self._state.events[side]) for side in SIDES}
            final = {side: dict(self._state.snapshot[side]) for side in SIDES}
            origin = self._state.origin
        return render_svg(records, events, final=final, names=self.names, last=last,
                          time_origin=origin, proportional_time=False)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop the peers, the relay and the render thread; close every widget."""
        global _current
        if self._closed:
            return
        self._closed = True
        self._session.close()
        self._stop.set()
        with self._changed:
            self._changed.notify_all()
        if self._renderer is not threading.current_thread():
            self._renderer.join(timeout=2.0)
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
        # No ports, ids or times: notebooks compare this text (nbval).
        state = "closed" if self._closed else "open"
        return f"ChatLab(protocol={self.protocol!r}, names={self.names!r}) {state}"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle: dict[str, Any] = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = repr(self)
        return bundle

    # -- widgets -----------------------------------------------------------------------

    def _build_widgets(self, protocol: str, seed: int) -> None:
        self.panels: dict[Side, PeerPanel] = {
            side: PeerPanel(side, name, functools.partial(self._send, side))
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
        self.loss = widgets.FloatSlider(0.0, min=0.0, max=1.0, step=0.05,
                                        description=voice.label("loss"), style=style)
        self.loss.add_class("labchat-loss")
        self.duplicate = widgets.FloatSlider(0.0, min=0.0, max=1.0, step=0.05,
                                             description=voice.label("duplicate"), style=style)
        self.duplicate.add_class("labchat-duplicate")
        self.delay = widgets.FloatSlider(0.0, min=0.0, max=1.0, step=0.05,
                                         description=voice.label("delay"), style=style)
        self.delay.add_class("labchat-delay")
        self.seed_box = widgets.IntText(seed, description=voice.label("seed"), style=style,
                                        layout=widgets.Layout(width="160px"))
        self.seed_box.add_class("labchat-seed")
        self.protocol_chooser = widgets.Dropdown(options=list(self._choices), value=protocol,
                                                 description=voice.label("protocol"), style=style)
        self.protocol_chooser.add_class("labchat-protocol")
        for slider in (self.loss, self.duplicate, self.delay):
            slider.observe(lambda _change: self._apply_impairment(), names="value")
        self.seed_box.observe(lambda _change: self._restart(), names="value")
        self.protocol_chooser.observe(lambda _change: self._restart(), names="value")

        self.chart = widgets.HTML()
        self.chart.add_class("labchat-chart")
        row_buttons = widgets.HBox(buttons)
        row_sliders = widgets.HBox([self.loss, self.duplicate, self.delay])
        row_choice = widgets.HBox([self.protocol_chooser, self.seed_box])
        chats = widgets.HBox([self.panels[side].widget for side in SIDES])
        self.widget = widgets.VBox([chats, row_buttons, row_sliders, row_choice, self.chart])
        self.widget.add_class("labchat-lab")

    def _impairment(self) -> Impairment:
        return Impairment(loss=self.loss.value, duplicate=self.duplicate.value,
                          delay=self.delay.value)

    def _apply_impairment(self) -> None:
        if self._building or self._closed:
            return
        impairment = self._impairment()
        for direction in ("A->B", "B->A"):
            self._session.relay.set_impairment(direction, impairment)

    def _restart(self) -> None:
        """A new protocol or seed: a fresh conversation with new peers and relay."""
        if self._building or self._closed:
            return
        self._session.close()
        with self._changed:
            self._state = _State(version=self._state.version + 1)
            self._generation += 1
            self._changed.notify_all()
        self._session = self._new_session()

    def _engines(self) -> dict[Side, type[Engine]]:
        """The chosen engine class on each side (B's may be fixed by ``peer_protocol``)."""
        chosen = self._choices[self.protocol]
        return {"A": chosen, "B": chosen if self._peer_engine is None else self._peer_engine}

    def _new_session(self) -> _Session:
        # Only the report's rung carries a count to falsify: grey the buttons
        # out for the others rather than let a click end in an error line.
        engines = self._engines()
        for side, mismatch in zip(SIDES, self.mismatch_buttons, strict=True):
            falsifiable = can_force_mismatch(engines[side])
            mismatch.disabled = not falsifiable
            mismatch.tooltip = (mismatch.description if falsifiable else voice.label(
                "no_count_to_falsify", protocol=engines[side].protocol))
        session = _Session(engines, int(self.seed_box.value), self._impairment(),
                           self._generation, self._on_event, self._on_record)
        # Each peer takes its own lock to snapshot: never ask it while holding
        # the lab's, since its thread may hold its lock and be waiting for ours.
        snapshots = {side: session.peers[side].snapshot() for side in SIDES}
        with self._changed:
            self._state.origin = session.origin
            for side in SIDES:  # an event may already have brought a newer one
                if not self._state.snapshot[side]:
                    self._state.snapshot[side] = snapshots[side]
            self._state.version += 1
            self._changed.notify_all()
        return session

    # -- callbacks (any thread) ------------------------------------------------------

    def _send(self, side: Side, text: str) -> None:
        try:
            self._session.peers[side].send(text)
        except (LabchatError, RuntimeError) as error:
            self._add_line(side, Line("error", voice.label("not_sent", error=error)))

    def _add_line(self, side: Side, line: Line) -> None:
        with self._changed:
            self._state.lines[side].append(line)
            self._state.version += 1
            self._changed.notify_all()

    def _on_event(self, session: _Session, side: Side, peer: UdpPeer, event: Event) -> None:
        # Called by the peer with its lock held: reading its engine is safe here.
        snapshot = dict(peer.engine.snapshot())
        me, other = (self.names if side == "A" else self.names[::-1])
        line = line_for(event, me, other)
        with self._changed:
            if session.generation != self._generation and not self._closed:
                return  # an event of a conversation already replaced
            state = self._state
            state.snapshot[side] = snapshot
            if not isinstance(event, DatagramReceived):
                state.events[side].append(event)
            if line is not None:
                state.lines[side].append(line)
            state.version += 1
            self._changed.notify_all()

    def _on_record(self, session: _Session, record: WireRecord) -> None:
        with self._changed:
            if session.generation != self._generation and not self._closed:
                return
            self._state.records[record.id] = record
            self._state.version += 1
            self._changed.notify_all()

    # -- the one writer of widget values ---------------------------------------------

    def _render_loop(self) -> None:
        while not self._stop.is_set():
            with self._changed:
                self._changed.wait_for(
                    lambda: self._stop.is_set() or self._state.version != self._rendered,
                    timeout=1.0)
                if self._stop.is_set():
                    return
                version = self._state.version
                lines = {side: list(self._state.lines[side]) for side in SIDES}
                states = {side: dict(self._state.snapshot[side]) for side in SIDES}
            try:
                for side in SIDES:
                    self.panels[side].show(lines[side], states[side])
                self.chart.value = self.chart_svg()
            except Exception as error:  # a broken display must not stop the renderer
                self.render_errors.append(error)
            with self._changed:
                self._rendered = version
                self._changed.notify_all()
            self._stop.wait(RENDER_INTERVAL)


# -- pure helpers ----------------------------------------------------------------------


def _quiet(session: _Session) -> bool:
    records = session.relay.wire
    if any(record.fate == "in_flight" for record in records):
        return False
    for side, peer in session.peers.items():
        sent = sum(isinstance(e, DatagramSent) for e in peer.history)
        received = sum(isinstance(e, DatagramReceived) for e in peer.history)
        reached_relay = sum(r.source == side and r.copy_of is None for r in records)
        forwarded = sum(r.destination == side and r.fate == "delivered" for r in records)
        if sent != reached_relay or received != forwarded or peer.unfinished():
            return False
    return True


def _records(state: _State) -> list[WireRecord]:
    """The relay's records in id order (ids are the senders', shared by the lab's log)."""
    return [state.records[key] for key in sorted(state.records)]

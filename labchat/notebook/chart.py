"""The message sequence chart: what crossed the wire, drawn as inline SVG.

Two lifelines (A left, B right), time running down, one arrow per datagram
from the moment it was sent to the moment it arrived. A lost datagram stops
halfway in a cross; one still in flight ends in an open circle. Resends and
network-made duplicates have their own colour and dash and a thin link back
to their original. Beside each lifeline: what happened to that peer (message
delivered, datagram rejected, resend-all started, timer expired, ...) and the
sender's state variables at each send, whenever they changed.

The chart re-derives nothing: each record carries the sender's state as it
sent it (``WireRecord.state``), and an event caused by an arrival names that
record (``Event.cause``), so its note is drawn beside that arrival. An event
with no cause (a send, a timer) gets a row of its own.

This module is pure: it turns a list of ``WireRecord`` plus per-side events
into SVG text, deterministically (the same input gives the
same bytes, so notebooks can be compared by nbval). It opens no socket, starts
no thread and imports no widget; the live lab and the step-through put its
output into an ``ipywidgets.HTML``.

Rows are in causal order: by time, and at one instant a datagram sent while
handling an arrival comes right after that arrival (``DatagramSent.cause``),
a timer's note right after what its side did last. Datagrams sent at the
same instant (a burst) are drawn one under the other. Every arrival at a side
whose events are known gets a note: delivered, discarded out of order (and
the ACK it sent again), buffered, duplicate ignored, stale ACK ignored,
rejected. Arrow labels are the real payloads; user text is bidi-isolated
(FSI/PDI) and never shown through ``repr``. The windowed rungs (and
stop-and-wait's one slot) show K&R's window bar at each send. Vertical gaps
grow with elapsed time but are capped, so a run with long pauses stays
readable; ``last`` keeps only the newest records, and only the events from
their time on are read (a chart of the last 40 records costs the same
whatever the history).
"""

from __future__ import annotations

import bisect
import functools
import html
import statistics
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from labchat import voice
from labchat.events import (
    AckReceived,
    DatagramReceived,
    DatagramSent,
    DuplicateDiscarded,
    Event,
    OutOfOrderDiscarded,
    TimerExpired,
)
from labchat.trace import SIDES, Side, WireRecord

#: How many records a chart draws by default; older ones are summarised in a note.
DEFAULT_LAST = 200

WIDTH = 760
LIFELINE_X: dict[Side, float] = {"A": 270.0, "B": 490.0}
TOP = 64.0  # y of the first row, below the legend and the names
ROW = 16.0  # gap between two rows at the same instant
TRANSIT_PX = 90.0  # the height of one typical transit: time is drawn to this scale
BREAK_AFTER = 8.0  # an idle stretch longer than this many typical transits is cut
BREAK_PX = 24.0  # the height of a cut
LINE_HEIGHT = 11.0  # of the notes beside the lifelines
NOTE_CHARS = 36  # characters per note line before wrapping or cutting
LABEL_CHARS = 24
CHAR_WIDTH = 0.62  # of the font size: a generous average advance, for laying text out
#: First Strong Isolate ... Pop Directional Isolate (from the voice): user text
#: keeps its own direction without flipping the punctuation around it.
FSI, PDI = voice.FSI, voice.PDI
CELL = 13.0  # width of one sequence number's cell in a window bar
BAR_HEIGHT = 12.0
#: A window bar's fill per state of a sequence number (K&R Figure 3.19).
WINDOW_FILL: dict[str, str] = {
    "acknowledged": "#b8e0a8",
    "in_flight": "#ffd966",
    "usable": "#ffffff",
    "not_usable": "#d9d9d9",
}

#: Stroke colour and dash of each kind of arrow (duplicates override the kind).
STYLE: dict[str, tuple[str, str]] = {
    "data": ("#1f77b4", ""),
    "resend": ("#d62728", "6 3"),
    "ack": ("#2ca02c", ""),
    "garbage": ("#7f7f7f", "1 3"),
    "duplicate": ("#9467bd", "2 2"),
}
NOTE_COLOUR = "#444444"
TIMER_COLOUR = "#ff7f0e"
STATE_COLOUR = "#8c564b"


# -- helpers for callers ----------------------------------------------------------


format_state = voice.format_state


#: The state variables a chart shows beside its lifelines, from every rung's
#: ``snapshot()``: the count carried, the window's edges, the timers. The rest
#: (settings such as the window size or the sequence space, housekeeping)
#: stays in the panels: a note of twelve variables at every send hides the
#: arrows it explains.
CHART_STATE_KEYS = (
    "sent", "received", "last carried", "acked by peer", "stalls", "resends",  # counts
    "state", "expected bit",  # stop-and-wait
    "send base", "next seq", "timers running", "rto", "timer", "srtt",  # windows, timers
    "expected seq", "receive base", "buffered",  # the receiving side
)
#: Keys left out while they have no value: SRTT before the first round-trip sample.
UNTIL_KNOWN = ("srtt",)
#: What a stand-alone ACK is about: the receiving side's variables only (a
#: receiver's ACK says nothing of its own sending window, as in K&R's figures).
RECEIVER_KEYS = ("received", "expected bit", "expected seq", "receive base", "buffered")


def chart_state(state: Mapping[str, object], kind: str | None = None) -> str:
    """The part of a ``snapshot()`` a chart shows (all of it if no key is known).

    With ``kind`` "ack" only the receiver's variables; with another kind of
    a rung that has a window, only the sender's.
    """
    keys: tuple[str, ...] = CHART_STATE_KEYS
    if kind == "ack":
        keys = RECEIVER_KEYS
    elif kind is not None and window_of(state) is not None:
        keys = tuple(k for k in CHART_STATE_KEYS if k not in RECEIVER_KEYS)
    shown = {key: value for key, value in state.items()
             if key in keys and not (key in UNTIL_KNOWN and value is None)}
    if kind is not None and not shown:
        return ""
    return format_state(shown or state)


def isolate(text: str) -> str:
    """User text wrapped in FSI ... PDI, so its direction does not leak out."""
    return voice.user_text(text)


def event_note(event: Event) -> str | None:
    """The one-line note a chart shows for ``event``, or None if the arrows say it all."""
    return voice.chart_note(event)


@dataclass(frozen=True)
class Window:
    """A sender's window as K&R Figure 3.19 draws it, from one ``snapshot()``."""

    base: int  # the oldest unacknowledged sequence number
    next: int  # the next sequence number to use
    size: int  # N
    modulus: int | None = None  # the sequence space, for the numbers shown
    acked: tuple[int, ...] = ()  # acknowledged out of order (Selective Repeat)

    def state_of(self, seq: int) -> str:
        """``seq``'s part of the bar: acknowledged, in_flight, usable or not_usable."""
        if seq < self.base or seq in self.acked:
            return "acknowledged"
        if seq < self.next:
            return "in_flight"
        return "usable" if seq < self.base + self.size else "not_usable"

    def shown(self) -> range:
        """The sequence numbers a bar shows: two before the base to two past the window."""
        low = max(0, self.base - 2)
        return range(low, min(self.base + self.size + 2, low + 12))


def window_of(state: Mapping[str, object]) -> Window | None:
    """The sender's window in ``state``, if its rung has one (stop-and-wait's is 1)."""
    base, following, size = (_as_int(state.get(k)) for k in ("send base", "next seq", "window"))
    modulus = _as_int(state.get("seq space"))
    if base is not None and following is not None and size is not None:
        ahead = state.get("acked ahead", ())
        acked = tuple(v for v in ahead if isinstance(v, int)) if isinstance(ahead, list) else ()
        return Window(base, following, size, modulus, acked)
    sent = _as_int(state.get("sent"))
    if sent is not None and "expected bit" in state and isinstance(state.get("state"), str):
        waiting = state["state"] != "ready"
        return Window(sent - 1 if waiting else sent, sent, 1, 2)
    return None


def _as_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def original_of(record: WireRecord, earlier: Sequence[WireRecord]) -> int | None:
    """The id of the datagram ``record`` repeats, if any.

    A network-made duplicate names it in ``copy_of``; a resend repeats the
    latest earlier first transmission of the same message (same source and
    seq). ``earlier`` holds the records sent before ``record``.
    """
    if record.copy_of is not None:
        return record.copy_of
    if record.kind != "resend" or record.seq is None:
        return None
    for candidate in reversed(earlier):
        if (candidate.source == record.source and candidate.seq == record.seq
                and candidate.kind == "data" and candidate.copy_of is None):
            return candidate.id
    return None


# -- the chart ----------------------------------------------------------------------


@dataclass
class _Moment:
    """One row of the chart: a send, an arrival, or an event of its own."""

    time: float
    rank: float
    order: int
    side: Side
    record: WireRecord | None = None
    notes: list[str] = field(default_factory=list)
    state_lines: list[str] = field(default_factory=list)
    window: Window | None = None
    y: float = 0.0


def render_svg(
    records: Sequence[WireRecord],
    events: Mapping[Side, Sequence[Event]] | None = None,
    *,
    final: Mapping[Side, Mapping[str, object]] | None = None,
    names: tuple[str, str] = ("A", "B"),
    last: int | None = DEFAULT_LAST,
    show_times: bool = True,
    time_origin: float = 0.0,
    proportional_time: bool = True,
) -> str:
    """The sequence chart of ``records`` as an SVG document (a string).

    ``events`` are each side's engine events (e.g. ``network.events``); an
    event whose ``cause`` names a drawn record's arrival is noted beside it.
    Each record's ``state`` is drawn at its send; ``final`` is each side's
    state now, drawn under its lifeline. ``last`` keeps the newest records
    only; ``time_origin`` is subtracted from the times printed in the margin.

    Live runs on a real clock want ``proportional_time=False`` (rows evenly
    spaced: a loopback transit is a fraction of a millisecond, a pause
    between messages seconds).
    """
    ordered = sorted(records, key=lambda r: r.id)
    hidden = 0
    if last is not None and len(ordered) > last:
        hidden = len(ordered) - last
        ordered = ordered[hidden:]
    earliest = min((r.sent_at for r in ordered), default=None)
    moments = _moments(ordered, events or {}, earliest)
    breaks = _place(moments, ordered, proportional_time)

    by_id = {r.id: r for r in ordered}
    send_y = {m.record.id: m.y for m in moments if m.record is not None and _is_send(m)}
    arrive_y = {m.record.id: m.y for m in moments if m.record is not None and not _is_send(m)}
    bottom = max((m.y + _note_height(m) for m in moments), default=TOP) + 24.0

    body: list[str] = []
    until = max((m.time for m in moments), default=0.0)
    recent = {side: _since((events or {}).get(side, ()), earliest) for side in SIDES}
    body.extend(_timer_bars(_timers(ordered, recent, until), moments, bottom, send_y))
    placed = _Boxes()
    for r in ordered:
        placed.add(_end_box(r, send_y[r.id], arrive_y.get(r.id)))
    latest_first: dict[tuple[Side, int], int] = {}  # (source, seq) -> its first transmission
    for record in ordered:
        original = record.copy_of
        if original is None and record.kind == "resend" and record.seq is not None:
            original = latest_first.get((record.source, record.seq))
        if record.kind == "data" and record.copy_of is None and record.seq is not None:
            latest_first[(record.source, record.seq)] = record.id
        body.append(_arrow(record, send_y[record.id], arrive_y.get(record.id), original, placed))
        if original is not None and original in by_id:
            body.append(_link(by_id[original], record, send_y, arrive_y))
    for cut in breaks:
        body.extend(_break_mark(cut))
    shown_time = ""
    for moment in moments:
        body.extend(_notes(moment))
        stamp = f"{moment.time - time_origin:.3f}"
        # One time label per instant: a burst of sends shares the first one.
        if show_times and _is_send(moment) and stamp != shown_time:
            shown_time = stamp
            body.append(_text(6, moment.y + 3, stamp, fill="#999999", size=9))

    final_lines: dict[Side, list[str]] = {
        side: _wrap(chart_state(state)) for side, state in (final or {}).items()
    }
    final_height = max((len(lines) for lines in final_lines.values()), default=0) * LINE_HEIGHT
    height = bottom + (final_height + 16.0 if final_height else 0.0)

    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="labchat-chart-svg" width="{WIDTH}" '
        f'height="{height:.0f}" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'font-family="{_esc(voice.FONT_STACK)}" font-size="10" direction="ltr">',
        f"<title>{_esc(voice.wire_summary(records))}</title>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        *_legend(),
    ]
    if hidden:
        head.append(_text(6, 42, voice.chart_hidden(hidden), fill="#999999"))
    if not ordered:
        head.append(_text(WIDTH / 2, TOP + 10, voice.chart_empty(), fill="#999999",
                          anchor="middle"))
    for side, name in zip(SIDES, names, strict=True):
        x = LIFELINE_X[side]
        head.append(_text(x, 46, name, anchor="middle", size=13, weight="bold"))
        head.append(f'<line class="labchat-lifeline" data-side="{side}" x1="{x:.1f}" y1="52" '
                    f'x2="{x:.1f}" y2="{bottom:.1f}" stroke="#333333" stroke-width="1.5"/>')
    tail: list[str] = []
    for side, lines in final_lines.items():
        anchor = "end" if side == "A" else "start"
        x = LIFELINE_X[side] + (-8 if side == "A" else 8)
        tail.append(f'<g class="labchat-final-state" data-side="{side}">')
        for k, line in enumerate(lines):
            tail.append(_text(x, bottom + 12 + k * LINE_HEIGHT, line, fill=STATE_COLOUR,
                              anchor=anchor, weight="bold"))
        tail.append("</g>")
    return "\n".join([*head, *body, *tail, "</svg>"]) + "\n"


def save_svg(path: str | Path, svg: str) -> Path:
    """Write ``svg`` (from ``render_svg``) to ``path`` as UTF-8; returns the path."""
    target = Path(path)
    target.write_text(svg, encoding="utf-8")
    return target


class SequenceChart:
    """A recorded run, displayable in a notebook as a static chart.

    Holds copies of its inputs, so it keeps showing the run as it was when
    created even if the network goes on.
    """

    def __init__(
        self,
        records: Sequence[WireRecord],
        events: Mapping[Side, Sequence[Event]] | None = None,
        *,
        final: Mapping[Side, Mapping[str, object]] | None = None,
        names: tuple[str, str] = ("A", "B"),
        last: int | None = DEFAULT_LAST,
    ) -> None:
        self.records = list(records)
        self.events = {side: list(seq) for side, seq in (events or {}).items()}
        self.final = {side: dict(v) for side, v in (final or {}).items()}
        self.names = names
        self.last = last

    def svg(self) -> str:
        return render_svg(self.records, self.events, final=self.final,
                          names=self.names, last=self.last)

    def html(self) -> str:
        """The SVG inside ``<div class="labchat-chart">``, for an HTML page or widget."""
        return f'<div class="labchat-chart">{self.svg()}</div>'

    def save(self, path: str | Path) -> Path:
        """Write the chart as an SVG file (for a report or a slide); returns its path."""
        return save_svg(path, self.svg())

    def _repr_svg_(self) -> str:
        return self.svg()

    def __repr__(self) -> str:
        # The line a notebook shows as text/plain: the reader's words, no class name.
        return voice.chart_text(voice.wire_summary(self.records))


# -- layout --------------------------------------------------------------------------


def _is_send(moment: _Moment) -> bool:
    return moment.record is not None and moment.side == moment.record.source


def _moments(records: Sequence[WireRecord], events: Mapping[Side, Sequence[Event]],
             earliest: float | None) -> list[_Moment]:
    # Only the events from the first drawn record's time on: the cost of a
    # chart of the last N records does not grow with the history.
    recent: dict[Side, Sequence[Event]] = {
        side: _since(events.get(side, ()), earliest) for side in SIDES}
    sent_cause = {e.record: e.cause for side in SIDES for e in recent[side]
                  if isinstance(e, DatagramSent) and e.record is not None and e.cause is not None}
    moments: list[_Moment] = []
    last_state: dict[Side, str] = {}
    send_rank: dict[int, float] = {}
    arrivals: dict[tuple[Side, int], _Moment] = {}
    for record in records:
        # A datagram sent while handling an arrival comes right after that arrival.
        cause = sent_cause.get(record.id)
        rank = 2 * record.id if cause is None else 2 * cause + 1.5
        send_rank[record.id] = rank
        send = _Moment(record.sent_at, rank, record.id, record.source, record)
        state = record.state
        if state is not None and record.copy_of is None:
            text = chart_state(state, record.kind)
            if text and last_state.get(record.source) != text:
                last_state[record.source] = text
                send.state_lines = _wrap(text)
            if record.kind != "ack":
                send.window = window_of(state)
        moments.append(send)
        if record.fate == "delivered" and record.arrived_at is not None:
            arrival = _Moment(record.arrived_at, 2 * record.id + 1, 0, record.destination, record)
            arrivals[(record.destination, record.id)] = arrival
            moments.append(arrival)
    order = 0
    for side in SIDES:
        handed: set[int] = set()  # arrivals this side's engine was given
        acked: set[int] = set()  # arrivals that acknowledged something new
        discarded: set[int] = set()  # arrivals dropped as out of order or duplicate
        after = -1.0  # the rank of the last thing this side did
        for event in recent[side]:
            if isinstance(event, DatagramReceived):
                if event.record is not None:
                    handed.add(event.record)
                    after = 2 * event.record + 1
                continue
            if isinstance(event, DatagramSent):
                target = None if event.cause is None else arrivals.get((side, event.cause))
                if target is not None and event.kind == "ack" and event.cause in discarded:
                    target.notes[-1] = voice.chart_ack_again(target.notes[-1], event.label)
                after = send_rank.get(event.record, after) if event.record is not None else after
                continue
            if isinstance(event, AckReceived) and event.acked and event.cause is not None:
                acked.add(event.cause)
            note = event_note(event)
            if note is None:
                continue
            # An event caused by a drawn arrival is noted there; the rest stand alone,
            # right after what this side did before them.
            target = None if event.cause is None else arrivals.get((side, event.cause))
            if target is None:
                order += 1
                target = _Moment(event.at, after + 0.25, order, side)
                moments.append(target)
            elif isinstance(event, OutOfOrderDiscarded | DuplicateDiscarded):
                discarded.add(target.record.id if target.record is not None else -1)
            target.notes.append(note)
        # An ACK the engine was given that acknowledged nothing new: ignored.
        for (at_side, record_id), arrival in arrivals.items():
            got = arrival.record
            if (at_side == side and got is not None and got.kind == "ack"
                    and record_id in handed and record_id not in acked and not arrival.notes):
                arrival.notes.append(voice.chart_stale_ack(got.label))
    moments.sort(key=lambda m: (m.time, m.rank, m.order))
    return moments


@dataclass(frozen=True)
class _Timer:
    """One run of a retransmission timer: from ``start`` to ``end`` (stopped or expired)."""

    side: Side
    seq: int | None
    start: float
    end: float
    timeout: float | None
    expired: bool
    record: int | None = None  # the send that started it, when one did


def _timers(records: Sequence[WireRecord], events: Mapping[Side, Sequence[Event]],
            until: float) -> list[_Timer]:
    """The timer runs the senders' states and events show.

    Selective Repeat (``timers running`` in its state) runs one timer per
    packet: from its send to its ACK, its expiry or its next resend.
    Go-Back-N and stop-and-wait (``timer``: the deadline, and ``rto``) run
    one: each deadline a send shows was set ``rto`` before it, and the run
    ends at the deadline if it expired, when the next one was set, or at
    the last ACK before it (stopped).
    """
    acked_at: dict[tuple[Side, int], list[float]] = {}
    expired_at: dict[tuple[Side, int | None], list[tuple[float, float]]] = {}
    expiries: dict[Side, list[float]] = {side: [] for side in SIDES}
    ack_times: dict[Side, list[float]] = {side: [] for side in SIDES}
    for side in SIDES:
        for event in events.get(side, ()):
            if isinstance(event, AckReceived) and event.acked:
                ack_times[side].append(event.at)
                for seq in event.acked:
                    acked_at.setdefault((side, seq), []).append(event.at)
            elif isinstance(event, TimerExpired):
                expired_at.setdefault((side, event.seq), []).append((event.at, event.timeout))
                expiries[side].append(event.at)
    runs: list[_Timer] = []
    single: dict[Side, list[tuple[float, float, float]]] = {side: [] for side in SIDES}
    sends = [r for r in records if r.kind in ("data", "resend") and r.copy_of is None
             and r.state is not None]
    # When each send's packet went out again (SR restarts its timer then).
    resent_at: dict[int, float] = {}
    latest: dict[tuple[Side, int | None], float] = {}
    for index in range(len(sends) - 1, -1, -1):
        key = (sends[index].source, sends[index].seq)
        if key in latest:
            resent_at[index] = latest[key]
        latest[key] = sends[index].sent_at
    for index, record in enumerate(sends):
        state = record.state or {}
        if "timers running" in state and record.seq is not None:
            key = (record.source, record.seq)
            ends = [t for t in acked_at.get(key, []) if t >= record.sent_at]
            # Strictly later: a resend is sent at the instant of the expiry that caused it.
            fired = [(t, rto) for t, rto in expired_at.get(key, []) if t > record.sent_at]
            again = [] if index not in resent_at else [resent_at[index]]
            end = min([*ends, *(t for t, _ in fired), *again, until])
            expired = bool(fired) and end == fired[0][0]
            runs.append(_Timer(record.source, record.seq, record.sent_at, end,
                               fired[0][1] if expired else None, expired, record.id))
            continue
        deadline, rto = state.get("timer"), state.get("rto")
        if isinstance(deadline, int | float) and isinstance(rto, int | float):
            mine = single[record.source]
            if not mine or mine[-1][1] != deadline:
                mine.append((deadline - rto, float(deadline), float(rto)))
    for side, starts in single.items():
        for k, (start, deadline, rto) in enumerate(starts):
            near = bisect.bisect_left(expiries[side], deadline - 1e-9)
            expired = near < len(expiries[side]) and expiries[side][near] <= deadline + 1e-9
            end = deadline
            if not expired:
                later = starts[k + 1][0] if k + 1 < len(starts) else None
                times = ack_times[side]
                last_ack = bisect.bisect_right(times, deadline) - 1
                stopped = times[last_ack] if last_ack >= 0 and times[last_ack] >= start else until
                end = min(later, deadline) if later is not None else stopped
            runs.append(_Timer(side, None, start, min(end, until), rto, expired))
    return runs


def _timer_bars(runs: Sequence[_Timer], moments: Sequence[_Moment], bottom: float,
                send_y: Mapping[int, float]) -> list[str]:
    """Each timer run as a thin bar beside its side's lifeline, inside the chart."""
    times = [m.time for m in moments]

    def y_at(t: float) -> float:
        i = bisect.bisect_left(times, t - 1e-9)
        return moments[i].y if i < len(moments) else bottom

    out: list[str] = []
    busy: dict[Side, list[float]] = {side: [] for side in SIDES}  # per slot: free from time
    for run in sorted(runs, key=lambda r: (r.start, r.side)):
        slots = busy[run.side]
        # A restarted timer takes the other slot, so each run is seen on its own.
        slot = next((k for k, free in enumerate(slots) if free < run.start), len(slots))
        if slot == len(slots):
            slots.append(run.end)
        slots[slot] = run.end
        inward = 1.0 if run.side == "A" else -1.0
        x = LIFELINE_X[run.side] + inward * (5.0 + 5.0 * min(slot, 6)) - 1.5
        y1 = send_y[run.record] if run.record is not None and run.record in send_y \
            else y_at(run.start)
        y2 = max(y1 + 2.0, y_at(run.end))
        words = voice.timer_title(run.seq, run.start, run.end, run.timeout, run.expired)
        out.append(f'<rect class="labchat-timer" data-side="{run.side}" data-expired='
                   f'"{str(run.expired).lower()}" x="{x:.1f}" y="{y1:.1f}" width="3" '
                   f'height="{y2 - y1:.1f}" fill="{TIMER_COLOUR}" fill-opacity="0.7">'
                   f"<title>{_esc(words)}</title></rect>")
        # Caps: where it was set, and where it stopped (red: it expired).
        end_colour = "#d62728" if run.expired else TIMER_COLOUR
        for y, colour in ((y1, TIMER_COLOUR), (y2, end_colour)):
            out.append(f'<line class="labchat-timer-cap" x1="{x - 2:.1f}" y1="{y:.1f}" '
                       f'x2="{x + 5:.1f}" y2="{y:.1f}" stroke="{colour}" stroke-width="1.5"/>')
    return out


def _since(events: Sequence[Event], earliest: float | None) -> Sequence[Event]:
    """The events at or after ``earliest`` (each side's events are in time order)."""
    if earliest is None or not events:
        return events
    return events[bisect.bisect_left(events, earliest, key=lambda e: e.at):]


@dataclass(frozen=True)
class _Break:
    """An idle stretch cut out of the time axis: drawn at ``y``, ``elapsed`` seconds long."""

    y: float
    elapsed: float


def _place(moments: list[_Moment], records: Sequence[WireRecord],
           proportional: bool) -> list[_Break]:
    """Give every moment its y; time is to scale, long idle stretches are cut."""
    transits = [r.arrived_at - r.sent_at for r in records
                if r.arrived_at is not None and r.arrived_at > r.sent_at]
    typical = statistics.median(transits) if transits else 1.0
    scale = TRANSIT_PX / typical  # pixels per second
    breaks: list[_Break] = []
    y = TOP
    previous: _Moment | None = None
    free_from: dict[Side, float] = {side: TOP for side in SIDES}  # below the notes so far
    for moment in moments:
        if previous is not None:
            elapsed = max(0.0, moment.time - previous.time) if proportional else 0.0
            if elapsed > BREAK_AFTER * typical:
                breaks.append(_Break(y + ROW + BREAK_PX / 2, elapsed))
                y += 2 * ROW + BREAK_PX
            else:
                # To scale, but never closer than half a row (a whole one at one instant).
                y += max(scale * elapsed, ROW if elapsed == 0.0 else ROW / 2)
        if _note_height(moment):
            y = max(y, free_from[moment.side])
            free_from[moment.side] = y + _note_height(moment)
        moment.y = y
        previous = moment
    return breaks


def _break_mark(cut: _Break) -> list[str]:
    """Two slashes across each lifeline and the time that passed, written."""
    out = [f'<g class="labchat-break" data-elapsed="{cut.elapsed:.6g}">']
    for side in SIDES:
        x = LIFELINE_X[side]
        out.append(f'<rect x="{x - 6:.1f}" y="{cut.y - 5:.1f}" width="12" height="10" '
                   'fill="#ffffff"/>')
        for dy in (-3.0, 3.0):
            out.append(f'<line x1="{x - 7:.1f}" y1="{cut.y + dy + 3:.1f}" x2="{x + 7:.1f}" '
                       f'y2="{cut.y + dy - 3:.1f}" stroke="#333333" stroke-width="1.2"/>')
    middle = (LIFELINE_X["A"] + LIFELINE_X["B"]) / 2
    out.append(_text(middle, cut.y + 4, voice.chart_break(cut.elapsed),
                     fill="#777777", anchor="middle", size=9))
    out.append("</g>")
    return out


def _note_height(moment: _Moment) -> float:
    bar = BAR_HEIGHT + 3.0 if moment.window is not None else 0.0
    lines = sum(len(_wrap_note(note)) for note in moment.notes) + len(moment.state_lines)
    return lines * LINE_HEIGHT + bar


# -- drawing -------------------------------------------------------------------------


def _arrow(record: WireRecord, y1: float, y2: float | None, original: int | None,
           placed: _Boxes) -> str:
    x1 = LIFELINE_X[record.source]
    style = "duplicate" if record.copy_of is not None else record.kind
    colour, dash = STYLE.get(style, STYLE["garbage"])
    fate = record.fate if record.fate != "delivered" or y2 is not None else "in_flight"
    attrs = (f'class="labchat-arrow" data-kind="{_esc(record.kind)}" data-fate="{fate}" '
             f'data-source="{record.source}" data-id="{record.id}"')
    if original is not None:
        attrs += f' data-copy-of="{original}"'
    if record.copy_of is not None:
        attrs += ' data-duplicate="true"'
    if record.corrupted:
        attrs += ' data-corrupted="true"'
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    parts = [f"<g {attrs}>", f"<title>{_esc(voice.record_title(record))}</title>"]
    xe, ye = _end_point(record, y1, y2)
    parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{xe:.1f}" y2="{ye:.1f}" '
                 f'stroke="{colour}" stroke-width="1.6"{dash_attr}/>')
    if record.corrupted:  # a bit flipped on the way: a zigzag near where it arrives
        mx, my = x1 + (xe - x1) * 0.85, y1 + (ye - y1) * 0.85
        parts.append(f'<polyline class="labchat-corrupted" points="{mx - 6:.1f},{my - 4:.1f} '
                     f'{mx - 2:.1f},{my + 4:.1f} {mx + 2:.1f},{my - 4:.1f} {mx + 6:.1f},'
                     f'{my + 4:.1f}" fill="none" stroke="#ff7f0e" stroke-width="2"/>')
    if fate == "delivered":
        parts.append(_arrowhead(x1, y1, xe, ye, colour))
    elif fate == "dropped":
        left, right, top, low = xe - 5, xe + 5, ye - 5, ye + 5
        parts.append(f'<g class="labchat-loss" stroke="#d62728" stroke-width="2.2">'
                     f'<line x1="{left:.1f}" y1="{top:.1f}" x2="{right:.1f}" y2="{low:.1f}"/>'
                     f'<line x1="{left:.1f}" y1="{low:.1f}" x2="{right:.1f}" y2="{top:.1f}"/>'
                     "</g>")
    else:
        parts.append(f'<circle class="labchat-in-flight" cx="{xe:.1f}" cy="{ye:.1f}" r="3" '
                     f'fill="#ffffff" stroke="{colour}"/>')
    label = voice.payload_label(record.payload, LABEL_CHARS)
    width = _width(label, 10)
    # The middle of the arrow unless another label is there: then further along it.
    # Between the lifelines, clear of every label and arrow head placed so far.
    low, high = min(LIFELINE_X.values()) + 4.0, max(LIFELINE_X.values()) - 4.0
    for t, lift in _LABEL_SPOTS:
        lx, ly = x1 + (xe - x1) * t, y1 + (ye - y1) * t - 3 + lift
        box = (lx - width / 2, ly - 8.0, lx + width / 2, ly + 2.0)
        if box[0] >= low and box[2] <= high and not placed.hits(box):
            placed.add(box)
            parts.append(_text(lx, ly, label, fill=colour, anchor="middle"))
            break
    # No free spot (a dense burst): the label stays in the arrow's tooltip only.
    parts.append("</g>")
    return "".join(parts)


#: Where a label may sit along its arrow (a fraction of its length) and how far
#: above or below it, in the order they are tried.
_LABEL_SPOTS = [(t, lift) for lift in (0.0, -7.0, 9.0, -14.0, 16.0)
                for t in (0.5, 0.38, 0.62, 0.28, 0.72)]


def _end_point(record: WireRecord, y1: float, y2: float | None) -> tuple[float, float]:
    """Where ``record``'s arrow ends: its arrival, its cross, or its open circle."""
    x1, x2 = LIFELINE_X[record.source], LIFELINE_X[record.destination]
    if record.fate == "delivered" and y2 is not None:
        return x2, y2
    return x1 + (x2 - x1) * (0.5 if record.fate == "dropped" else 0.6), y1 + ROW


def _end_box(record: WireRecord, y1: float, y2: float | None) -> tuple[float, float, float, float]:
    """The room an arrow's head (or cross) takes, kept free of labels."""
    x, y = _end_point(record, y1, y2)
    return (x - 10.0, y - 7.0, x + 10.0, y + 7.0)


Box = tuple[float, float, float, float]  # left, top, right, bottom


class _Boxes:
    """Boxes already taken, bucketed by height, so a long chart checks only its neighbours."""

    BAND = 64.0

    def __init__(self) -> None:
        self._bands: dict[int, list[Box]] = {}

    def _keys(self, box: Box) -> range:
        return range(int(box[1] // self.BAND), int(box[3] // self.BAND) + 1)

    def add(self, box: Box) -> None:
        for key in self._keys(box):
            self._bands.setdefault(key, []).append(box)

    def hits(self, box: Box) -> bool:
        return any(_overlap(box, other) for key in self._keys(box)
                   for other in self._bands.get(key, ()))


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _width(text: str, size: float) -> float:
    """A generous estimate of ``text``'s width (the bidi marks take no room)."""
    return sum(1 for c in text if c not in (FSI, PDI)) * CHAR_WIDTH * size


def _arrowhead(x1: float, y1: float, x2: float, y2: float, colour: str) -> str:
    dx, dy = x2 - x1, y2 - y1
    length = (dx * dx + dy * dy) ** 0.5 or 1.0
    ux, uy = dx / length, dy / length
    bx, by = x2 - 8 * ux, y2 - 8 * uy
    px, py = -uy * 4, ux * 4
    points = f"{x2:.1f},{y2:.1f} {bx + px:.1f},{by + py:.1f} {bx - px:.1f},{by - py:.1f}"
    return f'<polygon points="{points}" fill="{colour}"/>'


def _link(original: WireRecord, copy: WireRecord, send_y: Mapping[int, float],
          arrive_y: Mapping[int, float]) -> str:
    # From near the start of the original to near the start of the copy, both
    # close to the sender's lifeline, so links do not cross the whole chart.
    def near_start(record: WireRecord) -> tuple[float, float]:
        x1, x2 = LIFELINE_X[record.source], LIFELINE_X[record.destination]
        y1 = send_y[record.id]
        y2 = arrive_y.get(record.id, y1 + ROW)
        return x1 + (x2 - x1) * 0.1, y1 + (y2 - y1) * 0.1

    (ax, ay), (bx, by) = near_start(original), near_start(copy)
    inward = 24.0 if copy.source == "A" else -24.0
    cx, cy = (ax + bx) / 2 + inward, (ay + by) / 2
    return (f'<path class="labchat-link" data-from="{original.id}" data-to="{copy.id}" '
            f'd="M{ax:.1f},{ay:.1f} Q{cx:.1f},{cy:.1f} {bx:.1f},{by:.1f}" fill="none" '
            'stroke="#aaaaaa" stroke-width="0.8" stroke-dasharray="2 2"/>')


def _notes(moment: _Moment) -> list[str]:
    if not moment.notes and not moment.state_lines:
        return []
    side = moment.side
    anchor = "end" if side == "A" else "start"
    x = LIFELINE_X[side] + (-8 if side == "A" else 8)
    out = [f'<g class="labchat-note" data-side="{side}">']
    y = moment.y + 3
    for note in moment.notes:
        for line in _wrap_note(note):
            out.append(_text(x, y, line, fill=NOTE_COLOUR, anchor=anchor,
                             title=note if line.endswith("…") else None))
            y += LINE_HEIGHT
    for line in moment.state_lines:
        text = _text(x, y, line, fill=STATE_COLOUR, anchor=anchor)
        out.append(f'<g class="labchat-state-note">{text}</g>')
        y += LINE_HEIGHT
    out.append("</g>")
    if moment.window is not None:
        out.extend(_window_bar(moment.window, side, x, y - 8.0, anchor))
    return out


def _window_bar(window: Window, side: Side, x: float, top: float, anchor: str) -> list[str]:
    shown = window.shown()
    left = x - len(shown) * CELL if anchor == "end" else x
    title = voice.window_title(window.size, window.base, window.next,
                               [(seq, window.state_of(seq)) for seq in shown])
    out = [f'<g class="labchat-window" data-side="{side}" data-base="{window.base}" '
           f'data-next="{window.next}" '
           f'data-size="{window.size}">',
           f"<title>{_esc(title)}</title>"]
    for k, seq in enumerate(shown):
        part = window.state_of(seq)
        cx = left + k * CELL
        number = str(seq % window.modulus if window.modulus else seq)
        out.append(f'<rect class="labchat-window-cell" data-seq="{seq}" data-state="{part}" '
                   f'x="{cx:.1f}" y="{top:.1f}" width="{CELL:.0f}" height="{BAR_HEIGHT:.0f}" '
                   f'fill="{WINDOW_FILL[part]}" stroke="#888888" stroke-width="0.6"/>')
        out.append(_text(cx + CELL / 2, top + BAR_HEIGHT - 3, number, fill="#333333",
                         anchor="middle", size=8 if len(number) < 3 else 6))
    first = shown.index(window.base) if window.base in shown else 0
    span = min(window.size, len(shown) - first)
    out.append(f'<rect class="labchat-window-frame" x="{left + first * CELL:.1f}" '
               f'y="{top - 1:.1f}" width="{span * CELL:.1f}" height="{BAR_HEIGHT + 2:.0f}" '
               'fill="none" stroke="#1f77b4" stroke-width="1.4"/>')
    out.append("</g>")
    return out


def _legend() -> list[str]:
    out = ['<g class="labchat-legend">']
    x = 6.0
    for name in ("data", "resend", "duplicate", "ack", "garbage"):
        colour, dash = STYLE[name]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="{x:.1f}" y1="12" x2="{x + 24:.1f}" y2="12" stroke="{colour}" '
                   f'stroke-width="1.6"{dash_attr}/>')
        out.append(_text(x + 28, 15, voice.kind_name(name), fill=colour))
        x += 34 + 7 * len(voice.kind_name(name))
    out.append(f'<g stroke="#d62728" stroke-width="2"><line x1="{x + 2:.1f}" y1="8" '
               f'x2="{x + 10:.1f}" y2="16"/><line x1="{x + 2:.1f}" y1="16" x2="{x + 10:.1f}" '
               'y2="8"/></g>')
    out.append(_text(x + 14, 15, voice.chart_legend_lost(), fill="#d62728"))
    x = 6.0
    out.append(f'<rect x="{x + 5:.1f}" y="19" width="3" height="12" fill="{TIMER_COLOUR}"/>')
    out.append(_text(x + 12, 29, voice.chart_legend_timer(), fill="#555555"))
    x += 16 + _width(voice.chart_legend_timer(), 10)
    for part, fill in WINDOW_FILL.items():
        out.append(f'<rect x="{x:.1f}" y="21" width="{CELL:.0f}" height="9" fill="{fill}" '
                   'stroke="#888888" stroke-width="0.6"/>')
        out.append(_text(x + CELL + 4, 29, voice.window_part(part), fill="#555555"))
        x += CELL + 14 + _width(voice.window_part(part), 10)
    out.append("</g>")
    return out


def _text(x: float, y: float, text: str, *, fill: str = "#000000", anchor: str = "start",
          size: int = 10, weight: str = "normal", title: str | None = None) -> str:
    extra = f' font-size="{size}"' if size != 10 else ""
    extra += ' font-weight="bold"' if weight == "bold" else ""
    # A Persian note reads right to left inside the figure's left-to-right layout.
    text = voice.paragraph(text)
    inner = _esc(text) if title is None else f"<title>{_esc(title)}</title>{_esc(text)}"
    return (f'<text x="{x:.1f}" y="{y:.1f}" fill="{fill}" text-anchor="{anchor}"'
            f'{extra}>{inner}</text>')


# -- words ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _wrap_note(note: str) -> tuple[str, ...]:
    """A note in lines of at most ``NOTE_CHARS``, broken between words.

    Kept: a live chart redraws the same notes at every change, and wrapping
    was a fifth of its cost. A few hundred hold every note of a chart of the
    last 40 datagrams; more would only hold memory (notes quote messages, so
    a long conversation keeps making new ones).
    """
    return tuple(textwrap.wrap(note, NOTE_CHARS, break_long_words=True)) or ("",)


def _wrap(text: str) -> list[str]:
    # A state line is a list (voice.format_state): break it between items, with
    # the language's own separator (Persian writes "، "), its comma ending a line.
    separator = voice.list_separator()
    lines: list[str] = []
    current = ""
    for word in text.split(separator):
        candidate = f"{current}{separator}{word}" if current else word
        if current and len(candidate) > NOTE_CHARS:
            lines.append(current + separator.rstrip())
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return [_cut(line, NOTE_CHARS) for line in lines]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)

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

Rows are ordered by (time, record id), so datagrams sent at the same instant
(a resend-all burst) are drawn one under the other instead of on top of each
other. Vertical gaps grow with elapsed time but are capped, so a run with long
pauses stays readable; ``last`` keeps only the newest records.
"""

from __future__ import annotations

import html
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from labchat import voice
from labchat.events import (
    Event,
)
from labchat.trace import SIDES, Side, WireRecord

#: How many records a chart draws by default; older ones are summarised in a note.
DEFAULT_LAST = 200

WIDTH = 760
LIFELINE_X: dict[Side, float] = {"A": 270.0, "B": 490.0}
TOP = 64.0  # y of the first row, below the legend and the names
ROW = 16.0  # gap between two rows at the same instant
TIME_GAP_CAP = 70.0  # the most extra space elapsed time may add between two rows
TRANSIT_PX = 36.0  # extra space for one typical transit time
LINE_HEIGHT = 11.0  # of the notes beside the lifelines
NOTE_CHARS = 38  # characters per note line before wrapping or cutting
LABEL_CHARS = 30

#: Stroke colour and dash of each kind of arrow (duplicates override the kind).
STYLE: dict[str, tuple[str, str]] = {
    "data": ("#1f77b4", ""),
    "resend": ("#d62728", "6 3"),
    "ack": ("#2ca02c", ""),
    "garbage": ("#7f7f7f", "1 3"),
    "duplicate": ("#9467bd", "2 2"),
}
NOTE_COLOUR = "#444444"
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
    "send base", "next seq", "timers running", "rto", "timer",  # windows and timers
    "expected seq", "receive base", "buffered",  # the receiving side
)


def chart_state(state: Mapping[str, object]) -> str:
    """The part of a ``snapshot()`` a chart shows (all of it if no key is known)."""
    shown = {key: value for key, value in state.items() if key in CHART_STATE_KEYS}
    return format_state(shown or state)


def event_note(event: Event) -> str | None:
    """The one-line note a chart shows for ``event``, or None if the arrows say it all."""
    return voice.chart_note(event)


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
    _place(moments, ordered, proportional_time)

    by_id = {r.id: r for r in ordered}
    send_y = {m.record.id: m.y for m in moments if m.record is not None and _is_send(m)}
    arrive_y = {m.record.id: m.y for m in moments if m.record is not None and not _is_send(m)}
    bottom = max((m.y + _note_height(m) for m in moments), default=TOP) + 24.0

    body: list[str] = []
    all_before: list[WireRecord] = sorted(records, key=lambda r: r.id)
    index = {r.id: i for i, r in enumerate(all_before)}
    for record in ordered:
        original = original_of(record, all_before[: index[record.id]])
        body.append(_arrow(record, send_y[record.id], arrive_y.get(record.id), original))
        if original is not None and original in by_id:
            body.append(_link(by_id[original], record, send_y, arrive_y))
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
        'font-family="DejaVu Sans Mono, monospace" font-size="10">',
        f"<title>{_esc(_summary(records))}</title>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        *_legend(),
    ]
    if hidden:
        head.append(_text(6, 30, voice.chart_hidden(hidden), fill="#999999"))
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

    def _repr_svg_(self) -> str:
        return self.svg()

    def __repr__(self) -> str:
        return f"<SequenceChart: {_summary(self.records)}>"


# -- layout --------------------------------------------------------------------------


def _is_send(moment: _Moment) -> bool:
    return moment.record is not None and moment.side == moment.record.source


def _moments(records: Sequence[WireRecord], events: Mapping[Side, Sequence[Event]],
             earliest: float | None) -> list[_Moment]:
    moments: list[_Moment] = []
    last_state: dict[Side, str] = {}
    arrivals: dict[tuple[Side, int], _Moment] = {}
    for record in records:
        send = _Moment(record.sent_at, 2 * record.id, 0, record.source, record)
        state = record.state
        if state is not None and record.copy_of is None:
            text = chart_state(state)
            if last_state.get(record.source) != text:
                last_state[record.source] = text
                send.state_lines = _wrap(text)
        moments.append(send)
        if record.fate == "delivered" and record.arrived_at is not None:
            arrival = _Moment(record.arrived_at, 2 * record.id + 1, 0, record.destination, record)
            arrivals[(record.destination, record.id)] = arrival
            moments.append(arrival)
    order = 0
    for side in SIDES:
        for event in events.get(side, ()):
            note = event_note(event)
            if note is None or (earliest is not None and event.at < earliest):
                continue
            # An event caused by a drawn arrival is noted there; the rest stand alone.
            target = None if event.cause is None else arrivals.get((side, event.cause))
            if target is None:
                order += 1
                target = _Moment(event.at, -1.0, order, side)
                moments.append(target)
            target.notes.append(note)
    moments.sort(key=lambda m: (m.time, m.rank, m.order))
    return moments


def _place(moments: list[_Moment], records: Sequence[WireRecord], proportional: bool) -> None:
    transits = [r.arrived_at - r.sent_at for r in records
                if r.arrived_at is not None and r.arrived_at > r.sent_at]
    typical = statistics.median(transits) if transits else 1.0
    y = TOP
    previous: _Moment | None = None
    free_from: dict[Side, float] = {side: TOP for side in SIDES}  # below the notes so far
    for moment in moments:
        if previous is not None:
            elapsed = max(0.0, moment.time - previous.time) if proportional else 0.0
            y += ROW + min(TIME_GAP_CAP, TRANSIT_PX * elapsed / typical)
        if _note_height(moment):
            y = max(y, free_from[moment.side])
            free_from[moment.side] = y + _note_height(moment)
        moment.y = y
        previous = moment


def _note_height(moment: _Moment) -> float:
    return (len(moment.notes) + len(moment.state_lines)) * LINE_HEIGHT


# -- drawing -------------------------------------------------------------------------


def _arrow(record: WireRecord, y1: float, y2: float | None, original: int | None) -> str:
    x1 = LIFELINE_X[record.source]
    x2 = LIFELINE_X[record.destination]
    style = "duplicate" if record.copy_of is not None else record.kind
    colour, dash = STYLE.get(style, STYLE["garbage"])
    fate = record.fate if record.fate != "delivered" or y2 is not None else "in_flight"
    attrs = (f'class="labchat-arrow" data-kind="{_esc(record.kind)}" data-fate="{fate}" '
             f'data-source="{record.source}" data-id="{record.id}"')
    if original is not None:
        attrs += f' data-copy-of="{original}"'
    if record.copy_of is not None:
        attrs += ' data-duplicate="true"'
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    parts = [f"<g {attrs}>", f"<title>{_esc(_describe(record))}</title>"]
    if fate == "delivered" and y2 is not None:
        xe, ye = x2, y2
    else:
        xe, ye = x1 + (x2 - x1) * (0.5 if fate == "dropped" else 0.6), y1 + ROW
    parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{xe:.1f}" y2="{ye:.1f}" '
                 f'stroke="{colour}" stroke-width="1.6"{dash_attr}/>')
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
    label = voice.label_of(record, LABEL_CHARS)
    lx = x1 + (xe - x1) * 0.5
    ly = y1 + (ye - y1) * 0.5 - 3
    parts.append(_text(lx, ly, label, fill=colour, anchor="middle"))
    parts.append("</g>")
    return "".join(parts)


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
        out.append(_text(x, y, _cut(note, NOTE_CHARS), fill=NOTE_COLOUR, anchor=anchor,
                         title=note if len(note) > NOTE_CHARS else None))
        y += LINE_HEIGHT
    for line in moment.state_lines:
        text = _text(x, y, line, fill=STATE_COLOUR, anchor=anchor)
        out.append(f'<g class="labchat-state-note">{text}</g>')
        y += LINE_HEIGHT
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
    out.append("</g>")
    return out


def _text(x: float, y: float, text: str, *, fill: str = "#000000", anchor: str = "start",
          size: int = 10, weight: str = "normal", title: str | None = None) -> str:
    extra = f' font-size="{size}"' if size != 10 else ""
    extra += ' font-weight="bold"' if weight == "bold" else ""
    inner = _esc(text) if title is None else f"<title>{_esc(title)}</title>{_esc(text)}"
    return (f'<text x="{x:.1f}" y="{y:.1f}" fill="{fill}" text-anchor="{anchor}"'
            f'{extra}>{inner}</text>')


# -- words ---------------------------------------------------------------------------


def _describe(record: WireRecord) -> str:
    return voice.record_title(record)


def _summary(records: Sequence[WireRecord]) -> str:
    return voice.wire_summary(records)


def _wrap(text: str) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split(", "):
        candidate = f"{current}, {word}" if current else word
        if current and len(candidate) > NOTE_CHARS:
            lines.append(current + ",")
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

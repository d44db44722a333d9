"""Every word labchat says to a person, in one place: the one voice.

This module owns the wording of everything a person reads: what a chat panel
and the chat command show for an event, the notes beside a sequence chart,
the step-through's narration, the exercises' feedback, the widgets' labels,
tooltips and placeholders, and the plots' titles and axes. The views call
in here and never build sentences themselves (``tests/test_voice.py`` scans
the package for sentences written anywhere else), so the panel, the chart,
the step-through and the CLI say the same thing for the same event, and a
translation touches one place.

Translation: every sentence goes through the standard library's ``gettext``
(domain ``labchat``, catalogues under ``labchat/locale/<code>/LC_MESSAGES``),
with named placeholders (``{peer}``, ``{text}``) so a language may reorder
them. ``set_language`` switches the catalogue; a language without one falls
back to the English written here.

User text (messages, names, bytes off the wire) is shown as text, never
through ``repr()``, and bidi-isolated: ``user_text`` wraps it in FIRST STRONG
ISOLATE ... POP DIRECTIONAL ISOLATE, so a Persian message or ``-0`` keeps its
own direction inside an English sentence (and the other way round); an HTML
view may use ``user_html`` (``<bdi>``) instead.

Pure: no I/O beyond reading a catalogue file, no sockets, threads or widgets.
"""

from __future__ import annotations

import gettext
import html
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from labchat.events import (
    AckReceived,
    DatagramReceived,
    DatagramRejected,
    DatagramSent,
    DuplicateDiscarded,
    EngineFailed,
    Event,
    FastRetransmitted,
    FloodSummarised,
    GapSkipped,
    GaveUp,
    MessageBuffered,
    MessageDelivered,
    MessageRetransmitted,
    MessageSent,
    MismatchForced,
    OutOfOrderDiscarded,
    PeerRestarted,
    ResendReceived,
    ResendStarted,
    RttSampled,
    StrangerIgnored,
    TimerExpired,
    TransportFailed,
)
from labchat.trace import WireRecord

DOMAIN = "labchat"
LOCALE_DIR = Path(__file__).parent / "locale"
ENGLISH = "en"
#: The environment variable that picks the language a process starts in.
LANGUAGE_VARIABLE = "LABCHAT_LANG"
#: Languages written right to left (their views lay out right to left).
RIGHT_TO_LEFT = frozenset({"fa", "ar", "he", "ur"})

#: FIRST STRONG ISOLATE, RIGHT-TO-LEFT ISOLATE and POP DIRECTIONAL ISOLATE (Unicode UAX #9).
FSI = "\u2068"
RLI = "\u2067"
PDI = "\u2069"
#: The fonts views draw text in: made for Persian and Latin alike (Vazirmatn,
#: Noto), then ones every system has.
FONT_STACK = ("Vazirmatn, 'Noto Sans Arabic', 'Noto Sans', 'DejaVu Sans', Tahoma, "
              "'Segoe UI', sans-serif")

#: The families matplotlib figures use: Vazirmatn (shipped) for Persian and
#: Latin, then matplotlib's own. Only fonts that exist: matplotlib logs a
#: missing one into the cell's output.
FIGURE_FONTS = ("Vazirmatn", "DejaVu Sans")
#: The fonts labchat ships (Vazirmatn, SIL Open Font License: fonts/OFL.txt).
FONT_DIR = Path(__file__).parent / "fonts"

_catalogue: gettext.NullTranslations = gettext.NullTranslations()
_language = ENGLISH


# -- the catalogue ---------------------------------------------------------------------


def set_language(code: str) -> None:
    """Speak ``code`` ("en", "fa") from now on; unknown codes fall back to English."""
    global _catalogue, _language
    code = code.strip().lower().replace("-", "_").split("_")[0] or ENGLISH  # "fa_IR" -> "fa"
    _catalogue = gettext.translation(DOMAIN, LOCALE_DIR, languages=[code], fallback=True)
    _language = code


def language() -> str:
    """The code last passed to ``set_language`` (``$LABCHAT_LANG``, else "en", at start)."""
    return _language


def languages() -> list[str]:
    """Every language labchat speaks: English and each compiled catalogue."""
    found = {path.parent.parent.name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")}
    return [ENGLISH, *sorted(found)]


def direction() -> str:
    """``"rtl"`` when the current language is written right to left, else ``"ltr"``."""
    return "rtl" if _language in RIGHT_TO_LEFT else "ltr"


def _(message: str, /, **fields: object) -> str:
    """``message`` translated, then its ``{named}`` placeholders filled in."""
    translated = _catalogue.gettext(message)
    return translated.format(**fields) if fields else translated


def ngettext(singular: str, plural: str, n: int, /, **fields: object) -> str:
    """The form of a counted sentence for ``n``; ``{n}`` and ``fields`` are filled in."""
    return _catalogue.ngettext(singular, plural, n).format(n=n, **fields)


def N_(message: str) -> str:  # gettext's own name for the marker
    """Mark ``message`` for the catalogue without translating it yet (see ``_``)."""
    return message


set_language(os.environ.get(LANGUAGE_VARIABLE, ENGLISH))


# -- user text -------------------------------------------------------------------------


def user_text(text: object) -> str:
    """User-supplied text for a plain-text surface: as it is, bidi-isolated."""
    return f"{FSI}{text}{PDI}"


def user_html(text: object) -> str:
    """User-supplied text for HTML: escaped, inside ``<bdi>`` (isolated, direction its own)."""
    return f"<bdi>{html.escape(str(text))}</bdi>"


def paragraph(text: str) -> str:
    """A sentence of labchat's own for a surface laid out left to right (an SVG figure).

    In a right-to-left language it is isolated right to left, so its words,
    punctuation and numbers read in order wherever the figure places it.
    """
    return f"{RLI}{text}{PDI}" if direction() == "rtl" else text


def quoted(text: object) -> str:
    """User text named inside a sentence: quoted and isolated."""
    return _("“{text}”", text=user_text(text))


# -- events ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    """What people read about one event.

    ``note`` narrates it (chart notes, step-through narration, and any
    surface with nothing better to say). ``chat`` is the line a chat window
    (the lab's panels, the chat command) shows, None if a chat window stays
    silent about it; ``tone`` styles that line ("sent", "new", "resent",
    "note", "error", "rejected"). ``on_chart`` is False when the arrows
    already say it all.
    """

    note: str
    chat: str | None = None
    tone: str = "note"
    on_chart: bool = True


@dataclass(frozen=True)
class Speakers:
    """Who is talking, as a chat window names them: this side, the other, the last sender."""

    me: str = "A"
    peer: str = "B"
    source: str | None = None  # where the last datagram came from ("host:port"), if known


E = TypeVar("E", bound=Event)
_Voice = Callable[[Any, Speakers], Words]
VOICES: dict[type[Event], _Voice] = {}


def _voice(kind: type[E]) -> Callable[[Callable[[E, Speakers], Words]],
                                      Callable[[E, Speakers], Words]]:
    def register(function: Callable[[E, Speakers], Words]) -> Callable[[E, Speakers], Words]:
        VOICES[kind] = function
        return function
    return register


def words_for(event: Event, speakers: Speakers | None = None) -> Words:
    """The words for ``event``, from the voice of its class (or the nearest base class)."""
    for kind in type(event).__mro__:
        voice = VOICES.get(kind)
        if voice is not None:
            return voice(event, speakers or Speakers())
    raise KeyError(f"no voice for {type(event).__name__}")  # a labchat bug: tested


def chat_line(event: Event, speakers: Speakers) -> Words | None:
    """The event as a chat window shows it, or None if a chat window stays silent."""
    words = words_for(event, speakers)
    return words if words.chat is not None else None


def chart_note(event: Event) -> str | None:
    """The note a chart writes beside a lifeline for ``event``, or None."""
    words = words_for(event)
    return words.note if words.on_chart else None


def narration(event: Event) -> str:
    """What the step-through says ``event`` did."""
    return words_for(event).note


@_voice(MessageSent)
def _sent(event: MessageSent, who: Speakers) -> Words:
    return Words(_("sent {text} (#{seq})", text=quoted(event.text), seq=event.seq),
                 chat=_("{name}: {text}", name=user_text(who.me), text=user_text(event.text)),
                 tone="sent", on_chart=False)


@_voice(MessageDelivered)
def _delivered(event: MessageDelivered, who: Speakers) -> Words:
    return Words(_("delivered {text} (#{seq})", text=quoted(event.text), seq=event.seq),
                 chat=_("{name}: {text}", name=user_text(who.peer),
                        text=user_text(event.text)),
                 tone="new")


@_voice(ResendReceived)
def _resend_received(event: ResendReceived, who: Speakers) -> Words:
    return Words(_("shown, not counted: {text}", text=quoted(event.text)),
                 chat=_("{name} (resent): {text}", name=user_text(who.peer),
                        text=user_text(event.text)),
                 tone="resent")


@_voice(ResendStarted)
def _resend_started(event: ResendStarted, who: Speakers) -> Words:
    return Words(_("count {carried} != {expected}: resend all {messages}",
                   carried=event.carried, expected=event.expected, messages=event.messages),
                 chat=_("{peer} carried count {carried}, {me} sent {expected}: "
                        "resending all {messages}", peer=user_text(who.peer),
                        me=user_text(who.me), carried=event.carried,
                        expected=event.expected, messages=event.messages))


@_voice(MessageRetransmitted)
def _retransmitted(event: MessageRetransmitted, who: Speakers) -> Words:
    return Words(_("resent {text} (#{seq}, attempt {attempt})", text=quoted(event.text),
                   seq=event.seq, attempt=event.attempt),
                 on_chart=False)


@_voice(DuplicateDiscarded)
def _duplicate(event: DuplicateDiscarded, who: Speakers) -> Words:
    return Words(_("duplicate of #{seq} discarded", seq=event.seq),
                 chat=_("message #{seq} arrived again: discarded", seq=event.seq),
                 tone="resent")


@_voice(OutOfOrderDiscarded)
def _out_of_order(event: OutOfOrderDiscarded, who: Speakers) -> Words:
    return Words(_("discarded #{seq} out of order (expected #{expected})",
                   seq=event.seq, expected=event.expected))


@_voice(MessageBuffered)
def _buffered(event: MessageBuffered, who: Speakers) -> Words:
    return Words(_("buffered #{seq} (expected #{expected})",
                   seq=event.seq, expected=event.expected))


@_voice(GapSkipped)
def _skipped(event: GapSkipped, who: Speakers) -> Words:
    return Words(ngettext("the peer gave up on #{first}: skipped",
                          "the peer gave up on #{first}-#{last}: skipped", event.count,
                          first=event.first, last=event.first + event.count - 1),
                 on_chart=False)


@_voice(AckReceived)
def _acked(event: AckReceived, who: Speakers) -> Words:
    if not event.acked:
        return Words(_("an ACK that acknowledges nothing new"), on_chart=False)
    return Words(_("acked {numbers}", numbers=number_ranges(event.acked)))


@_voice(TimerExpired)
def _timeout(event: TimerExpired, who: Speakers) -> Words:
    return Words(_("timeout #{seq} after {seconds} s", seq=event.seq,
                   seconds=f"{event.timeout:g}"),
                 chat=_("timer expired for message #{seq}", seq=event.seq))


@_voice(RttSampled)
def _rtt_sampled(event: RttSampled, who: Speakers) -> Words:
    return Words(_("RTT #{seq} {sample} s: SRTT {srtt}, RTTVAR {rttvar}, RTO {rto}",
                   seq=event.seq, sample=f"{event.sample:.3f}", srtt=f"{event.srtt:.3f}",
                   rttvar=f"{event.rttvar:.3f}", rto=f"{event.rto:.3f}"),
                 chat=_("round trip of message #{seq}: {sample} s; the timeout is now {rto} s",
                        seq=event.seq, sample=f"{event.sample:.3f}", rto=f"{event.rto:.3f}"))


@_voice(FastRetransmitted)
def _fast_retransmitted(event: FastRetransmitted, who: Speakers) -> Words:
    return Words(_("{n} duplicate ACKs: resend from #{seq}", n=event.duplicates, seq=event.seq),
                 chat=_("{n} duplicate ACKs: fast retransmit from message #{seq}",
                        n=event.duplicates, seq=event.seq))


@_voice(GaveUp)
def _gave_up(event: GaveUp, who: Speakers) -> Words:
    return Words(_("GAVE UP on {text} (#{seq})", text=quoted(event.text), seq=event.seq),
                 chat=ngettext("gave up on {text} after {n} attempt",
                               "gave up on {text} after {n} attempts", event.attempts,
                               text=quoted(event.text)),
                 tone="error")


@_voice(DatagramRejected)
def _rejected(event: DatagramRejected, who: Speakers) -> Words:
    preview = user_text(event.preview)
    if who.source is None:
        chat = _("rejected datagram ({reason}): {preview}", reason=event.reason, preview=preview)
    else:
        chat = _("rejected datagram from {source} ({reason}): {preview}",
                 source=who.source, reason=event.reason, preview=preview)
    return Words(_("rejected: {reason}", reason=event.reason), chat=chat, tone="rejected")


@_voice(PeerRestarted)
def _peer_restarted(event: PeerRestarted, who: Speakers) -> Words:
    return Words(_("the peer restarted (session {session}): resent {n} unacknowledged",
                   session=event.session, n=event.resent),
                 chat=ngettext("{peer} restarted: {n} unacknowledged message sent again",
                               "{peer} restarted: {n} unacknowledged messages sent again",
                               event.resent, peer=user_text(who.peer)),
                 tone="note")


@_voice(StrangerIgnored)
def _stranger(event: StrangerIgnored, who: Speakers) -> Words:
    return Words(_("ignored a datagram from {source}: not the peer", source=event.source),
                 chat=_("ignored a datagram from {source}, which is not {peer}: {preview}",
                        source=event.source, peer=user_text(who.peer),
                        preview=user_text(event.preview)),
                 tone="rejected")


@_voice(FloodSummarised)
def _flood(event: FloodSummarised, who: Speakers) -> Words:
    if event.what == "rejected":
        said = ngettext("rejected {n} more datagram from {source} in {seconds} s",
                        "rejected {n} more datagrams from {source} in {seconds} s",
                        event.datagrams, source=event.source, seconds=f"{event.seconds:g}")
    else:
        said = ngettext("ignored {n} more datagram from {source} in {seconds} s",
                        "ignored {n} more datagrams from {source} in {seconds} s",
                        event.datagrams, source=event.source, seconds=f"{event.seconds:g}")
    return Words(said, chat=said, tone="rejected")


@_voice(MismatchForced)
def _mismatch(event: MismatchForced, who: Speakers) -> Words:
    return Words(_("forced wrong count {carried} (true {true_count})",
                   carried=event.carried, true_count=event.true_count),
                 chat=_("mismatch forced: that datagram carried {carried} instead of "
                        "{true_count}", carried=event.carried, true_count=event.true_count))


@_voice(DatagramSent)
def _datagram_sent(event: DatagramSent, who: Speakers) -> Words:
    return Words(_("put {label} on the wire ({size} bytes)", label=user_text(event.label),
                   size=event.size), on_chart=False)


@_voice(DatagramReceived)
def _datagram_received(event: DatagramReceived, who: Speakers) -> Words:
    return Words(_("received {size} bytes from {source}", size=event.size,
                   source=user_text(event.source)), on_chart=False)


@_voice(TransportFailed)
def _transport_failed(event: TransportFailed, who: Speakers) -> Words:
    return Words(_("error: {reason}", reason=event.reason),
                 chat=_("network error: {reason}", reason=event.reason), tone="error")


@_voice(EngineFailed)
def _engine_failed(event: EngineFailed, who: Speakers) -> Words:
    return Words(_("error: {reason}", reason=event.error),
                 chat=_("internal error: {error}", error=event.error), tone="error")


# -- the wire and the state ------------------------------------------------------------

#: The name of each kind of arrow and fate, for legends and descriptions.
KIND_NAMES = {"data": N_("data"), "resend": N_("resend"), "ack": N_("ack"),
              "garbage": N_("garbage"), "duplicate": N_("duplicate")}
FATE_NAMES = {"delivered": N_("delivered"), "dropped": N_("dropped"),
              "in_flight": N_("in flight")}


def kind_name(kind: str) -> str:
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def fate_name(fate: str) -> str:
    return _(FATE_NAMES[fate]) if fate in FATE_NAMES else fate.replace("_", " ")


#: Why the network dropped or duplicated a datagram (``WireRecord.cause``), as the
#: channel and the relay record it; the record keeps the English key, the reader
#: sees it in their language.
CAUSE_NAMES = {"random": N_("random"), "drop next": N_("drop next"), "outage": N_("outage"),
               "manual": N_("manual"), "relay closed": N_("relay closed"),
               "lost before the relay": N_("lost before the relay")}
DROP_NUMBER = "drop number "


def cause_name(cause: str) -> str:
    """A recorded cause in the reader's words; one no one named (an OS error) as it is."""
    if cause in CAUSE_NAMES:
        return _(CAUSE_NAMES[cause])
    number = cause.removeprefix(DROP_NUMBER)
    if number != cause and number.isdigit():
        return _("drop number {number}", number=number)
    return cause


def label_of(record: WireRecord, limit: int | None = None) -> str:
    """An arrow's label: the engine's reading of the bytes (user text inside), isolated.

    ``limit`` cuts a long label with an ellipsis, inside the isolation.
    """
    text = record.label or kind_name(record.kind)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return user_text(text)


def record_title(record: WireRecord) -> str:
    """A datagram in full, for a chart arrow's tooltip."""
    parts = [_("#{id} {source}->{destination} {kind}: {label}", id=record.id,
               source=record.source, destination=record.destination,
               kind=kind_name(record.kind), label=label_of(record)),
             _("sent t={time}", time=f"{record.sent_at:.3f}")]
    if record.arrived_at is not None:
        parts.append(_("arrived t={time}", time=f"{record.arrived_at:.3f}"))
    fate = fate_name(record.fate)
    parts.append(_("{fate} ({cause})", fate=fate, cause=cause_name(record.cause))
                 if record.cause else fate)
    if record.copy_of is not None:
        parts.append(_("copy of #{id}", id=record.copy_of))
    if record.received is not None:
        parts.append(_("corrupted on the way: arrived as {bytes}",
                       bytes=payload_label(record.received)))
    return ", ".join(parts)


def record_line(record: WireRecord) -> str:
    """A datagram in one short line, for the step-through."""
    line = _("#{id} {source}->{destination} {kind} {label}", id=record.id,
             source=record.source, destination=record.destination,
             kind=kind_name(record.kind), label=label_of(record))
    if record.copy_of is not None:
        line += " " + _("(copy of #{id})", id=record.copy_of)
    return line


def capture_comment(record: WireRecord) -> str:
    """What became of a datagram, for its packet comment in a capture (Wireshark shows it)."""
    parts = [_("#{id} {source}->{destination} {kind}", id=record.id, source=record.source,
               destination=record.destination, kind=kind_name(record.kind))]
    if record.copy_of is not None:
        parts.append(_("duplicate of #{id} made by the network ({cause})", id=record.copy_of,
                       cause=cause_name(record.cause)))
    elif record.cause and record.fate != "dropped":
        parts.append(_("duplicated by the network ({cause})", cause=cause_name(record.cause)))
    if record.fate == "dropped":
        parts.append(_("lost by the network ({cause})",
                       cause=cause_name(record.cause) if record.cause else _("unknown cause")))
    elif record.fate == "delivered" and record.arrived_at is not None:
        parts.append(_("arrived at {time} s", time=f"{record.arrived_at:.6f}"))
    else:
        parts.append(_("still in flight"))
    return "; ".join(parts)


def wire_summary(records: Sequence[WireRecord]) -> str:
    """``"5 datagrams (3 ack, 2 data), 1 lost, 0 in flight"``: a chart's title."""
    kinds: dict[str, int] = {}
    for record in records:
        kind = "duplicate" if record.copy_of is not None else record.kind
        kinds[kind] = kinds.get(kind, 0) + 1
    dropped = sum(1 for r in records if r.fate == "dropped")
    in_flight = sum(1 for r in records if r.fate == "in_flight")
    detail = ", ".join(f"{n} {kind_name(kind)}" for kind, n in sorted(kinds.items()))
    text = ngettext("{n} datagram", "{n} datagrams", len(records))
    if detail:
        text += f" ({detail})"
    return text + ", " + _("{lost} lost, {in_flight} in flight", lost=dropped,
                           in_flight=in_flight)


#: The names of the state variables the engines' ``snapshot()`` reports. The
#: keys stay as they are (tests and exercises read them); a person reads them
#: through ``state_name``.
STATE_NAMES = {key: key for key in (
    N_("sent"), N_("received"), N_("last carried"), N_("resends"), N_("acked by peer"),
    N_("stalls"), N_("state"), N_("send bit"), N_("expected bit"), N_("rto"), N_("retries"),
    N_("timer"), N_("queued"), N_("delivered"), N_("skip mark"), N_("out of step"),
    N_("send base"), N_("next seq"), N_("window"), N_("in flight"), N_("expected seq"),
    N_("seq space"), N_("timers running"), N_("acked ahead"), N_("receive base"),
    N_("buffered"),
)}


def state_name(key: str) -> str:
    """A snapshot key as a person reads it (a key no catalogue knows stays as it is)."""
    return _(key) if key in STATE_NAMES else key


def format_state(state: Mapping[str, object]) -> str:
    """``{"sent": 2, "last carried": 1}`` -> ``"sent=2, last carried=1"``."""
    return ", ".join(f"{state_name(key)}={_short(value)}" for key, value in state.items())


def _short(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple) and len(value) > 6:
        return _("[{first}, … {n} items]", first=", ".join(map(str, value[:5])), n=len(value))
    return str(value)


def number_ranges(numbers: Sequence[int]) -> str:
    """``[3, 4, 5]`` -> ``"3-5"``; anything else comma-separated."""
    if len(numbers) > 1 and list(numbers) == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]}-{numbers[-1]}"
    return ",".join(map(str, numbers))


# -- the chart's fixed words -----------------------------------------------------------


def chart_legend_lost() -> str:
    return _("lost")


def chart_hidden(count: int) -> str:
    return ngettext("{n} earlier datagram not shown", "{n} earlier datagrams not shown", count)


def panel_earlier(count: int) -> str:
    """Above a chat panel that shows only its newest lines: how many it leaves out."""
    return ngettext("{n} earlier line not shown", "{n} earlier lines not shown", count)


def chart_empty() -> str:
    return _("no datagrams yet")


def chart_ack_again(note: str, ack: str) -> str:
    """A discard's note and the ACK the receiver sent again for it (K&R Figure 3.22)."""
    return _("{note}, {ack} again", note=note, ack=user_text(ack))


def chart_stale_ack(ack: str) -> str:
    """An ACK that arrived and acknowledged nothing new."""
    return _("{ack}: stale ACK ignored", ack=user_text(ack))


def payload_label(payload: bytes, limit: int | None = None) -> str:
    """An arrow's label: the datagram's real bytes as text, isolated, cut with an ellipsis.

    Undecodable bytes show as U+FFFD and control characters as a middle dot,
    so a label is always one printable line.
    """
    text = payload.decode("utf-8", errors="replace")
    text = "".join(c if c.isprintable() or c == "\u200c" else "·" for c in text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return user_text(text)


#: The parts of a sender's window, as K&R Figure 3.19 names them.
WINDOW_PARTS = {"acknowledged": N_("acknowledged"), "in_flight": N_("in flight"),
                "usable": N_("usable"), "not_usable": N_("not usable")}


def window_part(part: str) -> str:
    return _(WINDOW_PARTS[part]) if part in WINDOW_PARTS else part


def window_title(size: int, base: int, following: int, parts: Sequence[tuple[int, str]]) -> str:
    """A window bar's tooltip: its edges and the part each number is in."""
    each = ", ".join(f"{seq} {window_part(part)}" for seq, part in parts)
    return _("window of {size}: base {base}, next {next}; {each}", size=size, base=base,
             next=following, each=each)


def chart_legend_timer() -> str:
    return _("timer")


def timer_title(seq: int | None, start: float, end: float, timeout: float | None,
                expired: bool) -> str:
    """A timer bar's tooltip: which packet, when it ran, its timeout, how it ended."""
    ended = _("expired") if expired else _("stopped")
    span = _("t={start} to t={end}", start=f"{start:.3f}", end=f"{end:.3f}")
    if seq is not None:
        span = _("timer for #{seq}: {span}", seq=seq, span=span)
    else:
        span = _("timer: {span}", span=span)
    if timeout is not None:
        span += ", " + _("timeout {seconds} s", seconds=f"{timeout:g}")
    return f"{span}, {ended}"


def chart_break(seconds: float) -> str:
    """Written on a cut of the time axis: how long nothing happened."""
    return _("{seconds} s idle, not to scale", seconds=f"{seconds:.3g}")


# -- widgets, plots and tables ---------------------------------------------------------

#: Every label, tooltip and placeholder of the widgets and every fixed word of
#: the plots, by a key the views name. ``{fields}`` are filled in by ``label``.
LABELS = {
    # the chat lab
    "send": N_("Send"),
    "message_placeholder": N_("type a message, Enter sends"),
    "no_messages": N_("no messages yet"),
    "drop_next": N_("drop next {source}→{destination}"),
    "mismatch": N_("mismatch {name}"),
    "no_count_to_falsify": N_("the {protocol} protocol has no count to falsify"),
    "loss": N_("loss"),
    "duplicate": N_("duplicate"),
    "delay": N_("delay (s)"),
    "reorder": N_("reorder"),
    "jitter": N_("jitter (s)"),
    "corrupt": N_("corrupt"),
    "seed": N_("seed"),
    "protocol": N_("protocol"),
    "not_sent": N_("not sent: {error}"),
    "cannot_mismatch": N_("cannot force a mismatch: {error}"),
    "history_too_small": N_("history must be at least 1, or None to keep everything, "
                            "not {history}"),
    # the chat command
    "we": N_("we"),
    # the step-through
    "peer": N_("peer {side}"),
    "message_from": N_("message from {side}"),
    "side_sends": N_("{side} sends"),
    "next_timer": N_("next timer"),
    "next_timer_none": N_("next timer: none"),
    "next_timer_at": N_("next timer (t={time})"),
    "deliver": N_("deliver"),
    "drop": N_("drop"),
    "in_flight": N_("in flight"),
    "back": N_("Back"),
    "script": N_("Script"),
    "shortcuts": N_("keys + Enter: d 3 deliver, x 3 drop, c 3 copy, t timer, b back"),
    # the textbook's figures
    "step": N_("Step"),
    "figure_transcript": N_("step {number}: {caption}"),
    # plots
    "loss_axis": N_("loss rate p (each direction)"),
    "overhead_axis": N_("data datagrams per delivered message"),
    "overhead_title": N_("Cost of reliability: measured vs textbook"),
    "measured": N_("{protocol} (measured)"),
    "expected": N_("{protocol} (expected)"),
    "goodput_axis": N_("goodput (messages per virtual second)"),
    "goodput_title": N_("Goodput vs loss"),
    # xgettext: no-python-format (a percent sign, not a placeholder)
    "overhead_spread_title": N_("Cost of reliability over several seeds: mean and 95% interval"),
    # xgettext: no-python-format (a percent sign, not a placeholder)
    "goodput_spread_title": N_("Goodput over several seeds (log scale): mean and 95% interval"),
    "sweep": N_("sweep"),
    "delivered_by_b": N_("delivered by B (in order)"),
    "message_axis": N_("message, in the order sent"),
    "delivered_at_axis": N_("delivered at B (virtual seconds)"),
    "recovery_title": N_("One lost datagram, Go-Back-N: when each message is delivered"),
    "timeout_only": N_("timeout only"),
    "fast_retransmit": N_("fast retransmit (3 duplicate ACKs)"),
    "window_axis": N_("window N (packets in flight, log scale)"),
    "utilization_axis": N_("sender utilisation U"),
    # xgettext: no-python-format (a percent sign, not a placeholder)
    "utilization_title": N_("Pipelining over several seeds: mean and 95% interval, "
                            "and the formula"),
    "utilization_measured": N_("RTT {rtt} ms (measured)"),
    "utilization_formula": N_("RTT {rtt} ms (formula)"),
}


def label(key: str, /, **fields: object) -> str:
    """The widget or plot text named ``key`` (see ``LABELS``), translated and filled in."""
    return _(LABELS[key], **fields)


#: Column headings of the text tables a notebook prints (kept short: fixed width).
COLUMNS = {"protocol": N_("protocol"), "loss": N_("loss"), "delivered": N_("delivered"),
           "gave_up": N_("gave up"), "data": N_("data"), "resends": N_("resends"),
           "acks": N_("acks"), "overhead": N_("overhead"), "expected": N_("expected"),
           "goodput": N_("goodput"), "seconds": N_("seconds"), "window": N_("window"),
           "rtt": N_("RTT (ms)"), "utilization": N_("utilisation"), "formula": N_("formula")}


def column(key: str) -> str:
    return _(COLUMNS[key])


# -- the step-through ------------------------------------------------------------------


def step_send(side: str, text: str) -> str:
    return _("{side} sends {text}", side=side, text=quoted(text))


def step_mismatch(side: str) -> str:
    return _("{side} will carry a wrong count", side=side)


def step_deliver(record: WireRecord) -> str:
    return _("deliver {datagram}", datagram=record_line(record))


def step_drop(record: WireRecord) -> str:
    return _("drop {datagram}", datagram=record_line(record))


def step_duplicate(record: WireRecord) -> str:
    return _("duplicate {datagram}: one copy delivered, one stays in flight",
             datagram=record_line(record))


def step_corrupt(record: WireRecord, received: bytes) -> str:
    return _("corrupt {datagram}: one bit flipped, it arrives as {bytes}",
             datagram=record_line(record), bytes=payload_label(received))


def step_no_timer() -> str:
    return _("no timer pending")


def step_timer(deadline: float) -> str:
    return _("clock advances to the timer at t={time}", time=f"{deadline:.3f}")


def step_new_in_flight(record: WireRecord) -> str:
    return _("new in flight: {datagram}", datagram=record_line(record))


def step_bad_line(number: int, line: str, error: object) -> str:
    return _("step {number} ({line}): {error}", number=number, line=user_text(line),
             error=error)


def step_shortcuts() -> str:
    return _("keys: 'd <id>' deliver, 'x <id>' drop, 'c <id>' duplicate, 't' next timer, "
             "'b' back")


def step_usage() -> str:
    return _("expected 'send A|B <text>', 'mismatch A|B', "
             "'deliver|drop|duplicate|corrupt <id>', 'corrupt <id> <byte>' or 'timer'")


def step_not_in_flight(datagram_id: int, waiting: Sequence[int]) -> str:
    return _("datagram {id} is not in flight (in flight: {waiting})", id=datagram_id,
             waiting=", ".join(map(str, waiting)) or _("none"))


def step_not_an_id(word: str) -> str:
    return _("{word} is not a datagram id", word=quoted(word))


# -- exercises -------------------------------------------------------------------------


def feedback_all_pass(exercise: str, total: int) -> str:
    return ngettext("{exercise}: the {n} scenario passes.", "{exercise}: all {n} scenarios pass.",
                    total, exercise=exercise)


def feedback_fail(exercise: str, failed: int, total: int) -> str:
    return ngettext("{exercise}: {failed} of {n} scenario fails.",
                    "{exercise}: {failed} of {n} scenarios fail.", total,
                    exercise=exercise, failed=failed)


def feedback_scenario(number: int, story: str) -> str:
    return _("- scenario {number}: {story}", number=number, story=story)


def feedback_raised(call: str, raised: str) -> str:
    return _("    {call} raised {error}", call=call, error=raised)


def feedback_expected(expected: object, got: object | None = None, *, answered: bool) -> str:
    if not answered:
        return _("    expected {expected}", expected=repr(expected))
    return _("    expected {expected}, got {got}", expected=repr(expected), got=repr(got))


def feedback_more(hidden: int) -> str:
    return ngettext("... and {n} more.", "... and {n} more.", hidden)


def feedback_not_a_function(kind: str) -> str:
    return _("pass your function itself, not {kind}", kind=kind)


def exercise_name(key: str) -> str:
    names = {"gbn_receiver": N_("Go-Back-N receiver"), "gbn_sender": N_("Go-Back-N sender"),
             "backoff": N_("Retransmission backoff")}
    return _(names[key])


def story_arrives(seed: int, label_text: str, copy: bool) -> str:
    if copy:
        return _("run {seed}: {label} arrives, a copy made by the network", seed=seed,
                 label=quoted(label_text))
    return _("run {seed}: {label} arrives", seed=seed, label=quoted(label_text))


def story_all_lost() -> str:
    return _("one message, every datagram lost, until the sender gives up")


# -- the chat lab's summary ------------------------------------------------------------


def lab_heading(protocol: str, seed: int, peer: tuple[str, str] | None = None) -> str:
    """The lab summary's first line; ``peer`` is (name, protocol) when B runs another engine."""
    if peer is None:
        return _("protocol {protocol}, seed {seed}", protocol=protocol, seed=seed)
    return _("protocol {protocol}, {name} runs {peer_protocol}, seed {seed}",
             protocol=protocol, name=user_text(peer[0]), peer_protocol=peer[1], seed=seed)


def wire_direction(source: str, destination: str, total: int, kinds: Mapping[str, int],
                   lost: int, duplicated: int) -> str:
    """One direction of the wire: how many datagrams of each kind, lost, duplicated."""
    detail = ", ".join(f"{n} {kind_name(k)}" for k, n in sorted(kinds.items()))
    return _("wire {source}->{destination}: {datagrams} ({detail}), {lost} lost, "
             "{duplicated} duplicated", source=source, destination=destination,
             datagrams=ngettext("{n} datagram", "{n} datagrams", total), detail=detail,
             lost=lost, duplicated=duplicated)


def step_heading(protocol: str, now: float, steps: int) -> str:
    return ngettext("{protocol} at t={time}, {n} step", "{protocol} at t={time}, {n} steps",
                    steps, protocol=protocol, time=f"{now:.3f}")


def step_delivered(side: str, texts: Sequence[str]) -> str:
    shown = ", ".join(quoted(text) for text in texts) or _("nothing")
    return _("{side} delivered: {texts}", side=side, texts=shown)


def step_wire(total: int, fates: Mapping[str, int]) -> str:
    detail = ", ".join(f"{count} {fate_name(fate)}" for fate, count in fates.items())
    return _("wire: {datagrams}, {detail}", detail=detail,
             datagrams=ngettext("{n} datagram", "{n} datagrams", total))


def step_in_flight(record: WireRecord) -> str:
    return _("in flight: {datagram}", datagram=record_line(record))


def step_next_timer(deadline: float | None) -> str:
    if deadline is None:
        return _("next timer: none")
    return _("next timer: t={time}", time=f"{deadline:.3f}")


# -- the command line ------------------------------------------------------------------


def cli_description() -> str:
    """What ``labchat --help`` says first."""
    return _("labchat: chat over UDP with the student report's protocol or a textbook one, "
             "through an impairing relay; simulate the cost; read captures in Wireshark; "
             "grade a class's own protocols.")


def cli_lang_help() -> str:
    return _("the language labchat speaks (default: $LABCHAT_LANG, else English)")


def cli_corrupt_help() -> str:
    """``--corrupt`` of ``relay`` and ``simulate``: the same impairment, the same words."""
    return _("probability a datagram arrives with one bit flipped")


# -- the chat command ------------------------------------------------------------------


def cannot_display(item: object, error: BaseException) -> str:
    """The printer's line when showing an event failed (a labchat bug, not the user's)."""
    return _("cannot display {item}: {error}", item=repr(item), error=repr(error))


# -- build your own protocol (labchat.build: the checks and labchat grade) ------------

#: Each failure class of ``labchat.build.judge.Failure``, by its key.
FAILURE_TITLES = {
    "not_written": N_("not written yet"),
    "crashed": N_("raised an exception"),
    "window_too_large": N_("window larger than half the sequence space"),
    "duplicate": N_("delivered a duplicate"),
    "out_of_order": N_("delivered out of order"),
    "ack_beyond_gap": N_("acknowledged beyond a gap"),
    "no_retransmit": N_("never retransmitted after a timeout"),
    "sent_after_give_up": N_("sent after give-up"),
    "gave_up_too_soon": N_("gave up too soon"),
    "never_quiet": N_("never stops sending"),
    "lost": N_("a message was neither delivered nor given up"),
}


def failure_title(key: str) -> str:
    return _(FAILURE_TITLES[key])


def _at(at: float | None) -> str:
    return _(" at t={at:.3f} s", at=at) if at is not None else ""


def build_verdict_not_written() -> str:
    return _("not written yet: fill in the hooks of the class and run the check again.")


def build_verdict_all_pass(total: int) -> str:
    return ngettext("the {n} scenario passes.", "all {n} scenarios pass.", total)


def build_verdict_some_fail(passed: int, total: int) -> str:
    return ngettext("{passed} of {n} scenario passes.", "{passed} of {n} scenarios pass.",
                    total, passed=passed)


def build_no_class(name: str) -> str:
    return _("no class {name} found: define it (a subclass of StudentEngine) and run again.",
             name=name)


def build_exercise_head(number: int, title: str) -> str:
    return _("Exercise {number} · {title}: ", number=number, title=title)


def build_shown_by(count: int, name: str) -> str:
    return ngettext("{n} scenario shows it: {name}",
                    "{n} scenarios show it; the shortest: {name}", count, name=name)


def build_finding(title: str, sentence: str) -> str:
    return _("{title}: {sentence}", title=title, sentence=sentence)


def build_hook_not_written(hook: str) -> str:
    return _("{hook} is not written yet (it raised NotImplementedError).",
             hook=hook or _("a hook"))


def build_crashed(who: str, error: str, hook: str, line: int | None) -> str:
    where = _(" in {hook}", hook=hook) if hook else ""
    at_line = _(", line {line}", line=line) if line else ""
    return _("{who}'s engine raised {error}{where}{at_line}.", who=who, error=error,
             where=where, at_line=at_line)


def build_window_accepted(window: int, seq_bits: int, modulus: int) -> str:
    return _("your engine accepted window={window} with seq_bits={seq_bits} ({modulus} "
             "numbers). Refuse it in setup() with a ValueError: Selective Repeat needs "
             "window <= 2**seq_bits / 2 (K&R 3.4.4).", window=window, seq_bits=seq_bits,
             modulus=modulus)


def build_duplicate(who: str, text: str, first_at: float, at: float | None) -> str:
    return _("{who} handed {text} to its user twice (first at t={first_at:.3f} s, "
             "again{at}). A copy (a resend whose ACK was lost, or a duplicate made by the "
             "network) must be recognised by its number, discarded, and acknowledged again.",
             who=who, text=text, first_at=first_at, at=_at(at))


def build_out_of_order(who: str, text: str, after: str, at: float | None) -> str:
    return _("{who} delivered {text} after {after}{at}. Messages are handed to the user in "
             "the order they were sent: a message beyond a gap waits (Selective Repeat "
             "buffers it) or is discarded (Go-Back-N).", who=who, text=text,
             after=after, at=_at(at))


def build_ack_beyond_gap(who: str, ack: int, at: float | None, delivered: int, missing: str,
                         *, cumulative: bool) -> str:
    but_not = _(" but not {text}", text=missing) if missing else ""
    if cumulative:
        return _("{who} sent ACK {ack}{at} when it had delivered {delivered} message(s)"
                 "{but_not}. A cumulative ACK names the last message received in order; "
                 "the sender then never resends the missing one.", who=who, ack=ack,
                 at=_at(at), delivered=delivered, but_not=but_not)
    return _("{who} sent ACK {ack}{at} for a message it never received{but_not}. A "
             "Selective Repeat ACK names one message the receiver has.", who=who, ack=ack,
             at=_at(at), but_not=but_not)


def build_no_retransmit(who: str, text: str, at: float | None) -> str:
    return _("the last copy of {text} was lost{at} and {who} never sent it again. Start a "
             "timer when a message goes out and resend on timeout (rdt 3.0).",
             text=text, at=_at(at), who=who)


def build_sent_after_give_up(who: str, text: str, gave_up_at: float, at: float | None) -> str:
    return _("{who} gave up on {text} at t={gave_up_at:.3f} s, then sent it again{at}. Once "
             "you give a message up, stop its timer and never send it again.", who=who,
             text=text, gave_up_at=gave_up_at, at=_at(at))


def build_gave_up_too_soon(who: str, text: str, at: float | None, tries: int,
                           max_retries: int) -> str:
    return _("{who} gave up on {text}{at} after {tries} transmission(s); with "
             "max_retries={max_retries} it must try {needed} times (the first send and "
             "max_retries resends).", who=who, text=text, at=_at(at), tries=tries,
             max_retries=max_retries, needed=max_retries + 1)


def build_never_quiet(datagrams: int) -> str:
    return _("the run was still busy after {datagrams} datagrams: a timer that is never "
             "stopped, or resends that never end.", datagrams=datagrams)


def build_lost(who: str, text: str, *, arrived: bool, sent: bool) -> str:
    if arrived:
        return _("{text} from {who} reached the peer, which never delivered it nor did the "
                 "sender give it up.", text=text, who=who)
    if not sent:
        return _("{who} never sent {text}: a message that waits for the window to open must "
                 "go out when an ACK opens it.", who=who, text=text)
    return _("{text} from {who} was neither delivered nor given up.", text=text,
             who=who)


def grade_skipped_source(cell: int | None, line: int | None, message: str) -> str:
    if cell is None:
        return _("line {line}: {message}; this part was left out", line=line, message=message)
    return _("cell {cell}, line {line}: {message}; this part was left out", cell=cell,
             line=line, message=message)


def grade_definitions_failed(error: str) -> str:
    return _("the submission's code failed while it ran: {error}", error=error)


def grade_feedback_title(student: str, file: str) -> str:
    return _("Feedback for {student} ({file})", student=student, file=file)


def grade_timed_out(seconds: float) -> str:
    return _("the checks did not finish within {seconds:g} s (an endless loop?); exercises "
             "not graded by then score 0.", seconds=seconds)


def grade_worker_failed(reason: str) -> str:
    return _("the checks stopped: {reason}", reason=reason)


def grade_not_graded(number: int, title: str) -> str:
    return _("Exercise {number} · {title}: not graded (the checks stopped before it).",
             number=number, title=title)


def grade_total(total: float, out_of: int) -> str:
    return _("Total: {total:.2f} of {out_of} exercises.", total=total, out_of=out_of)


def build_the_run() -> str:
    """Who a finding is about when it is about no one side."""
    return _("the run")


#: The build-your-own exercises' titles, by key (``labchat.build.exercises``).
EXERCISE_TITLES = {
    "stop_and_wait": N_("Stop-and-wait (rdt 3.0), sender and receiver"),
    "gbn_sender": N_("Go-Back-N sender"),
    "gbn_receiver": N_("Go-Back-N receiver"),
    "sr_receiver": N_("Selective Repeat receiver"),
    "selective_repeat": N_("Selective Repeat, sender and receiver"),
}

#: What happens in each scenario of the checks, by key; ``{messages}`` is a count.
SCENARIO_NAMES = {
    "one": N_("one message, nothing goes wrong"),
    "first_lost": N_("two messages, the first datagram is lost"),
    "first_ack_lost": N_("two messages, the first ACK is lost"),
    "first_ack_corrupted": N_("two messages, the first ACK is corrupted"),
    "second_lost": N_("three messages, the second datagram is lost"),
    "wrap_twice": N_("{messages} messages: the numbers wrap around twice"),
    "silent": N_("one message, the peer is silent: every datagram is lost"),
    # xgettext: no-python-format
    "ack_lost": N_("6 messages, 20% loss, an ACK is lost"),
    "duplicates": N_("6 messages, the network duplicates 30%"),
    # xgettext: no-python-format
    "reordered": N_("6 messages, 30% reordered"),
    "acks_corrupted": N_("6 messages, every 4th ACK corrupted"),
    # xgettext: no-python-format
    "wrap": N_("{messages} messages, 15% loss: the numbers wrap around"),
    # xgettext: no-python-format
    "long": N_("40 messages, 10% loss, 10% duplicates: a long run"),
    "window_probe": N_("window 3 with 4 numbers: the ACKs of the first window are lost"),
}

ROLE_NAMES = {"student": N_("student"), "reference": N_("reference")}


def exercise_title(key: str) -> str:
    return _(EXERCISE_TITLES[key])


def scenario_name(key: str, **fields: object) -> str:
    return _(SCENARIO_NAMES[key], **fields)


def scenario_seeded(name: str, seed: int) -> str:
    return _("{name} (seed {seed})", name=name, seed=seed)


def scenario_with_roles(name: str, roles: Sequence[tuple[str, str]]) -> str:
    """``name (A is student and B is reference)``."""
    parts = [_("{side} is {role}", side=side, role=_(ROLE_NAMES[role])) for side, role in roles]
    return _("{name} ({roles})", name=name, roles=_(" and ").join(parts))

# -- the textbook's figures, with predictions (labchat.sim.figures) ---------------------

#: Kurose & Ross's titles of the figures of chapter 3 told as step-throughs.
FIGURE_TITLES = {
    "3.16a": N_("Figure 3.16 (a) Operation of rdt3.0, the alternating-bit protocol: "
                "operation with no loss"),
    "3.16b": N_("Figure 3.16 (b) Operation of rdt3.0: lost packet"),
    "3.16c": N_("Figure 3.16 (c) Operation of rdt3.0: lost ACK"),
    "3.16d": N_("Figure 3.16 (d) Operation of rdt3.0: premature timeout"),
    "3.22": N_("Figure 3.22 Go-Back-N in operation (window size 4)"),
    "3.26": N_("Figure 3.26 Selective-repeat operation (window size 4)"),
    "3.27": N_("Figure 3.27 Selective-repeat receiver dilemma with too-large windows: "
               "a new packet or a retransmission? (sequence numbers 0-3, window size 3)"),
    "3.27-safe": N_("Figure 3.27 with a window of half the sequence space "
                    "(sequence numbers 0-3, window size 2)"),
}

#: The figures' own words for each step of their scripts (``labchat.sim.figures``).
FIGURE_STEPS = {
    "3.16a": (N_("sender: send pkt0 (m1)"), N_("sender: m2 waits its turn"),
              N_("sender: m3 waits its turn"), N_("receiver: rcv pkt0"),
              N_("sender: rcv ACK0"), N_("receiver: rcv pkt1"), N_("sender: rcv ACK1"),
              N_("receiver: rcv pkt0"), N_("sender: rcv ACK0")),
    "3.16b": (N_("sender: send pkt0"), N_("sender: pkt1 waits its turn"),
              N_("receiver: rcv pkt0"), N_("sender: rcv ACK0"), N_("pkt1 is lost (X)"),
              N_("sender: timeout"), N_("receiver: rcv pkt1"), N_("sender: rcv ACK1")),
    "3.16c": (N_("sender: send pkt0"), N_("sender: pkt1 waits its turn"),
              N_("receiver: rcv pkt0"), N_("sender: rcv ACK0"), N_("receiver: rcv pkt1"),
              N_("ACK1 is lost (X)"), N_("sender: timeout"), N_("receiver: rcv pkt1"),
              N_("sender: rcv ACK1")),
    "3.16d": (N_("sender: send pkt0 (m1)"), N_("sender: m2 waits its turn"),
              N_("sender: m3 waits its turn"), N_("receiver: rcv pkt0"),
              N_("sender: timeout (ACK0 is still on its way)"), N_("sender: rcv ACK0"),
              N_("receiver: rcv pkt0 (the resent copy)"), N_("receiver: rcv pkt1"),
              N_("sender: rcv ACK0 (the second one)"), N_("sender: rcv ACK1"),
              N_("receiver: rcv pkt0 (m3)")),
    "3.22": (N_("sender: send pkt0"), N_("sender: send pkt1"), N_("sender: send pkt2"),
             N_("sender: send pkt3 (wait)"), N_("sender: pkt4 waits: the window is full"),
             N_("sender: pkt5 waits: the window is full"), N_("pkt2 is lost (X)"),
             N_("receiver: rcv pkt0"), N_("receiver: rcv pkt1"), N_("receiver: rcv pkt3"),
             N_("sender: rcv ACK0"), N_("sender: rcv ACK1"),
             N_("sender: rcv ACK1 (the second one)"), N_("receiver: rcv pkt4"),
             N_("receiver: rcv pkt5"), N_("sender: rcv ACK1 (again)"),
             N_("sender: rcv ACK1 (again)"), N_("sender: pkt2 timeout"),
             N_("receiver: rcv pkt2"), N_("receiver: rcv pkt3")),
    "3.26": (N_("sender: pkt0 sent"), N_("sender: pkt1 sent"), N_("sender: pkt2 sent"),
             N_("sender: pkt3 sent, window full"), N_("sender: pkt4 waits: the window is full"),
             N_("sender: pkt5 waits: the window is full"), N_("pkt2 is lost (X)"),
             N_("receiver: pkt0 rcvd"), N_("receiver: pkt1 rcvd"), N_("receiver: pkt3 rcvd"),
             N_("sender: ACK0 rcvd"), N_("sender: ACK1 rcvd"), N_("sender: ACK3 rcvd"),
             N_("receiver: pkt4 rcvd"), N_("receiver: pkt5 rcvd"), N_("sender: pkt2 TIMEOUT"),
             N_("receiver: pkt2 rcvd")),
    "3.27": (N_("sender: pkt0 sent"), N_("sender: pkt1 sent"), N_("sender: pkt2 sent, window full"),
             N_("sender: pkt3 waits: the window is full"), N_("receiver: pkt0 rcvd"),
             N_("receiver: pkt1 rcvd"), N_("receiver: pkt2 rcvd: window now 3, 0, 1"),
             N_("ACK0 is lost (X)"), N_("ACK1 is lost (X)"), N_("ACK2 is lost (X)"),
             N_("sender: timeout, retransmit pkt0 (pkt1 and pkt2 too: same instant)"),
             N_("receiver: receive packet with seq number 0"), N_("sender: ACK0 rcvd"),
             N_("receiver: pkt3 rcvd")),
    "3.27-safe": (N_("sender: pkt0 sent"), N_("sender: pkt1 sent, window full"),
                  N_("sender: pkt2 waits: the window is full"), N_("receiver: pkt0 rcvd"),
                  N_("receiver: pkt1 rcvd: window now 2, 3"), N_("ACK0 is lost (X)"),
                  N_("ACK1 is lost (X)"), N_("sender: timeout, retransmit pkt0 and pkt1"),
                  N_("receiver: receive packet with seq number 0"), N_("sender: ACK0 rcvd"),
                  N_("receiver: pkt2 rcvd")),
}

#: What one step can cause, as the prediction's choices name it.
OUTCOME_NAMES = {
    "timeout": N_("the timer expires and the sender retransmits"),
    "delivered": N_("the receiver delivers a message to its user"),
    "buffered": N_("the receiver buffers it (out of order) and ACKs it"),
    "duplicate": N_("the receiver discards it as a duplicate and ACKs again"),
    "out_of_order": N_("the receiver discards it (a gap before it) and ACKs again"),
    "acked": N_("the ACK acknowledges something new: the sender's window moves"),
    "nothing_new": N_("nothing new: the sender ignores it"),
}


def figure_title(key: str) -> str:
    return _(FIGURE_TITLES[key])


def figure_step(key: str, index: int) -> str:
    return _(FIGURE_STEPS[key][index])


def outcome_name(outcome: str) -> str:
    return _(OUTCOME_NAMES[outcome])


def figure_unknown(key: str, known: Sequence[str]) -> str:
    return _("no figure {key}; the figures are {known}", key=quoted(key), known=", ".join(known))


def figure_done() -> str:
    return _("the figure is over: every step is taken")


def figure_predict_first(choices: Sequence[str]) -> str:
    return _("predict first: choose one of {choices}", choices=", ".join(choices))


def figure_next(number: int, total: int, caption: str) -> str:
    return _("step {number} of {total}: {caption}", number=number, total=total, caption=caption)


def figure_question() -> str:
    return _("What happens next? Predict, then click Step.")


def figure_verdict(right: bool, actual: str) -> str:
    if right:
        return _("Right: {actual}.", actual=outcome_name(actual))
    return _("Not quite: {actual}.", actual=outcome_name(actual))


def figure_score(right: int, made: int) -> str:
    return ngettext("{right} of {n} prediction right", "{right} of {n} predictions right", made,
                    right=right)


def figure_finished() -> str:
    return _("The figure is over.")


def interval_too_few(samples: int) -> str:
    return _("an interval needs at least 2 samples, got {n}", n=samples)


def pipeline_bad(window: float, rtt: float, transmit: float) -> str:
    return _("the utilisation needs a window of 1 or more, a round trip of 0 or more and a "
             "transmission time above 0, got {window}, {rtt}, {transmit}",
             window=window, rtt=rtt, transmit=transmit)

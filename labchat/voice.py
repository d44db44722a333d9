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
from collections.abc import Callable, Iterable, Mapping, Sequence
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

# Translators: what goes between the items of a list a person reads ("3 ack, 2 data",
# "sent=2, timer=off"): Persian writes the Arabic comma and a space, "، ".
LIST_SEPARATOR = N_(", ")


def list_separator() -> str:
    """What goes between a list's items in the current language (", " in English)."""
    return _(LIST_SEPARATOR)


def join_list(items: Iterable[str]) -> str:
    """``items`` as one list a person reads: ``["a", "b"]`` -> "a, b" ("a، b" in Persian).

    Only for prose: a wire format, a file or a Python call keeps its own comma.
    """
    return list_separator().join(items)


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


#: The tag a text summary puts before each chat line, by the line's tone (``Words.tone``).
TONE_TAGS = {"sent": N_("sent"), "new": N_("new"), "resent": N_("resent"),
             "rejected": N_("rejected"), "note": N_("note"), "error": N_("error")}


def tone_tag(tone: str) -> str:
    """``[sent]``: a chat line's tone as a text summary tags it."""
    return f"[{_(TONE_TAGS[tone])}]"


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
    return join_list(parts)


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
    detail = join_list(f"{n} {kind_name(kind)}" for kind, n in sorted(kinds.items()))
    text = ngettext("{n} datagram", "{n} datagrams", len(records))
    if detail:
        text += f" ({detail})"
    return text + list_separator() + _("{lost} lost, {in_flight} in flight", lost=dropped,
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
    N_("buffered"), N_("learned rto"), N_("partner session"), N_("partner restarts"),
    N_("bare partner"),
)}


def state_name(key: str) -> str:
    """A snapshot key as a person reads it (a key no catalogue knows stays as it is)."""
    return _(key) if key in STATE_NAMES else key


#: What a state value of None means, by its key's sense: a timer not running is
#: off, an estimate without a sample is not measured yet; anything else is none.
NONE_WORDS = {"timer": N_("off"), "srtt": N_("not measured yet"),
              "rttvar": N_("not measured yet")}
#: Values an engine reports as English keys (stop-and-wait's idle state): the
#: engine and the chart compare the key, a person reads the word.
VALUE_NAMES = {"ready": N_("ready")}
#: A list longer than this is cut in a chart's note (its full form is in the panels).
SHORT_LIST = 6


def state_value(value: object, key: str | None = None, *, short: bool = False) -> str:
    """A snapshot value as a person reads it, never as Python writes it.

    None is a word that fits ``key`` (``timer`` -> "off"), True and False are
    yes and no, a float is its shortest clear decimal (``1.2``, ``2``, never
    ``2.0`` or ``1e-07``), an empty list is "none". Digits stay Latin in every
    language, as the handouts print them. ``short`` cuts a long list to its
    first five items, for a chart's note.
    """
    if value is None:
        return _(NONE_WORDS.get(key or "", N_("none")))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return decimal(value)
    if isinstance(value, str):
        return _(VALUE_NAMES[value]) if value in VALUE_NAMES else value
    if isinstance(value, list | tuple):
        if not value:
            return _("none")
        items = [state_value(item) for item in value]
        if short and len(items) > SHORT_LIST:
            return _("[{first}, … {n} items]", first=join_list(items[:5]), n=len(items))
        return "[" + join_list(items) + "]"
    if isinstance(value, dict):
        return "{" + join_list(f"{k}: {state_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def decimal(value: float) -> str:
    """``1.2`` -> "1.2", ``2.0`` -> "2", ``1e-07`` -> "0.0000001": no exponent, no trailing zero."""
    text = f"{value:g}"
    if "e" not in text:
        return text
    return f"{value:.9f}".rstrip("0").rstrip(".") if abs(value) < 1 else f"{value:.0f}"


def format_state(state: Mapping[str, object]) -> str:
    """``{"sent": 2, "timer": None}`` -> ``"sent=2, timer=off"``: a chart note, a panel counter."""
    return join_list(f"{state_name(key)}={state_value(value, key, short=True)}"
                     for key, value in state.items())


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
    each = join_list(f"{seq} {window_part(part)}" for seq, part in parts)
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
        span += list_separator() + _("timeout {seconds} s", seconds=f"{timeout:g}")
    return join_list((span, ended))


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


# What a view shows as plain text where no widget or chart can be drawn (a
# notebook's text/plain output, a console): one short line, in the reader's words.


def chart_text(summary: str) -> str:
    """A sequence chart in one line: ``summary`` is its ``wire_summary``."""
    return _("sequence chart: {summary}", summary=summary)


def chart_stack_text(headings: Sequence[str]) -> str:
    """Charts of the same scenario stacked: their headings."""
    return _("sequence charts: {headings}", headings=" / ".join(headings))


def stepper_text(protocol: str, steps: int, now: float, in_flight: int) -> str:
    """A step-through in one line: its rung, how far it went, what waits on the wire."""
    return ngettext("step-through of {protocol}: {n} step, t={time}, {in_flight} in flight",
                    "step-through of {protocol}: {n} steps, t={time}, {in_flight} in flight",
                    steps, protocol=protocol, time=f"{now:.3f}", in_flight=in_flight)


def predictor_text(figure: str, position: int, total: int, right: int, made: int) -> str:
    """A textbook figure being predicted, in one line: where it stands and the score."""
    return _("figure {figure}: step {position} of {total}, {score}", figure=figure,
             position=position, total=total, score=figure_score(right, made))


def chat_lab_text(protocol: str, names: Sequence[str], closed: bool) -> str:
    """A chat lab in one line: its rung and its two people (no ports, ids or times)."""
    return _("chat lab: {protocol}, {first} and {second}, {state}", protocol=protocol,
             first=user_text(names[0]), second=user_text(names[1]),
             state=_("closed") if closed else _("open"))


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
             "'deliver|drop|duplicate|corrupt <id>', 'corrupt <id> <byte>', 'wait <seconds>' "
             "or 'timer'")


def step_not_in_flight(datagram_id: int, waiting: Sequence[int]) -> str:
    return _("datagram {id} is not in flight (in flight: {waiting})", id=datagram_id,
             waiting=join_list(map(str, waiting)) or _("none"))


def step_not_an_id(word: str) -> str:
    return _("{word} is not a datagram id", word=quoted(word))


def step_wait(seconds: float, now: float) -> str:
    return _("wait {seconds} s: the clock moves to t={time}", seconds=f"{seconds:g}",
             time=f"{now:.3f}")


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


def unanswered_message() -> str:
    """The message the backoff exercise's sender sends into a network that loses it all."""
    return _("anyone there?")


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
    detail = join_list(f"{n} {kind_name(k)}" for k, n in sorted(kinds.items()))
    return _("wire {source}->{destination}: {datagrams} ({detail}), {lost} lost, "
             "{duplicated} duplicated", source=source, destination=destination,
             datagrams=ngettext("{n} datagram", "{n} datagrams", total), detail=detail,
             lost=lost, duplicated=duplicated)


def step_heading(protocol: str, now: float, steps: int) -> str:
    return ngettext("{protocol} at t={time}, {n} step", "{protocol} at t={time}, {n} steps",
                    steps, protocol=protocol, time=f"{now:.3f}")


def step_delivered(side: str, texts: Sequence[str]) -> str:
    shown = join_list(quoted(text) for text in texts) or _("nothing")
    return _("{side} delivered: {texts}", side=side, texts=shown)


def step_wire(total: int, fates: Mapping[str, int]) -> str:
    detail = join_list(f"{count} {fate_name(fate)}" for fate, count in fates.items())
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
              N_("sender: m3 waits its turn"), N_("sender: m4 waits its turn"),
              N_("receiver: rcv pkt0"), N_("sender: rcv ACK0"), N_("receiver: rcv pkt1"),
              N_("sender: timeout (ACK1 is still on its way)"), N_("sender: rcv ACK1"),
              N_("receiver: rcv pkt1 (the resent copy)"), N_("receiver: rcv pkt0"),
              N_("sender: rcv ACK1 (the second one)"), N_("sender: rcv ACK0")),
    "3.22": (N_("sender: send pkt0"), N_("half a second passes"), N_("sender: send pkt1"),
             N_("half a second passes"), N_("sender: send pkt2"), N_("half a second passes"),
             N_("sender: send pkt3 (wait)"), N_("sender: pkt4 waits: the window is full"),
             N_("sender: pkt5 waits: the window is full"), N_("pkt2 is lost (X)"),
             N_("receiver: rcv pkt0"), N_("receiver: rcv pkt1"), N_("receiver: rcv pkt3"),
             N_("sender: rcv ACK0"), N_("sender: rcv ACK1"),
             N_("sender: rcv ACK1 (the second one)"), N_("receiver: rcv pkt4"),
             N_("receiver: rcv pkt5"), N_("sender: rcv ACK1 (again)"),
             N_("sender: rcv ACK1 (again)"), N_("sender: pkt2 timeout"),
             N_("receiver: rcv pkt2"), N_("receiver: rcv pkt3")),
    "3.26": (N_("sender: pkt0 sent"), N_("half a second passes"), N_("sender: pkt1 sent"),
             N_("half a second passes"), N_("sender: pkt2 sent"), N_("half a second passes"),
             N_("sender: pkt3 sent, window full"), N_("sender: pkt4 waits: the window is full"),
             N_("sender: pkt5 waits: the window is full"), N_("pkt2 is lost (X)"),
             N_("receiver: pkt0 rcvd"), N_("receiver: pkt1 rcvd"), N_("receiver: pkt3 rcvd"),
             N_("sender: ACK0 rcvd"), N_("sender: ACK1 rcvd"), N_("receiver: pkt4 rcvd"),
             N_("receiver: pkt5 rcvd"), N_("sender: pkt2 TIMEOUT"), N_("sender: ACK3 rcvd"),
             N_("receiver: pkt2 rcvd")),
    "3.27": (N_("sender: pkt0 sent"), N_("half a second passes"), N_("sender: pkt1 sent"),
             N_("half a second passes"), N_("sender: pkt2 sent, window full"),
             N_("sender: pkt3 waits: the window is full"), N_("receiver: pkt0 rcvd"),
             N_("receiver: pkt1 rcvd"), N_("receiver: pkt2 rcvd: window now 3, 0, 1"),
             N_("ACK0 is lost (X)"), N_("ACK1 is lost (X)"), N_("ACK2 is lost (X)"),
             N_("sender: timeout, retransmit pkt0"),
             N_("receiver: receive packet with seq number 0"), N_("sender: ACK0 rcvd"),
             N_("receiver: pkt3 rcvd")),
    "3.27-safe": (N_("sender: pkt0 sent"), N_("half a second passes"),
                  N_("sender: pkt1 sent, window full"),
                  N_("sender: pkt2 waits: the window is full"), N_("receiver: pkt0 rcvd"),
                  N_("receiver: pkt1 rcvd: window now 2, 3"), N_("ACK0 is lost (X)"),
                  N_("ACK1 is lost (X)"), N_("sender: timeout, retransmit pkt0"),
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
    "acked": N_("the ACK acknowledges something new: the sender's window moves if it "
                "covers the oldest message"),
    "nothing_new": N_("nothing new: the sender ignores it"),
}


def figure_title(key: str) -> str:
    return _(FIGURE_TITLES[key])


def figure_step(key: str, index: int) -> str:
    return _(FIGURE_STEPS[key][index])


def outcome_name(outcome: str) -> str:
    return _(OUTCOME_NAMES[outcome])


def figure_unknown(key: str, known: Sequence[str]) -> str:
    return _("no figure {key}; the figures are {known}", key=quoted(key), known=join_list(known))


def figure_done() -> str:
    return _("the figure is over: every step is taken")


def figure_predict_first(choices: Sequence[str]) -> str:
    return _("predict first: choose one of {choices}", choices=join_list(choices))


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


# -- what the core refuses (errors raised by the engines, the networks and the drivers) --


def shown(value: object) -> str:
    """A value handed over, named in an error: text quoted and isolated, else as it prints."""
    return quoted(value) if isinstance(value, str) else str(value)


#: Every error message the core raises, by a key the raising module names. A
#: remote error is read after "rejected: "; a local one after "not sent: " or alone.
ERRORS = {
    # a message and its bytes (labchat.errors, labchat.protocols.base)
    "too_long": N_("message too long: its datagram would be {size} bytes of UTF-8, "
                   "the limit is {limit} bytes"),
    "unencodable": N_("text cannot be encoded as UTF-8: {reason}"),
    "not_utf8": N_("not valid UTF-8 at byte {position}"),
    "datagram_too_big": N_("datagram of {size} bytes exceeds the {limit}-byte limit"),
    # choosing a protocol (labchat.protocols)
    "not_an_engine": N_("{name} is not a protocol engine: "
                        "subclass labchat.protocols.student.StudentEngine"),
    "not_a_protocol": N_("a protocol is a name, an engine class or FILE.py:CLASS, not {kind}"),
    "unknown_protocol": N_("unknown protocol {protocol}; choose one of: {known}, "
                           "or FILE.py:CLASS for your own"),
    "no_such_file": N_("no such file: {path}"),
    "cannot_load": N_("cannot load {path} as Python"),
    "syntax_error": N_("{path}, line {line}: syntax error: {error}"),
    "failed_loading": N_("{path} failed while loading: {kind}: {error}"),
    "engine_classes": N_("{path} defines {count} engine classes ({names}): "
                         "name one as {path}:CLASS"),
    "no_engine_class": N_("none"),
    "no_class": N_("{path} has no class {name}"),
    # the wire of the report and the repaired rung
    "report_no_count": N_("no ' -<count>' field at the end"),
    "report_bad_count": N_("count field {field} is neither a number nor 'resend'"),
    "repaired_shape": N_("expected '<text> -<seq> -<count>' with plain numbers"),
    "count_beyond_sent": N_("count {count} is more than the {sent} messages sent"),
    # the wire of the textbook rungs (labchat.protocols.arq)
    "unknown_kind": N_("unknown datagram kind {kind}; expected D, S or A"),
    "not_plain_number": N_("{what} field {field} is not a plain number"),
    "outside_space": N_("{what} {value} is outside the sequence space 0..{last}"),
    "sack_too_many": N_("a selective ack lists at most {count} runs"),
    "sack_too_long": N_("sack run {run} is longer than half the space"),
    "ack_shape": N_("an ACK is 'A <number>' and nothing else"),
    "data_shape": N_("a data datagram is 'D <seq> <ack> <text>'"),
    "skip_shape": N_("a skip datagram is 'S <seq> <ack> <first> <text>'"),
    "ack_unsent": N_("ack {ack} names message {named}, but the last one sent is {last}"),
    "ack_none_sent": N_("ack {ack} names message {named}, but none was sent yet"),
    "beyond_window": N_("message {seq} is beyond the receive window {first}..{last}"),
    "skip_needs_space": N_("a skip mark needs window + 1 <= half the sequence space "
                           "(window {window}, {modulus} numbers)"),
    "first_after_seq": N_("first {first} is after seq {seq}"),
    "skip_outside_window": N_("seq {seq} is not within a window of {window} from first {first}"),
    "skip_too_long": N_("a skip of {jump} messages is more than a sender abandons "
                        "({longest} at most)"),
    # settings (labchat.protocols.settings and each rung's own rules)
    "one_of": N_("one of {choices}"),
    "on_or_off": N_("on or off"),
    "whole_number_from": N_("a whole number from {low} to {high}"),
    "number_from": N_("a number from {low} to {high}"),
    "no_setting": N_("{owner} has no setting {name}; its settings: {known}"),
    "setting_refused": N_("{name} ({meaning}) must be {expected}, got {value}"),
    "max_below_timeout": N_("max_timeout ({max_timeout}) must be at least timeout ({timeout})"),
    "max_below_min": N_("max_timeout ({max_timeout}) must be at least "
                        "min_timeout ({min_timeout})"),
    "gbn_window": N_("Go-Back-N needs window < 2**seq_bits: window {window} with "
                     "seq_bits={seq_bits} gives only {numbers} numbers"),
    "sr_window": N_("Selective Repeat needs a window of at most half the sequence space: "
                    "window {window} > {half} (seq_bits={seq_bits})"),
    # a student's engine (labchat.protocols.student)
    "hook_not_written": N_("{hook} is not written yet"),
    "timer_seconds": N_("a timer needs a positive number of seconds, got {value}"),
    # the session envelope (labchat.protocols.envelope)
    "envelope_shape": N_("expected an envelope '@<session>/<session> ...'"),
    "replay_too_old": N_("packet {number} is more than {window} behind the newest ({newest})"),
    "replay": N_("packet {number} was received before (a replay)"),
    "session_bits": N_("session must be a {bits}-bit number, got {session}"),
    "empty_secret": N_("the shared secret is empty"),
    "retired_session": N_("from session {session}, which the partner left when it restarted"),
    "unsigned": N_("not signed, but this side requires the shared secret"),
    "bad_mac": N_("the MAC does not match: forged, or another secret"),
    "signed_without_secret": N_("signed with a secret, but this side has none"),
    "stale_session": N_("addressed to session {to}, not this one ({session}): "
                        "the partner has not noticed that this side restarted"),
    "no_envelope": N_("the {protocol} rung keeps its own wire: it has no envelope"),
    # the simulated network (labchat.sim)
    "direction": N_("direction must be 'A->B' or 'B->A', got {direction}"),
    "side": N_("side must be 'A' or 'B', got {side}"),
    "probability": N_("{name} is a probability from 0 to 1, got {value}"),
    "seconds": N_("{name} is a time in seconds, 0 or more, got {value}"),
    "rate": N_("rate is in bytes per second, more than 0, got {value}"),
    "not_an_impairment": N_("expected an Impairment, got {value}"),
    "count_from_one": N_("datagram numbers count from 1, got {value}"),
    "outage": N_("an outage needs start <= end, got [{start}, {end})"),
    "schedule_past": N_("cannot schedule a send at {at}, the clock is already at {now}"),
    "pattern_order": N_("a send pattern must be in time order: {text} at {at} "
                        "comes after {earliest}"),
    "network_busy": N_("the network was still busy after {steps} steps (virtual time {now} s)"),
    "time_backwards": N_("time only moves forward, got {value} seconds"),
    "not_in_flight": N_("datagram {number} is not in flight"),
    "message_count": N_("messages is a count, 0 or more, got {value}"),
    "byte_count": N_("size is a number of bytes, 0 or more, got {value}"),
    "flip_range": N_("a flip is (byte 0..{last}, bit mask 1..255), got {value}"),
    # The Wireshark dissector repeats these two in English: keep them in step.
    "checksum_unreadable": N_("corrupted: checksum mismatch (no readable checksum field)"),
    "checksum_mismatch": N_("corrupted: checksum mismatch (carried {carried}, "
                            "computed {computed})"),
    "plot_loss": N_("loss must be in [0, 1), got {value}"),
    "plot_window": N_("window must be at least 1, got {value}"),
    # real sockets (labchat.udp)
    "address": N_("expected HOST:PORT with a port from 0 to 65535, got {text}"),
    "peer_closed": N_("peer {name} is closed"),
    "no_peer_address": N_("no peer address to send to"),
    "no_record": N_("a datagram from {source} matches no record its sender wrote: "
                    "labelled from its bytes"),
    "not_that_peer": N_("ignored a datagram from {source} on the {side} side: "
                        "not that side's peer"),
    "receive_failed": N_("receive on the {side} side failed: {error}"),
    "send_to_failed": N_("send to {destination} failed: {error}"),
    "relay_error": N_("relay error: {error}"),
    "secret_unreadable": N_("cannot read the secret file {path}: {error}"),
    "secret_short": N_("the secret in {path} has {size} bytes; use at least {minimum}"),
    "secret_too_short": N_("the secret has {size} bytes; use at least {minimum}"),
    "fd_number": N_("expected fd:N with N a file descriptor number, got {text}"),
    "fd_not_socket": N_("file descriptor {fd} is not an open socket: {reason}"),
    "fd_not_udp": N_("file descriptor {fd} is not an IPv4 UDP socket"),
    "fd_not_bound": N_("file descriptor {fd} is a UDP socket not bound to a port"),
    "fd_twice": N_("--listen-a and --listen-b name the same file descriptor {fd}: "
                   "the relay needs one socket for each side"),
    # Wireshark and the class's submissions
    "no_tshark": N_("tshark is not installed: run 'sudo apt-get install tshark'"),
    "tshark_failed": N_("tshark failed (status {status}): {problems}"),
    "unreadable_submission": N_("cannot read {name}: {error}"),
    "not_a_notebook": N_("{name} is not a notebook: {error}"),
    "no_exercise": N_("no exercise {key}; the exercises: {known}"),
}


def error(key: str, /, **fields: object) -> str:
    """The error message named ``key`` (see ``ERRORS``), translated and filled in."""
    return _(ERRORS[key], **fields)


def relay_ignored(count: int, source: str, seconds: float) -> str:
    """The relay's log line for strangers it stopped naming one by one."""
    return ngettext("ignored {n} more datagram from {source} in {seconds} s",
                    "ignored {n} more datagrams from {source} in {seconds} s", count,
                    source=source, seconds=f"{seconds:g}")


def flood_source(host: str, ports: int, more: bool) -> str:
    """Where a flood came from: a host and how many of its ports."""
    if more:
        return _("{host} (more than {n} ports)", host=host, n=ports)
    return _("{host} ({n} ports)", host=host, n=ports)


#: A real peer's packet comment in its capture file: which side sent or received it.
#: (Translations avoid the zero-width non-joiner: tshark prints it as "\u200C".)
PACKET_COMMENTS = {
    "sent_by": N_("sent by {name}: {kind}"),
    "received_by": N_("received by {name}"),
}


def packet_comment(key: str, /, **fields: object) -> str:
    """The packet comment named ``key``, filled in."""
    return _(PACKET_COMMENTS[key], **fields)


def waiting_for_ack(number: int) -> str:
    """Stop-and-wait's state while a message is out."""
    return _("waiting for ACK {number}", number=number)


#: What each engine setting means, by a key its declaration names; kept in
#: English in the declaration and translated where it is shown (``setting_meaning``).
SETTING_MEANINGS = {
    "max_datagram": N_("largest datagram in bytes sent or accepted"),
    "timeout": N_("initial retransmission timeout, seconds"),
    "max_timeout": N_("cap of the doubled timeout, seconds"),
    "max_retries": N_("resends of a message before giving up"),
    "seq_bits": N_("bits of a sequence number on the wire"),
    "seq_bits_alternating": N_("bits of a sequence number on the wire, 1: alternating bit"),
    "adaptive_timeout": N_("learn the timeout from round trips (RFC 6298); after an expiry "
                           "it stays doubled until a message sent once is acknowledged"),
    "min_timeout": N_("floor of the learned timeout, seconds (RFC 6298 says 1)"),
    "window": N_("messages in flight at most"),
    "allow_unsafe_window": N_("UNSAFE: take a window too large for the sequence space "
                              "(K&R Figure 3.27)"),
    "fast_retransmit": N_("resend the window on the third duplicate ACK, "
                          "before the timer fires"),
    "acks": N_("what an ACK names: one message (the textbook's) or everything held "
               "(selective)"),
    "checksum": N_("carry a 16-bit Internet checksum; a datagram that fails it counts as lost"),
}


def setting_meaning(meaning: str) -> str:
    """A setting's declared meaning (English, from ``SETTING_MEANINGS``) as a person reads it."""
    return _(meaning)


# -- the commands' help and messages (labchat.commands) --------------------------------

#: Every help text and message of the sub-commands, by a key the command names.
#: argparse formats help with ``%``: a percent sign here would be written ``%%``.
CLI = {
    # labchat chat
    "chat": N_("chat with a peer over UDP (the report's Client1.py/Client2.py)"),
    "chat_description": N_("Chat with a peer over UDP, one line per message."),
    "chat_keys": N_("""\
what you type:
  a line of text     is sent to the peer (blank lines are ignored)
  /mismatch          the next message carries a wrong count, so a peer that
                     follows the report's rule resends everything
                     (the report's own test of its resend)
  //text             sends "/text" literally
  end of input       (Ctrl-D) waits up to --linger seconds for unacknowledged
                     messages, then quits; Ctrl-C quits at once (status 130),
                     saying what was unacknowledged and what still queued

--jsonl prints one JSON object per line: first {"event": "listening", ...}
with the bound address, then every event of the peer, engine events
("delivered", "resend_received", "resend", "rejected", ...) and transport
events ("datagram_sent", "datagram_received") alike, each with its fields.
"""),
    "name": N_("this side's name, for the prompt"),
    "peer_name": N_("the other side's name, shown before its messages"),
    "listen": N_("address to bind (default 127.0.0.1:0, a free port), or fd:N to use the "
                 "bound UDP socket inherited on file descriptor N"),
    "peer": N_("address to send to"),
    "jsonl": N_("print every event as one JSON object per line"),
    "linger": N_("at end of input, wait this long for unfinished messages (default 1.0)"),
    "accept_from_anyone": N_("give the protocol datagrams from any address, not only the "
                             "peer's (to show the attack this stops)"),
    "secret_file": N_("authenticate every datagram with the shared secret in FILE "
                      "(both sides use the same file; not with the report rung)"),
    "seconds": N_("expected a number of seconds, got {text}"),
    "seconds_not_negative": N_("expected a number of seconds >= 0, got {text}"),
    "bad_setting": N_("bad --setting for {protocol}: {error}"),
    "cannot_listen": N_("cannot listen on {address}: {reason}"),
    "listening": N_("{name} listening on {address}, sending to {peer} ({protocol}); "
                    "/mismatch, //text, Ctrl-D to quit"),
    "no_envelope": N_("the {protocol} rung has no envelope: --secret-file needs repaired, "
                      "stop-and-wait, go-back-n or selective-repeat"),
    "mismatch_next": N_("* the next message will carry a wrong count"),
    "unknown_command": N_("unknown command {command}; type {line} to send it as text"),
    # the flags several commands share
    "protocol": N_("protocol rung ({protocols}; default {default}), or your own engine as "
                   "FILE.py:CLASS (a subclass of labchat.protocols.student.StudentEngine)"),
    "setting": N_("an engine setting, e.g. --setting window=8 (repeatable); names: {names}"),
    "setting_shape": N_("expected --setting NAME=VALUE, got {text}"),
    "loss": N_("probability a datagram is lost"),
    "duplicate": N_("probability a datagram arrives twice"),
    "reorder": N_("probability a datagram is held back and overtaken"),
    "corrupt": N_("probability a datagram arrives with one bit flipped"),
    "delay": N_("one-way delay in ms"),
    "jitter": N_("extra random delay, ms"),
    "seed": N_("seed of the random impairments"),
    "pcap": N_("at the end, write every datagram to FILE as a pcapng capture "
               "(open it in Wireshark after 'labchat wireshark --install')"),
    "cannot_write_capture": N_("cannot write the capture: {error}"),
    "capture_written": N_("{command}: capture written to {path}"),
    # labchat relay
    "relay": N_("forward UDP between two peers through an unreliable network"),
    "relay_description": N_("Datagrams arriving on --listen-a go out of the --listen-b socket "
                             "to --b, and the other way round, each one lost, duplicated, "
                             "reordered or delayed as the flags say. Runs until end of input, "
                             "Ctrl-C or SIGTERM."),
    "peer_a": N_("peer A's address"),
    "peer_b": N_("peer B's address"),
    "listen_a": N_("where A sends (default: a free port), or fd:N: the bound UDP socket "
                   "inherited on file descriptor N"),
    "listen_b": N_("where B sends (default: a free port), or fd:N: the bound UDP socket "
                   "inherited on file descriptor N"),
    "relay_jsonl": N_("log each decision on stdout"),
    "relay_ready": N_("relay: A sends to {a}, B sends to {b}"),
    "relay_done": N_("relay: {decided} datagrams decided, {forwarded} forwarded, "
                     "{dropped} dropped"),
    # labchat simulate
    "simulate": N_("run a protocol over a simulated unreliable network and count the cost"),
    "simulate_description": N_("Offer MESSAGES messages to two engines joined by a virtual "
                               "network with the given impairments, run until quiet, print "
                               "the statistics."),
    "messages": N_("messages per direction"),
    "interval": N_("ms between one user's messages (0: all at once)"),
    "rate": N_("the link's rate in bytes per second (default: sending takes no time); "
               "reports the sender's utilization"),
    "size": N_("pad each message's text to BYTES bytes"),
    "both_ways": N_("both users send"),
    "json": N_("print one JSON object"),
    # labchat wireshark
    "wireshark": N_("install the Wireshark dissector for labchat captures"),
    "wireshark_description": N_("Wireshark decodes labchat captures (--pcap FILE) with "
                                "labchat's Lua dissector. Without flags, print where the "
                                "dissector is."),
    "install": N_("copy it into Wireshark's plugins folder ({folder})"),
    "folder": N_("install into this folder instead"),
    "cannot_install": N_("cannot install the dissector: {error}"),
    "installed": N_("installed the labchat dissector as {path}; restart Wireshark to load it"),
    # labchat grade
    "grade": N_("run every exercise's checks on each student's .py or .ipynb"),
    "grade_description": N_("Grade every .py and .ipynb file in SUBMISSIONS_DIR (one per "
                            "student) with the checks of notebook 06; write scores.csv and one "
                            "feedback file per student."),
    "out": N_("where scores.csv and feedback/ go (default SUBMISSIONS_DIR/grades)"),
    "timeout": N_("time limit of one submission's checks (default 60)"),
    "jobs": N_("submissions graded at the same time (default: up to 4)"),
    "above_zero": N_("expected a number above 0, got {text}"),
    "no_folder": N_("no such folder: {folder}"),
    "no_submissions": N_("no .py or .ipynb file in {folder}"),
    "exit_status": N_("exit status {status}"),
    "student": N_("student"),
    "total": N_("total"),
    "status": N_("status"),
    "average": N_("average"),
}


#: The rows of ``labchat simulate``'s table, by the statistic's key (``Stats.to_dict``).
STAT_NAMES = {
    "protocol": N_("protocol"), "messages": N_("messages"), "delivered": N_("delivered"),
    "duplicates_delivered": N_("duplicates delivered"), "lost": N_("lost"),
    "gave_up": N_("gave up"), "data_datagrams": N_("data datagrams"), "resends": N_("resends"),
    "acks": N_("acks"), "bytes_on_wire": N_("bytes on wire"),
    "virtual_seconds": N_("virtual seconds"), "goodput": N_("goodput"),
    "overhead": N_("overhead"), "loss": N_("loss"), "shown_as_resend": N_("shown as resend"),
    "utilization": N_("utilization"), "truncated": N_("truncated"),
    "garbled_delivered": N_("garbled delivered"),
}


def stat_name(key: str) -> str:
    """A statistic's row name; one not listed reads as its key, underscores as spaces."""
    return _(STAT_NAMES[key]) if key in STAT_NAMES else key.replace("_", " ")


def cli(key: str, /, **fields: object) -> str:
    """The command-line help or message named ``key`` (see ``CLI``), translated and filled in."""
    return _(CLI[key], **fields)


def cli_error(prog: str, message: object) -> str:
    """A usage error as argparse words it: ``labchat chat: error: ...``."""
    return _("{prog}: error: {message}", prog=prog, message=message)


def command_error(command: str, message: object) -> str:
    """The one line a sub-command prints when it cannot go on: ``labchat relay: error: ...``."""
    return cli_error(f"labchat {command}", message)


def chat_interrupted(unacknowledged: int, queued: int) -> str:
    """The chat's last line on Ctrl-C, when something was not acknowledged or never sent."""
    return _("* interrupted: {unacknowledged} message(s) sent but not acknowledged, "
             "{queued} still queued and never sent", unacknowledged=unacknowledged, queued=queued)


def chat_unfinished(left: int, linger: float) -> str:
    """The chat's last line when messages are unacknowledged after the linger."""
    return _("* {n} message(s) not acknowledged after {seconds} s; leaving anyway",
             n=left, seconds=f"{linger:g}")


#: argparse's own words, as CPython's ``Lib/argparse.py`` marks them with
#: ``_()`` (its headings, its help flag and its usage errors), so that the
#: catalogue carries them too; ``argparse_gettext`` looks them up.
ARGPARSE_WORDS = (
    N_("usage: "), N_("positional arguments"), N_("options"),
    N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("one of the arguments %s is required"),
    N_("not allowed with argument %s"),
    N_("expected one argument"), N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("ignored explicit argument %r"),
)


def argparse_gettext(message: str) -> str:
    """argparse's ``_``: its own words in the current language (its ``%`` left to it)."""
    return _catalogue.gettext(message)


def argparse_ngettext(singular: str, plural: str, n: int) -> str:
    """argparse's ``ngettext``: the form for ``n`` (its ``%`` left to it)."""
    return _catalogue.ngettext(singular, plural, n)

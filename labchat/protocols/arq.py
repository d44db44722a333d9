"""What the three textbook rungs share: settings, sequence numbers, wire format.

Stop-and-wait, Go-Back-N and Selective Repeat are all *ARQ* protocols
(automatic repeat request): number the messages, acknowledge them, resend on
a timer. This module owns the parts that do not differ between them, so each
rung's module holds only its own transitions:

* ``ArqSettings`` and ``WindowSettings``: the initial retransmission timeout
  (RTO), its cap, the retry limit, the window and the size of the sequence
  space, declared once with their ranges (see ``settings``);
* ``SeqSpace``: sequence numbers on the wire are counted modulo ``2**seq_bits``;
  engines count every message with an unbounded *absolute* number (the one in
  events) and map the wire number back to the nearest absolute one;
* the wire format (below), its encoder, and a decoder that turns garbage into
  ``RemoteProtocolError``;
* ``ArqEngine``: the send queue, transmissions, giving up, and ``describe``.

It must not decide *when* anything is sent, acknowledged or resent: that is
each rung's state machine.

Wire format (UTF-8 text, one datagram each, readable on a chart)::

    D <seq> <ack> <text>             a message; <ack> acknowledges the peer's
                                     messages, or is "-" when there is nothing
    S <seq> <ack> <first> <text>     a message sent after giving up: the
                                     receiver must not wait for any number
                                     before <first> (they were abandoned)
    A <ack>                          a stand-alone acknowledgement

With ``checksum`` on (the default), every datagram above is preceded by its
16-bit Internet checksum (RFC 1071, the one UDP and TCP carry, K&R 3.3.2) as
four lowercase hex digits and a space, computed over every byte after that
space::

    <checksum> D <seq> <ack> <text>      e.g. "a1c4 D 0 - hello"
    <checksum> A <ack>

The receiver recomputes it over the bytes that arrived before it reads
anything else; a mismatch (or a missing or unreadable checksum) is a
``rejected`` event, "corrupted: checksum mismatch", and the datagram is
treated exactly as if it were lost: the sender's timer repairs it. No NAK:
rdt 3.0's answer (K&R 3.4.1), one mechanism for loss and corruption alike.
Why this checksum and not CRC-32 (``zlib.crc32``, stronger): it is the
textbook's, a student can compute it by hand, and it catches every
single-bit error, which is what the impairment model's corruption makes.
Its known blind spots (two errors that cancel in the one's complement sum,
or 16-bit words swapped) are the lesson of K&R's exercise on it. A session
envelope (``labchat.protocols.envelope``) goes around all of this.

Numbers are decimal without leading zeros, below ``2**seq_bits``. An ack
names a message the receiver *has* (Kurose & Ross style): cumulative ("up to
and including") in stop-and-wait and Go-Back-N, individual in Selective
Repeat.

Selective acknowledgements (the ``acks="selective"`` setting of Selective
Repeat, as TCP's SACK option and QUIC's ACK frame do it; Go-Back-N has none,
see ``go_back_n``): the
``<ack>`` field, alone or riding on data, may instead read
``<cumulative>:<ranges>``::

    A 7:9-11,14          I have every message up to and including 7,
                         and also 9, 10, 11 and 14
    D 3 7: hello         a message carrying "up to 7, nothing beyond"
    A -:2                nothing in order yet, but 2 is here

``<cumulative>`` is the last message received in order ("-" before the
first); ``<ranges>`` (possibly empty, the colon always present so the form
says what it is) lists at most ``MAX_SACK_RANGES`` runs of later messages
the receiver holds, each ``<first>-<last>`` or a single number (a plain
``-`` still says "nothing to acknowledge yet"); the run holding
the latest arrival comes first, the others follow from the lowest (TCP's
rule, so the newest news is never the one left out). Because every ACK
repeats the whole picture, a lost ACK costs nothing once any later one gets
through. Every rung *reads* both forms: the setting only chooses which one
it sends, so the textbook form stays exactly what Kurose & Ross draw.

A driver that reads several datagrams at once (``UdpPeer``) hands them over
as a batch (``receive_datagram(..., batch=True)``, then ``end_of_batch``):
with selective ACKs the batch is answered by one ACK, which names
everything the one-per-datagram ACKs would have named (TCP's delayed ACK
and QUIC's ACK frames spare datagrams the same way). Textbook ACKs, which
name one message each, are still sent one per datagram.

Retransmission timeout: it starts at ``timeout``, doubles on every expiry up
to ``max_timeout``, and goes back to ``timeout`` when an ACK makes progress
(or after giving up). With ``adaptive_timeout`` it is learned instead, as
RFC 6298 says (``labchat.protocols.rtt``): every ACK of a message sent only
once is a round-trip sample (Karn's rule), the timeout is ``SRTT + 4 *
RTTVAR`` held to ``[min_timeout, max_timeout]``, and a doubled timeout stays
doubled until the next sample. After ``max_retries`` retransmissions of a message
without an ACK, the next expiry gives it up: a ``GaveUp`` event, never a
silent drop. "Gave up" means the sender can no longer vouch for the message;
it may still have arrived if only the ACKs were lost.

After giving up, the sender marks its next data datagrams ``S`` so that the
receiver skips the abandoned numbers instead of waiting for them forever,
until an ACK for a message first sent after the give-up proves the receiver
has read the mark. The receiver decodes ``<first>`` relative to its own
position, which it may not have moved since the last ACK the sender saw; so
that jump plus a window must stay within half the space
(``jump + window <= 2**seq_bits / 2``), and the jump is also held to
``SKIP_WINDOWS`` windows (``max_skip``). Where it cannot (stop-and-wait's
single bit, Selective Repeat with a window of half the space, or give-up
after give-up with a silent peer), the give-up leaves that direction out of
step for good: every later message is given up at once, visibly, and the
other direction carries on.

What a genuine peer never sends (checked before anything changes, so a
forgery is a ``rejected`` event and nothing else): an ack naming a message
this side has not sent yet, data beyond the receive window (both sides use
the same window), a skip mark whose datagram lies beyond a window from its
``<first>``, or a skip longer than ``max_skip`` and the window then in
flight (Selective Repeat may give up acknowledged messages after the gap). A forgery that *is*
possible (the expected number, an ack for a message in flight) cannot be told
from the peer without a shared secret: see ``labchat.protocols.envelope``.

Known limit of any finite sequence space: numbers are decoded relative to the
receiver's position, so a datagram delayed past a whole sequence space of
later traffic would be mistaken for a new one (TCP guards that with
timestamps). 16 bits give 65536 numbers; the lab's delays are far shorter.
"""

from __future__ import annotations

from abc import abstractmethod
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from labchat import voice
from labchat.errors import RemoteProtocolError
from labchat.events import GapSkipped, GaveUp, MessageRetransmitted, MessageSent, RttSampled
from labchat.protocols.base import DatagramKind, Engine, Outgoing, decode_text, encode_text
from labchat.protocols.rtt import RttEstimator
from labchat.protocols.settings import EngineSettings, SettingError, flag, setting

DEFAULT_TIMEOUT = 0.2
DEFAULT_MAX_TIMEOUT = 3.2
DEFAULT_MAX_RETRIES = 8
DEFAULT_SEQ_BITS = 16
MAX_SEQ_BITS = 16  # keeps every number at five digits or fewer
#: Messages in flight for the windowed rungs (Go-Back-N, Selective Repeat).
DEFAULT_WINDOW = 4
#: The learned timeout's floor: RFC 6298's 1 s is for the Internet; labchat's
#: round trips are tens of milliseconds (see ``labchat.protocols.rtt``).
DEFAULT_MIN_TIMEOUT = 0.01
#: An hour: longer is a mistyped unit, not a timer.
MAX_TIMEOUT_SECONDS = 3600.0
#: A sender abandons at most this many windows of messages under one unproven
#: skip mark (give-up after give-up with a silent peer); past that the
#: direction goes out of step. So a receiver can refuse a longer skip as one
#: no sender makes: a forged mark cannot jump a whole sequence space ahead.
SKIP_WINDOWS = 16

#: The most runs a selective ACK lists (TCP fits 3 or 4 in its options); a
#: run left out is reported by a later ACK once the runs before it close.
MAX_SACK_RANGES = 8

#: ``(first, last)`` wire numbers of a run of messages held, inclusive.
Run = tuple[int, int]


@dataclass(frozen=True, kw_only=True)
class ArqSettings(EngineSettings):
    """The knobs of a textbook rung with one message in flight (stop-and-wait)."""

    timeout: float = setting(DEFAULT_TIMEOUT, voice.SETTING_MEANINGS["timeout"],
                             low=0.001, high=MAX_TIMEOUT_SECONDS)
    max_timeout: float = setting(DEFAULT_MAX_TIMEOUT, voice.SETTING_MEANINGS["max_timeout"],
                                 low=0.001, high=MAX_TIMEOUT_SECONDS)
    max_retries: int = setting(DEFAULT_MAX_RETRIES, voice.SETTING_MEANINGS["max_retries"],
                               low=0, high=1000)
    seq_bits: int = setting(DEFAULT_SEQ_BITS, voice.SETTING_MEANINGS["seq_bits"],
                            low=1, high=MAX_SEQ_BITS)
    checksum: bool = flag(
        True, voice.SETTING_MEANINGS["checksum"])
    adaptive_timeout: bool = flag(
        False, voice.SETTING_MEANINGS["adaptive_timeout"])
    min_timeout: float = setting(DEFAULT_MIN_TIMEOUT,
                                 voice.SETTING_MEANINGS["min_timeout"],
                                 low=0.001, high=MAX_TIMEOUT_SECONDS)

    @property
    def window(self) -> int:
        """Messages in flight: one, unless a windowed rung declares the setting."""
        return 1

    @property
    def acks(self) -> str:
        """The form of ACK this side sends: cumulative, unless a rung declares the setting."""
        return "cumulative"

    def _check_together(self) -> None:
        if not self.max_timeout >= self.timeout:
            raise SettingError(voice.error("max_below_timeout", max_timeout=f"{self.max_timeout:g}",
                                           timeout=f"{self.timeout:g}"))
        if self.adaptive_timeout and not self.max_timeout >= self.min_timeout:
            raise SettingError(voice.error("max_below_min", max_timeout=f"{self.max_timeout:g}",
                                           min_timeout=f"{self.min_timeout:g}"))

    def backed_off(self, rto: float) -> float:
        """The next timeout after one expiry: twice as long, up to the cap."""
        return min(rto * 2, self.max_timeout)


@dataclass(frozen=True, kw_only=True)
class WindowSettings(ArqSettings):
    """An ARQ rung's knobs plus its window (Go-Back-N, Selective Repeat)."""

    window: int = setting(DEFAULT_WINDOW, voice.SETTING_MEANINGS["window"],
                          low=1, high=(1 << MAX_SEQ_BITS) // 2)
    #: Off, a rung refuses a window its sequence space cannot tell apart from
    #: the next one (K&R 3.4.4); on, it takes it, to show what goes wrong.
    allow_unsafe_window: bool = flag(
        False, voice.SETTING_MEANINGS["allow_unsafe_window"])


@dataclass(frozen=True)
class SeqSpace:
    """Sequence numbers modulo ``2**bits``, and back to absolute numbers."""

    bits: int
    #: ``2**bits``, worked out once: every number on the wire is read through it.
    modulus: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "modulus", 1 << self.bits)

    def wire(self, absolute: int) -> int:
        return absolute % self.modulus

    def nearest(self, wire: int, reference: int) -> int:
        """The absolute number with this wire value closest to ``reference``.

        Ties (exactly half the space away) count as *behind*: an old datagram
        is far more likely than one from too far in the future.
        """
        half = self.modulus // 2
        distance = (wire - reference) % self.modulus
        if distance >= half:
            distance -= self.modulus
        return reference + distance


# -- the wire ---------------------------------------------------------------------


@dataclass(frozen=True)
class DataDatagram:
    """``D``/``S``: a message, an optional ack and, for ``S``, the skip mark."""

    seq: int
    ack: int | None
    text: str
    first: int | None = None  # set only in an ``S`` datagram
    sack: tuple[Run, ...] | None = None  # the runs of a selective ack; None: plain form

    @property
    def kind(self) -> Literal["D", "S"]:
        return "D" if self.first is None else "S"


@dataclass(frozen=True)
class AckDatagram:
    """``A``: a stand-alone acknowledgement (``ack`` is None only in the selective form)."""

    ack: int | None
    sack: tuple[Run, ...] | None = None  # the runs of a selective ack; None: plain form


Datagram = DataDatagram | AckDatagram


def ack_field(ack: int | None, sack: tuple[Run, ...] | None = None) -> str:
    """The ``<ack>`` field: ``3``, ``-``, or selective ``3:5-6,9`` / ``-:2`` / ``3:``."""
    cumulative = "-" if ack is None else str(ack)
    if sack is None:
        return cumulative
    return cumulative + ":" + ",".join(str(a) if a == b else f"{a}-{b}" for a, b in sack)


def encode_data(seq: int, ack: int | None, text: str, first: int | None = None,
                sack: tuple[Run, ...] | None = None) -> bytes:
    """``D <seq> <ack> <text>``, or ``S <seq> <ack> <first> <text>`` with a skip mark."""
    field = ack_field(ack, sack)
    if first is None:
        return encode_text(f"D {seq} {field} {text}")
    return encode_text(f"S {seq} {field} {first} {text}")


def encode_ack(ack: int | None, sack: tuple[Run, ...] | None = None) -> bytes:
    return f"A {ack_field(ack, sack)}".encode("ascii")


def header_room(modulus: int, *, selective: bool = False) -> int:
    """The longest header any datagram of this space puts before the text."""
    widest = str(modulus - 1)
    field = widest
    if selective:
        field = ack_field(modulus - 1, ((modulus - 1, modulus - 1),) * MAX_SACK_RANGES)
    return len(f"S {widest} {field} {widest} ".encode("ascii"))


#: ``"a1c4 "``: four hex digits and a space before the datagram they check.
CHECKSUM_ROOM = 5
_HEX = frozenset(b"0123456789abcdef")


def internet_checksum(data: bytes) -> int:
    """RFC 1071: the one's complement of the one's complement sum of 16-bit words.

    An odd last byte is padded with a zero byte. The sum of the words is the
    sum of the high bytes times 256 plus the sum of the low bytes.
    """
    total = (sum(data[0::2]) << 8) + sum(data[1::2])
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def seal(body: bytes) -> bytes:
    """``body`` with its checksum in front: ``b"a1c4 D 0 - hello"``."""
    return f"{internet_checksum(body):04x} ".encode("ascii") + body


def sealed(datagram: Outgoing) -> Outgoing:
    """``datagram`` with its payload sealed, all else kept.

    Built directly rather than by ``dataclasses.replace``, which looks the
    fields up again on every call: a tenth of the engines' work per datagram.
    """
    return Outgoing(seal(datagram.payload), datagram.kind, datagram.seq, datagram.label)


def unseal(payload: bytes) -> bytes:
    """The datagram inside a sealed ``payload``; a bad checksum raises ``RemoteProtocolError``."""
    carried, body = payload[:CHECKSUM_ROOM - 1], payload[CHECKSUM_ROOM:]
    if (len(payload) < CHECKSUM_ROOM or payload[CHECKSUM_ROOM - 1:CHECKSUM_ROOM] != b" "
            or not set(carried) <= _HEX):
        raise RemoteProtocolError(voice.error("checksum_unreadable"))
    computed = internet_checksum(body)
    if int(carried, 16) != computed:
        raise RemoteProtocolError(voice.error("checksum_mismatch", carried=carried.decode("ascii"),
                                              computed=f"{computed:04x}"))
    return body


def strip_checksum(payload: bytes) -> bytes:
    """The datagram behind a checksum field, unchecked (for labels); else ``payload``."""
    if payload[CHECKSUM_ROOM - 1:CHECKSUM_ROOM] == b" " and \
            set(payload[:CHECKSUM_ROOM - 1]) <= _HEX:
        return payload[CHECKSUM_ROOM:]
    return payload


def _number(field: str, what: str, modulus: int) -> int:
    # ASCII digits only: str.isdigit() would accept "٣" (an Arabic-Indic three).
    canonical = field.isascii() and field.isdigit() and (field == "0" or field[0] != "0")
    if not canonical or len(field) > len(str(modulus - 1)):
        raise RemoteProtocolError(voice.error("not_plain_number", what=what,
                                              field=voice.shown(field[:20])))
    value = int(field)
    if value >= modulus:
        raise RemoteProtocolError(voice.error("outside_space", what=what, value=value,
                                              last=modulus - 1))
    return value


def _ack_field(field: str, modulus: int) -> tuple[int | None, tuple[Run, ...] | None]:
    """``(cumulative or individual ack, runs or None for the plain form)``."""
    cumulative, colon, listed = field.partition(":")
    ack = None if cumulative == "-" else _number(cumulative, "ack", modulus)
    if not colon:
        return ack, None
    if not listed:
        return ack, ()
    parts = listed.split(",")
    if len(parts) > MAX_SACK_RANGES:
        raise RemoteProtocolError(voice.error("sack_too_many", count=MAX_SACK_RANGES))
    runs: list[Run] = []
    for part in parts:
        low, dash, high = part.partition("-")
        first = _number(low, "sack", modulus)
        last = _number(high, "sack", modulus) if dash else first
        if (last - first) % modulus >= modulus // 2:
            raise RemoteProtocolError(voice.error("sack_too_long", run=voice.shown(part[:20])))
        runs.append((first, last))
    return ack, tuple(runs)


def decode(payload: bytes, modulus: int) -> Datagram:
    """Parse one datagram; anything malformed raises ``RemoteProtocolError``."""
    line = decode_text(payload)
    kind, _, rest = line.partition(" ")
    if kind == "A":
        if " " in rest or not rest:
            raise RemoteProtocolError(voice.error("ack_shape"))
        if ":" not in rest:  # the plain form names a number: "A -" means nothing
            return AckDatagram(_number(rest, "ack", modulus))
        return AckDatagram(*_ack_field(rest, modulus))
    if kind == "D":
        fields = rest.split(" ", 2)
        if len(fields) != 3:
            raise RemoteProtocolError(voice.error("data_shape"))
        seq, field, text = fields
        number = _number(seq, "seq", modulus)  # fields checked left to right
        ack, sack = _ack_field(field, modulus)
        return DataDatagram(number, ack, text, None, sack)
    if kind == "S":
        fields = rest.split(" ", 3)
        if len(fields) != 4:
            raise RemoteProtocolError(voice.error("skip_shape"))
        seq, field, first, text = fields
        number = _number(seq, "seq", modulus)  # fields checked left to right
        ack, sack = _ack_field(field, modulus)
        return DataDatagram(number, ack, text, _number(first, "first", modulus), sack)
    raise RemoteProtocolError(voice.error("unknown_kind", kind=voice.shown(kind[:20])))


def label(datagram: Datagram) -> str:
    """A short chart label: ``D3 ack2 hi``, ``S5 ack- first4 hi``, ``ACK 3``."""
    if isinstance(datagram, AckDatagram):
        return f"ACK {ack_field(datagram.ack, datagram.sack)}"
    ack = ack_field(datagram.ack, datagram.sack)
    skip = "" if datagram.first is None else f" first{datagram.first}"
    return f"{datagram.kind}{datagram.seq} ack{ack}{skip} {datagram.text}"


# -- the sender's bookkeeping ------------------------------------------------------


@dataclass(slots=True)
class Pending:
    """A message sent and not yet acknowledged nor given up."""

    seq: int  # absolute: its position in this side's stream, from 0
    text: str
    attempts: int = 1  # transmissions so far
    retries: int = 0  # expiries survived (Selective Repeat keeps one per message)
    rto: float = 0.0  # its current timeout (Selective Repeat)
    deadline: float = 0.0  # when its timer fires (Selective Repeat)
    sent_at: float = 0.0  # its first transmission (a round-trip sample if never resent)
    order: int = 0  # its latest transmission, counted among this side's (Selective Repeat)


class ArqEngine(Engine):
    """The plumbing of a textbook rung; subclasses hold the state machine.

    A subclass keeps ``_send_base`` (oldest message not yet acknowledged nor
    given up), ``_next_seq`` (the next number to assign) and ``_receive_base``
    (the oldest of the peer's numbers not yet handed over) up to date and
    implements ``_fill_window``, ``_outstanding``, ``_ack_value``, ``_on_ack``
    and ``_receive``.
    """

    #: ``describe`` is a classmethod (no settings), so it reads numbers in the
    #: widest space: a chart labels what it sees; the engine judges ranges.
    describe_bits: int = MAX_SEQ_BITS
    Settings: ClassVar[type[ArqSettings]] = ArqSettings
    settings: ArqSettings

    def __init__(self, **settings: object) -> None:
        super().__init__(**settings)
        self.space = SeqSpace(self.settings.seq_bits)
        #: Which ack form this side *sends* (it reads both, see the module docstring).
        self.selective_acks = self.settings.acks == "selective"
        # The widest header, and the checksum in front of it when there is one.
        self._header_room = header_room(self.space.modulus, selective=self.selective_acks) + (
            CHECKSUM_ROOM if self.settings.checksum else 0)
        self._waiting: deque[str] = deque()  # accepted, not yet transmitted
        self._send_base = 0
        self._next_seq = 0
        self._receive_base = 0
        self._ack_owed = False  # a datagram arrived and is not acknowledged yet
        # Skip mark: pending from a give-up until an ACK arrives for a message
        # first sent after it (every copy of which carried the mark).
        self._skip_proof: int | None = None
        self._skip_from = 0  # where the receiver may still be while the mark is unproven
        self._out_of_step = False  # gave up where no skip mark can be understood
        # The smallest skip (one message) must fit: see the module docstring.
        half = self.space.modulus // 2
        self.can_skip = self.settings.window + 1 <= half
        #: The longest jump a skip mark of this side makes, or that it accepts.
        self.max_skip = max(0, min(half - self.settings.window,
                                   SKIP_WINDOWS * self.settings.window))
        #: The round-trip estimate; it sets the timeout only with ``adaptive_timeout``.
        self.rtt = RttEstimator(self.settings.timeout, self.settings.min_timeout,
                                self.settings.max_timeout)

    # -- what every rung does the same way ------------------------------------------

    def send_message(self, text: str, now: float) -> None:
        """Accept ``text``; it goes out at once if the window has room, else later.

        ``MessageSent`` is emitted when the message is first *transmitted*, so
        a queued message shows up as sent only when the window opens.
        """
        size = len(encode_text(text)) + self._header_room
        self._check_fits(size)
        if self._out_of_step:
            seq = self._next_seq
            self._next_seq += 1
            self._send_base = self._next_seq
            self._emit(GaveUp(at=now, text=text, seq=seq, attempts=0))
            return
        self._waiting.append(text)
        self._fill_window(now)

    def unfinished_texts(self) -> list[str]:
        return [pending.text for pending in self._outstanding()] + list(self._waiting)

    def queued(self) -> int:
        return len(self._waiting)

    def _handle_datagram(self, data: bytes, now: float) -> None:
        datagram = self._decode(data)
        self._check_possible(datagram)  # may reject: nothing changed yet
        if isinstance(datagram, AckDatagram):
            if datagram.sack is None and datagram.ack is not None:
                self._on_ack_alone(datagram.ack, now)  # a repeat may be a duplicate ACK
            else:
                self._read_ack(datagram.ack, datagram.sack, now)
            self._fill_window(now)
            return
        skip_to = self._skip_target(datagram, self._receive_base)  # may reject: nothing changed yet
        self._read_ack(datagram.ack, datagram.sack, now)
        self._receive(datagram, skip_to, now)
        self._fill_window(now)  # the window may have opened: the owed ack rides along
        if not (self._in_batch and self.selective_acks):
            self._send_owed_ack()

    def end_of_batch(self, now: float) -> None:
        # A selective ACK repeats everything held, so the last one of a batch
        # says all that one per datagram would have said: the batch gets one.
        self._send_owed_ack()

    def _queue(self, datagram: Outgoing) -> None:
        """Every datagram leaves through here: the place to put the checksum on."""
        if self.settings.checksum:
            datagram = sealed(datagram)
        super()._queue(datagram)

    @classmethod
    def _describe(cls, payload: bytes) -> Outgoing:
        # A chart labels what it sees: with or without a checksum in front.
        datagram = decode(strip_checksum(payload), 1 << cls.describe_bits)
        if isinstance(datagram, AckDatagram):
            return Outgoing(payload, "ack", None, label(datagram))
        return Outgoing(payload, "data", datagram.seq, label(datagram))

    # -- hooks for the rungs ---------------------------------------------------------

    @abstractmethod
    def _fill_window(self, now: float) -> None:
        """Transmit waiting messages while the window has room."""

    @abstractmethod
    def _outstanding(self) -> Iterable[Pending]:
        """Messages sent and neither acknowledged nor given up, oldest first."""

    @abstractmethod
    def _ack_value(self) -> int | None:
        """The wire ack a data datagram going out now carries (None: "-")."""

    @abstractmethod
    def _on_ack(self, ack: int, now: float) -> None:
        """Act on the wire number ``ack`` of a plain-form ack, alone or riding on data."""

    def _on_selective_ack(self, ack: int | None, runs: tuple[Run, ...], now: float) -> None:
        """Act on a selective ack: by default only its cumulative part counts.

        That is exact for the rungs whose plain ack is cumulative; a rung that
        can use the runs overrides this.
        """
        if ack is not None:
            self._on_ack(ack, now)

    def _on_ack_alone(self, ack: int, now: float) -> None:
        """A stand-alone ACK (``A``): what TCP counts as a duplicate when it repeats."""
        self._on_ack(ack, now)

    @abstractmethod
    def _receive(self, datagram: DataDatagram, skip_to: int | None, now: float) -> None:
        """Apply the receive rule to a data datagram, after its skip mark (if ahead) and
        its ack were read; mark the ACK it deserves as owed."""

    # -- helpers the rungs call ------------------------------------------------------

    def _decode(self, data: bytes) -> Datagram:
        if self.settings.checksum:
            data = unseal(data)  # before anything else: corrupted bytes may not even be UTF-8
        return decode(data, self.space.modulus)

    def _read_ack(self, ack: int | None, sack: tuple[Run, ...] | None, now: float) -> None:
        if sack is not None:
            self._on_selective_ack(ack, sack, now)
        elif ack is not None:
            self._on_ack(ack, now)

    def _ack_now(self) -> tuple[int | None, tuple[Run, ...] | None]:
        """The ack field a datagram leaving now carries, in this side's form."""
        if self.selective_acks:
            ack, runs = self._cumulative_ack(), self._held_runs()
            if ack is not None or runs:
                return ack, runs
            return None, None  # nothing to acknowledge: "-" says it in either form
        return self._ack_value(), None

    def _cumulative_ack(self) -> int | None:
        """The last of the peer's messages received in order (wire number), if any."""
        return None if self._receive_base == 0 else self.space.wire(self._receive_base - 1)

    def _held_runs(self) -> tuple[Run, ...]:
        """Runs of the peer's messages held beyond ``_receive_base`` (none by default)."""
        return ()

    def _take_next(self, now: float) -> Pending:
        """Number the oldest waiting message and transmit it for the first time."""
        pending = Pending(self._next_seq, self._waiting.popleft(), sent_at=now)
        self._next_seq += 1
        self._emit(MessageSent(at=now, text=pending.text, seq=pending.seq))
        self._transmit(pending)
        return pending

    def _retransmit(self, pending: Pending, now: float) -> None:
        pending.attempts += 1
        self._emit(MessageRetransmitted(at=now, text=pending.text, seq=pending.seq,
                                        attempt=pending.attempts))
        self._transmit(pending)

    def _transmit(self, pending: Pending) -> None:
        first = self.space.wire(self._send_base) if self._skip_proof is not None else None
        ack, sack = self._ack_now()
        datagram = DataDatagram(self.space.wire(pending.seq), ack, pending.text, first, sack)
        self._ack_owed = False  # the ack rides on this datagram
        payload = encode_data(datagram.seq, datagram.ack, datagram.text, datagram.first,
                              datagram.sack)
        kind: DatagramKind = "data" if pending.attempts == 1 else "resend"
        self._queue(Outgoing(payload, kind, pending.seq, label(datagram)))

    def _check_possible(self, datagram: Datagram) -> None:
        """Refuse numbers the peer cannot have sent, before any state changes.

        A genuine peer never acknowledges a message this side did not send,
        never sends beyond the window the receiver is at, and never skips
        further than ``max_skip``: such a datagram is a forgery (or a peer
        with other settings) and acting on it would lose messages silently.
        In a space too small to tell an old number from an impossible one
        (the alternating bit) nothing can be judged, and nothing is. What the
        bytes alone refute (a skip mark this side cannot read, or after its
        own number) is refused first, as a dissector would.
        """
        if isinstance(datagram, DataDatagram):
            self._check_mark_form(datagram)
        if not self.can_skip:
            return
        if datagram.ack is not None:
            self._check_acked(datagram.ack)
        for _, last in datagram.sack or ():  # a selective ack's runs name messages too
            self._check_acked(last)
        if isinstance(datagram, DataDatagram):
            self._check_in_window(datagram)

    def _check_acked(self, ack: int) -> None:
        """An ack naming a message after the last one sent is impossible.

        Acks are read relative to where the receiver may still be: the window
        base, or before an unproven (or impossible) skip where it was then,
        so that an old ack is never mistaken for one from the future.
        """
        behind = self._out_of_step or self._skip_proof is not None
        receiver_at = self._skip_from if behind else self._send_base
        if self._next_seq - receiver_at >= self.space.modulus // 2:
            return  # everything sent spans half the space: an old ack looks like any other
        named = self.space.nearest(ack, receiver_at)
        if named >= self._next_seq:
            if self._next_seq:
                raise RemoteProtocolError(voice.error("ack_unsent", ack=ack, named=named,
                                                      last=self._next_seq - 1))
            raise RemoteProtocolError(voice.error("ack_none_sent", ack=ack, named=named))

    def _check_in_window(self, datagram: DataDatagram) -> None:
        """Data beyond the receive window, or a skip past ``max_skip``, is impossible."""
        window = self.settings.window
        base = self._receive_base
        if datagram.first is not None:
            ahead = (datagram.seq - datagram.first) % self.space.modulus
            if ahead >= window:
                raise RemoteProtocolError(voice.error(
                    "skip_outside_window", seq=datagram.seq, window=window,
                    first=datagram.first))
            # The sender's jump was at most max_skip when it gave up; messages
            # then in flight (at most a window) may be abandoned after it.
            longest = self.max_skip + window
            jump = self.space.nearest(datagram.first, base) - base
            if jump > longest:
                raise RemoteProtocolError(
                    voice.error("skip_too_long", jump=jump, longest=longest))
            base += max(jump, 0)
        seq = self.space.nearest(datagram.seq, base)
        if seq >= base + window:
            raise RemoteProtocolError(voice.error("beyond_window", seq=seq, first=base,
                                                  last=base + window - 1))

    def _skip_target(self, datagram: DataDatagram, expected: int) -> int | None:
        """Where an ``S`` datagram tells the receiver to skip to, if ahead of it.

        Raises ``RemoteProtocolError`` (before any state changes) for a mark
        this side cannot read or that makes no sense.
        """
        if datagram.first is None:
            return None
        self._check_mark_form(datagram)
        first = self.space.nearest(datagram.first, expected)
        return first if first > expected else None

    def _check_mark_form(self, datagram: DataDatagram) -> None:
        """A skip mark this side cannot read, or that names a first after its seq."""
        if datagram.first is None:
            return
        if not self.can_skip:
            raise RemoteProtocolError(voice.error(
                "skip_needs_space", window=self.settings.window, modulus=self.space.modulus))
        if (datagram.seq - datagram.first) % self.space.modulus >= self.space.modulus // 2:
            raise RemoteProtocolError(voice.error("first_after_seq", first=datagram.first,
                                                  seq=datagram.seq))

    def _skipped(self, expected: int, first: int, now: float) -> int:
        """Report the numbers the peer abandoned; returns the new expected number."""
        self._emit(GapSkipped(at=now, first=expected, count=first - expected))
        return first

    def _send_owed_ack(self) -> None:
        """A stand-alone ACK, if a datagram arrived and no data carried its ack."""
        if self._ack_owed:
            ack, sack = self._ack_now()
            self._ack_owed = False
            if ack is not None or sack:
                datagram = AckDatagram(ack, sack)
                self._queue(Outgoing(encode_ack(ack, sack), "ack", None, label(datagram)))

    def _acknowledged(self, seq: int) -> None:
        """Note that the peer has ``seq``: proof that it saw our skip mark, maybe."""
        if self._skip_proof is not None and seq >= self._skip_proof:
            self._skip_proof = None  # the receiver has caught up with the mark

    def _sample_rtt(self, pending: Pending, now: float) -> None:
        """``pending`` was just acknowledged: a round-trip sample, unless Karn's rule
        forbids it (sent more than once: the ACK may answer any copy)."""
        if not self.settings.adaptive_timeout or pending.attempts != 1:
            return
        self.rtt.sample(now - pending.sent_at)
        assert self.rtt.srtt is not None and self.rtt.rttvar is not None
        self._emit(RttSampled(at=now, seq=pending.seq, sample=now - pending.sent_at,
                              srtt=self.rtt.srtt, rttvar=self.rtt.rttvar, rto=self.rtt.rto))

    def _first_rto(self) -> float:
        """The timeout a fresh timer starts with: fixed, or the learned RTO."""
        return self.rtt.rto if self.settings.adaptive_timeout else self.settings.timeout

    def _back_off(self, rto: float) -> float:
        """The timeout after an expiry of a timer that ran ``rto``: doubled, capped.

        With ``adaptive_timeout`` the learned RTO keeps the backed-off value
        until the next sample (RFC 6298 5.5, 5.7), so later timers start there.
        And what doubles is the RTO *now* (5.5): a timer armed before a sample
        brought the RTO down (Selective Repeat's, one per message) doubles the
        lower value, not the stale one it ran. Doubling the stale one would
        push it into the estimator, start every later message there, and so
        ratchet the RTO up to ``max_timeout`` while fresh samples say the
        round trip is short.
        """
        if self.settings.adaptive_timeout:
            rto = min(rto, self.rtt.rto)
        backed = self.settings.backed_off(rto)
        if self.settings.adaptive_timeout:
            self.rtt.keep_at_least(backed)
        return backed

    def _rtt_state(self) -> dict[str, object]:
        """The estimator's variables for a snapshot, only when it sets the timeout."""
        if not self.settings.adaptive_timeout:
            return {}
        return {"srtt": self.rtt.srtt, "rttvar": self.rtt.rttvar,
                voice.STATE_NAMES["learned rto"]: self.rtt.rto}

    def _give_up(self, pending: Pending, now: float) -> None:
        self._emit(GaveUp(at=now, text=pending.text, seq=pending.seq, attempts=pending.attempts))

    def _after_give_up(self, now: float, base_before: int) -> bool:
        """Arrange for the receiver to skip what was abandoned.

        ``base_before`` is the window base before this give-up, and the caller
        has moved ``_send_base`` past what it gave up. Returns False when the
        skip cannot be expressed: the caller must then give up everything
        outstanding; this method gives up every waiting message and marks
        every later one to be given up at once.
        """
        if self._skip_proof is None:  # a new gap: the receiver is at least here
            self._skip_from = base_before
        jump = self._send_base - self._skip_from
        if self.can_skip and jump <= self.max_skip:
            self._skip_proof = self._next_seq
            return True
        self._out_of_step = True
        while self._waiting:
            text = self._waiting.popleft()
            self._emit(GaveUp(at=now, text=text, seq=self._next_seq, attempts=0))
            self._next_seq += 1
        return False

    def _skip_state(self) -> dict[str, object]:
        return {
            "skip mark": self._skip_proof is not None,
            "out of step": self._out_of_step,
        }

"""Everything an engine can tell the world, as frozen dataclasses.

Events are facts in the past tense (``MessageDelivered``), shared by every
protocol rung so that panels, charts, the CLI and the statistics read one
vocabulary. Each event knows its short ``name`` (used by ``--jsonl`` and by the
lab panels) and turns itself into a JSON-ready dict. This module holds data
only: no protocol logic, no I/O.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, kw_only=True)
class Event:
    """Something that happened inside an engine at virtual or real time ``at``."""

    name: ClassVar[str] = "event"
    at: float
    #: The id of the wire record whose arrival caused this event, set by the
    #: driver that handed the datagram over (None: a send, a timer, or a
    #: driver that keeps no wire records). Views attach the event to that
    #: arrival by this id, never by time. Where the event sits, not what
    #: happened: ``to_dict`` leaves it out.
    cause: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The event as ``{"event": name, field: value, ...}``, ready for ``json.dumps``."""
        fields = {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)
                  if f.name != "cause"}
        return {"event": self.name, **fields}


def _jsonable(value: object) -> object:
    # Payloads are untrusted bytes: show them as text, never fail on them.
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True, kw_only=True)
class MessageSent(Event):
    """The user's message was accepted and sent for the first time."""

    name: ClassVar[str] = "sent"
    text: str
    seq: int  # position in this peer's own stream, from 0


@dataclass(frozen=True, kw_only=True)
class MessageDelivered(Event):
    """A new message from the peer was handed to the user."""

    name: ClassVar[str] = "delivered"
    text: str
    seq: int  # position in the peer's stream as this side counts it, from 0


@dataclass(frozen=True, kw_only=True)
class ResendStarted(Event):
    """The report's rule fired: the peer's count differs, so everything is resent."""

    name: ClassVar[str] = "resend"
    carried: int  # the count the peer's datagram carried
    expected: int  # how many messages this side has sent
    messages: int  # how many messages are being resent


@dataclass(frozen=True, kw_only=True)
class MessageRetransmitted(Event):
    """A message already sent once went out again."""

    name: ClassVar[str] = "resent"
    text: str
    seq: int
    attempt: int  # 2 for the first retransmission


@dataclass(frozen=True, kw_only=True)
class ResendReceived(Event):
    """A datagram tagged ``resend`` arrived: shown to the user, never counted."""

    name: ClassVar[str] = "resend_received"
    text: str


@dataclass(frozen=True, kw_only=True)
class DuplicateDiscarded(Event):
    """A message that was already delivered arrived again and was dropped."""

    name: ClassVar[str] = "duplicate"
    seq: int


@dataclass(frozen=True, kw_only=True)
class OutOfOrderDiscarded(Event):
    """A message arrived ahead of a gap and was dropped (this rung keeps no buffer)."""

    name: ClassVar[str] = "out_of_order"
    seq: int  # the message that arrived
    expected: int  # the message the receiver is waiting for


@dataclass(frozen=True, kw_only=True)
class MessageBuffered(Event):
    """A message arrived ahead of a gap and waits in the receive buffer."""

    name: ClassVar[str] = "buffered"
    seq: int
    expected: int


@dataclass(frozen=True, kw_only=True)
class GapSkipped(Event):
    """The peer gave up on messages this side never got: it stops waiting for them."""

    name: ClassVar[str] = "skipped"
    first: int  # the first message number skipped
    count: int


@dataclass(frozen=True, kw_only=True)
class AckReceived(Event):
    """The peer acknowledged messages; ``acked`` lists the newly acknowledged seqs."""

    name: ClassVar[str] = "acked"
    acked: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class TimerExpired(Event):
    """A retransmission timer fired; ``timeout`` is the interval that elapsed."""

    name: ClassVar[str] = "timeout"
    seq: int
    timeout: float


@dataclass(frozen=True, kw_only=True)
class RttSampled(Event):
    """An ACK timed a message sent once: the round-trip estimate moved (RFC 6298)."""

    name: ClassVar[str] = "rtt_sample"
    seq: int  # the message whose round trip was measured
    sample: float  # seconds from its one transmission to its ACK
    srtt: float
    rttvar: float
    rto: float  # the timeout the next timer starts with


@dataclass(frozen=True, kw_only=True)
class FastRetransmitted(Event):
    """Three duplicate ACKs arrived: the window goes out again before its timer."""

    name: ClassVar[str] = "fast_retransmit"
    seq: int  # the oldest unacknowledged message, resent first
    duplicates: int


@dataclass(frozen=True, kw_only=True)
class GaveUp(Event):
    """The retry limit was reached: this message will not be delivered."""

    name: ClassVar[str] = "gave_up"
    text: str
    seq: int
    attempts: int


@dataclass(frozen=True, kw_only=True)
class DatagramRejected(Event):
    """Bytes from the network that do not parse were dropped; ``reason`` says why."""

    name: ClassVar[str] = "rejected"
    reason: str
    size: int
    preview: str  # the first bytes, decoded leniently, for display


@dataclass(frozen=True, kw_only=True)
class PeerRestarted(Event):
    """The partner started afresh (a new session): receive state reset, unfinished resent."""

    name: ClassVar[str] = "peer_restarted"
    session: str  # the partner's new session identifier
    previous: str  # the one it replaced
    resent: int  # this side's unacknowledged messages sent again in the new session


@dataclass(frozen=True, kw_only=True)
class MismatchForced(Event):
    """The next datagram carries a wrong count on purpose (the report's own test)."""

    name: ClassVar[str] = "mismatch_forced"
    carried: int
    true_count: int


@dataclass(frozen=True, kw_only=True)
class DatagramSent(Event):
    """A driver or network put one of the engine's datagrams on the wire."""

    name: ClassVar[str] = "datagram_sent"
    kind: str  # "data", "resend" or "ack"
    seq: int | None
    label: str
    size: int
    record: int | None = None  # the id of the wire record written as it was sent


@dataclass(frozen=True, kw_only=True)
class DatagramReceived(Event):
    """A driver or network handed a datagram to the engine."""

    name: ClassVar[str] = "datagram_received"
    size: int
    source: str  # "host:port" or a peer name
    record: int | None = None  # the id of the wire record it delivers, when the driver knows it


@dataclass(frozen=True, kw_only=True)
class StrangerIgnored(Event):
    """A datagram from an address other than the partner's was not given to the engine."""

    name: ClassVar[str] = "stranger"
    source: str  # "host:port"
    size: int
    preview: str  # the first bytes, decoded leniently, for display


@dataclass(frozen=True, kw_only=True)
class FloodSummarised(Event):
    """Datagrams from one host, rejected or ignored, counted instead of shown one by one."""

    name: ClassVar[str] = "flood"
    source: str  # "host:port", or "host (n ports)"
    what: str  # "rejected" or "stranger"
    datagrams: int  # not shown one by one since the last summary
    seconds: float  # from the first of them to the last


@dataclass(frozen=True, kw_only=True)
class TransportFailed(Event):
    """The operating system refused to send or receive; the peer keeps running."""

    name: ClassVar[str] = "transport_error"
    reason: str


@dataclass(frozen=True, kw_only=True)
class EngineFailed(Event):
    """An engine raised where it must not (a labchat bug); the peer keeps running."""

    name: ClassVar[str] = "engine_error"
    error: str


def preview_of(data: bytes, limit: int = 40) -> str:
    """A short, always-printable rendering of untrusted bytes."""
    text = data[:limit].decode("utf-8", errors="replace")
    return text + ("…" if len(data) > limit else "")

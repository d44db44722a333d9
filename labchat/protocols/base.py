"""The contract every protocol engine keeps, and the plumbing they share.

An engine is a pure state machine in the sans-IO style (h11, aioquic): it is
handed text from the user, bytes from the network and the current time
``now`` as arguments; it queues datagrams to send and events that happened,
which its driver drains with ``pop_datagrams()`` and ``pop_events()``. It never
touches a socket, a thread, the clock or a random generator, so every run can
be replayed on a virtual clock and stepped through by hand.

Bytes from the network can never raise out of ``receive_datagram``: a
``RemoteProtocolError`` becomes a ``DatagramRejected`` event.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

from labchat import voice
from labchat.errors import MessageTooLong, RemoteProtocolError, UnencodableText
from labchat.events import DatagramRejected, Event, preview_of
from labchat.protocols.settings import EngineSettings

DatagramKind = Literal["data", "resend", "ack", "garbage"]


@dataclass(frozen=True)
class Outgoing:
    """One datagram an engine wants sent, with what it means (for the chart)."""

    payload: bytes
    kind: DatagramKind  # first transmission, retransmission, stand-alone ACK, or unparsable
    seq: int | None = None  # the message it carries, if any
    label: str = ""  # a short human description, e.g. "hi -0" or "ACK 3"


class Engine(ABC):
    """One peer's side of a protocol. Subclasses implement the transitions."""

    #: The name used by ``--protocol`` and the lab's protocol chooser.
    protocol: ClassVar[str]
    #: Whether the rung may run inside the session envelope (``envelope``);
    #: False keeps a wire exactly as it is (the report's, for its client).
    enveloped: ClassVar[bool] = True
    #: Whether the partner may send from any port of its host (the report's
    #: client resends from a fresh socket); a driver hears only the partner.
    partner_changes_port: ClassVar[bool] = False
    #: The rung's settings, declared once (see ``labchat.protocols.settings``).
    Settings: ClassVar[type[EngineSettings]] = EngineSettings
    settings: EngineSettings

    def __init__(self, **settings: object) -> None:
        """An engine with ``settings`` by name, the rest default; bad ones: ``SettingError``."""
        self.settings = self.Settings.from_values(settings, self.protocol)
        self._outbox: list[Outgoing] = []
        self._events: list[Event] = []
        self._in_batch = False  # the datagram being handled is one of a batch

    # -- commands from the user ------------------------------------------------

    @abstractmethod
    def send_message(self, text: str, now: float) -> None:
        """Queue ``text`` for the peer; raise a local error if it cannot be sent."""

    @property
    def max_datagram(self) -> int:
        """The largest datagram this engine sends or accepts, in bytes."""
        return self.settings.max_datagram

    # -- input from the network and the clock ----------------------------------

    def receive_datagram(self, data: bytes, now: float, *, batch: bool = False) -> None:
        """Handle bytes from the network; garbage becomes a ``rejected`` event.

        ``batch=True``: one of several datagrams that arrived together, which
        the driver hands over in a row and then calls ``end_of_batch``; an
        engine whose every ACK says all it holds may then answer the whole
        batch with one ACK instead of one each.
        """
        self._in_batch = batch
        try:
            if len(data) > self.max_datagram:
                raise RemoteProtocolError(voice.error("datagram_too_big", size=len(data),
                                                      limit=self.max_datagram))
            self._handle_datagram(data, now)
        except RemoteProtocolError as error:
            self._emit(
                DatagramRejected(at=now, reason=error.reason, size=len(data),
                                 preview=preview_of(data))
            )

    @abstractmethod
    def _handle_datagram(self, data: bytes, now: float) -> None:
        """Protocol-specific receive; raise ``RemoteProtocolError`` on bad bytes."""

    def end_of_batch(self, now: float) -> None:  # noqa: B027 - optional hook
        """The last datagram of a batch was handed over: send what was held back for it."""

    def handle_timer(self, now: float) -> None:  # noqa: B027 - optional hook
        """Act on every timer due at ``now`` (engines without timers ignore it)."""

    def next_deadline(self) -> float | None:
        """The earliest time ``handle_timer`` must be called, or None."""
        return None

    # -- what the driver drains ------------------------------------------------

    def pop_datagrams(self) -> list[Outgoing]:
        """Datagrams queued since the last call, oldest first."""
        out, self._outbox = self._outbox, []
        return out

    def pop_events(self) -> list[Event]:
        """Events that happened since the last call, oldest first."""
        out, self._events = self._events, []
        return out

    # -- for panels, charts and linger -----------------------------------------

    @classmethod
    def describe(cls, payload: bytes) -> Outgoing:
        """What a datagram of this protocol means, for a chart or a relay's log.

        Never raises: bytes that do not parse come back with kind "garbage".
        """
        try:
            return cls._describe(payload)
        except RemoteProtocolError:
            return Outgoing(payload, "garbage", None, preview_of(payload))

    @classmethod
    @abstractmethod
    def _describe(cls, payload: bytes) -> Outgoing:
        """``describe`` for bytes that parse; raises ``RemoteProtocolError`` otherwise."""

    @abstractmethod
    def snapshot(self) -> Mapping[str, object]:
        """The state variables a student should see, by name (small, JSON-ready)."""

    def unfinished(self) -> int:
        """Messages neither acknowledged nor given up (0 for protocols without ACKs)."""
        return len(self.unfinished_texts())

    def unfinished_texts(self) -> list[str]:
        """The texts of the unfinished messages, oldest first (to resend after a restart)."""
        return []

    def queued(self) -> int:
        """Of ``unfinished()``, the messages accepted but not yet transmitted (window full)."""
        return 0

    # -- helpers for subclasses ------------------------------------------------

    def _emit(self, event: Event) -> None:
        self._events.append(event)

    def _queue(self, datagram: Outgoing) -> None:
        self._outbox.append(datagram)

    def _check_fits(self, payload_size: int) -> None:
        if payload_size > self.max_datagram:
            raise MessageTooLong(payload_size, self.max_datagram)


def encode_text(text: str) -> bytes:
    """UTF-8 bytes of ``text``, or a clear local error if it has none."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise UnencodableText(voice.error("unencodable", reason=error.reason)) from None


def decode_text(data: bytes) -> str:
    """Text from the network, or a remote error naming the bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RemoteProtocolError(voice.error("not_utf8", position=error.start)) from None

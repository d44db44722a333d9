"""The student report's protocol, wire-compatible, minus its crashes.

Wire format (UTF-8 text, one message per datagram, as the report's client
builds it with ``msg + ' -' + str(n)``)::

    <text> -<n>        a new message; n = how many messages the sender has
                       received from this side (a piggybacked count)
    <text> -resend     an old message sent again; shown, never counted

Receiving ``<text> -<n>``: the message is delivered and counted; if ``n``
differs from the number of messages this side has sent, *all* of them are
resent, each tagged ``resend``. That is the report's rule, flaws included
(resend-all, resends never counted so a mismatch never heals, equality while
messages are in flight, no timer, any sender believed): repairing it is the
ladder's job, not this module's.

What labchat does differently, because the report's program crashes or loses
data there: the count is parsed from the *right* end (the report's
``split('-')`` dies on text containing ``-``); bytes that are not UTF-8 or
carry no count become a ``rejected`` event; a message whose datagram (or its
``resend`` form) would exceed the 1024-byte receive buffer is refused at send
time instead of being cut by the receiver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from labchat import voice
from labchat.errors import RemoteProtocolError
from labchat.events import (
    MessageDelivered,
    MessageRetransmitted,
    MessageSent,
    MismatchForced,
    ResendReceived,
    ResendStarted,
)
from labchat.protocols.base import Engine, Outgoing, decode_text, encode_text
from labchat.protocols.mismatch import CountFalsifying
from labchat.protocols.settings import REPORT_RECV_BUFFER

RESEND_TAG = "resend"


@dataclass(frozen=True)
class ReportDatagram:
    """A parsed datagram: its text and either a count or the resend tag."""

    text: str
    count: int | None  # None when tagged resend

    @property
    def is_resend(self) -> bool:
        return self.count is None


def encode(text: str, count: int | None) -> bytes:
    """The report's datagram: ``"<text> -<count>"``, or ``"<text> -resend"``."""
    tail = RESEND_TAG if count is None else str(count)
    return encode_text(f"{text} -{tail}")


def decode(data: bytes) -> ReportDatagram:
    """Parse a datagram from the right end, so ``-`` inside the text is harmless."""
    line = decode_text(data)
    head, dash, tail = line.rpartition("-")
    if not dash:
        raise RemoteProtocolError(voice.error("report_no_count"))
    tail = tail.strip()
    # The report's client writes "<text> -<n>": drop exactly the one space it adds.
    text = head[:-1] if head.endswith(" ") else head
    if tail == RESEND_TAG:
        return ReportDatagram(text, None)
    if not (tail.isascii() and tail.isdigit()):
        raise RemoteProtocolError(voice.error("report_bad_count", field=voice.shown(tail[:20])))
    return ReportDatagram(text, int(tail))


class ReportEngine(Engine, CountFalsifying):
    """One client of the report: two lists and the resend-everything rule."""

    protocol = "report"
    enveloped = False  # the report's client must read every datagram as it is
    partner_changes_port = True  # the report's client resends from a new socket each time

    def __init__(self, **settings: object) -> None:
        super().__init__(**settings)
        self.messages_sent: list[str] = []
        self.messages_received: list[str] = []
        self.resends = 0  # how many times the resend-all rule fired
        self.last_carried: int | None = None  # the count our last datagram carried
        self._falsify_next = False
        self._transmissions: list[int] = []  # per message, for the attempt number

    def send_message(self, text: str, now: float) -> None:
        true_count = len(self.messages_received)
        carried = self._falsified(true_count) if self._falsify_next else true_count
        payload = encode(text, carried)
        # The resend form of this message must fit the receiver's buffer too.
        self._check_fits(max(len(payload), len(encode(text, None))))
        seq = len(self.messages_sent)
        self.messages_sent.append(text)
        self._transmissions.append(1)
        self.last_carried = carried
        self._queue(Outgoing(payload, "data", seq, f"{text} -{carried}"))
        self._emit(MessageSent(at=now, text=text, seq=seq))
        if self._falsify_next:
            self._falsify_next = False
            self._emit(MismatchForced(at=now, carried=carried, true_count=true_count))

    def force_mismatch(self, now: float) -> None:
        """Make the next datagram carry a count the peer will find wrong.

        The report tested its resend by editing the comparison; labchat puts a
        wrong count on the wire instead, so it also works against the report's
        own client. The peer has sent at least as many messages as we counted,
        so one fewer is always wrong; with nothing received yet, we claim one.
        """
        self._falsify_next = True

    @staticmethod
    def _falsified(true_count: int) -> int:
        return true_count - 1 if true_count > 0 else 1

    def _handle_datagram(self, data: bytes, now: float) -> None:
        datagram = decode(data)
        if datagram.count is None:
            self._emit(ResendReceived(at=now, text=datagram.text))
            return
        seq = len(self.messages_received)
        self.messages_received.append(datagram.text)
        self._emit(MessageDelivered(at=now, text=datagram.text, seq=seq))
        if datagram.count != len(self.messages_sent):
            self._resend_all(datagram.count, now)

    def _resend_all(self, carried: int, now: float) -> None:
        self.resends += 1
        self._emit(ResendStarted(at=now, carried=carried, expected=len(self.messages_sent),
                                 messages=len(self.messages_sent)))
        for seq, text in enumerate(self.messages_sent):
            self._transmissions[seq] += 1
            self._queue(Outgoing(encode(text, None), "resend", seq, f"{text} -{RESEND_TAG}"))
            self._emit(MessageRetransmitted(at=now, text=text, seq=seq,
                                            attempt=self._transmissions[seq]))

    @classmethod
    def _describe(cls, payload: bytes) -> Outgoing:
        datagram = decode(payload)
        if datagram.count is None:
            return Outgoing(payload, "resend", None, f"{datagram.text} -{RESEND_TAG}")
        return Outgoing(payload, "data", None, f"{datagram.text} -{datagram.count}")

    def snapshot(self) -> Mapping[str, object]:
        return {
            "sent": len(self.messages_sent),
            "received": len(self.messages_received),
            "last carried": self.last_carried,
            "resends": self.resends,
        }


def report_client_parse(datagram: bytes) -> tuple[str, int | None]:
    """What the report's own listener does with a datagram, for comparison only.

    A faithful copy of ``Client1.py``'s receive path (``recv(1024)``, then
    ``data.decode().split('-')`` and ``int(data_split[1])``), returning the
    displayed text and the count (None for a ``resend``). It raises exactly
    where the report's listener thread would die: ``ValueError`` when the
    text contains ``-``, ``UnicodeDecodeError`` when ``recv(1024)`` cut a
    multi-byte letter in half, ``IndexError`` when there is no ``-`` at all.
    labchat never uses it to receive; the notebooks call it to show the flaw.
    """
    data = datagram[:REPORT_RECV_BUFFER]  # UDP recv silently drops the rest
    text = data.decode()
    data_split = text.split("-")
    if data_split[1] == "resend":
        return text, None
    return text, int(data_split[1])

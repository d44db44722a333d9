"""The report's idea, repaired: numbered messages and a count that only grows.

This bridge rung keeps what the report's client does (text datagrams, a count
of received messages piggybacked on every new message, resends triggered by
what the peer's count reveals) and repairs the flaws that a count alone can
repair. It deliberately adds no timer and no stand-alone ACK: that is the
lesson of the next rung (stop-and-wait).

Wire format (UTF-8 text, one message per datagram, fields parsed from the
right so the text may contain anything)::

    <text> -<seq> -<count>

``seq`` numbers this side's messages from 0 (a resend carries the same
number); ``count`` says how many of the peer's messages this side has
received *in order*, i.e. a cumulative acknowledgement. Example: ``hello -0
-0``, answered by ``hi -0 -1``.

Rules:

* Receiving: the message whose number is the one expected is delivered;
  a smaller number is a duplicate (a resend that was not needed) and is
  dropped; a larger one is beyond a gap and is dropped too (no buffer).
* The peer's count only moves forward: a count above ours acknowledges those
  messages, a smaller one is old news and ignored. A count above what this
  side ever sent is a forgery and the datagram is rejected.
* Resend: only when the count *stalls*, i.e. two fresh messages from the
  peer (not duplicates) in a row carry the same count while some of ours are
  unacknowledged; then only those messages (from the count on) go again. One
  stale count is normal while messages cross, so it never triggers a resend;
  two can still be crossing (a needless resend, recognised by number).

Which of the report's flaws (see ``labchat.protocols.report``) are gone:

======================================  ====================================
report's flaw                           in this rung
======================================  ====================================
resend-all: cost grows with history     fixed: only unacknowledged messages
resends not counted: never heals        fixed: numbers, receiver de-duplicates
``!=`` while in flight: spurious        fixed: count only moves forward and
resends when both talk at once          must stall twice before a resend
``split('-')`` kills the listener       fixed: parsed from the right
``recv(1024)`` cuts long text           fixed: refused at send time
forged count: resend amplification      partly: counts above what was sent
                                        are rejected; the source is not
                                        checked
no timer, ACKs only on new messages     REMAINS: a loss is noticed only when
                                        the peer sends two more messages; a
                                        lost last message or a silent peer
                                        is never recovered; nothing gives up
no window                               REMAINS: any number of messages in
                                        flight
(new) crossing bursts                   REMAINS: while two bursts cross,
                                        every second stale count resends
                                        the whole unacknowledged tail:
                                        burst**2 / 2 needless resends a side
                                        (a clock would tell "lost" from "not
                                        arrived yet")
======================================  ====================================
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from labchat import voice
from labchat.errors import RemoteProtocolError
from labchat.events import (
    AckReceived,
    DuplicateDiscarded,
    MessageDelivered,
    MessageRetransmitted,
    MessageSent,
    OutOfOrderDiscarded,
    ResendStarted,
)
from labchat.protocols.base import Engine, Outgoing, decode_text, encode_text

#: Digits kept free for the count at send time: a resend carries the count of
#: that later moment, which may be longer than the first one.
COUNT_ROOM = 10
_NUMBER = r"(0|[1-9][0-9]{0,17})"  # plain decimal, no leading zeros, fits an int64
_DATAGRAM = re.compile(rf"(.*) -{_NUMBER} -{_NUMBER}", re.DOTALL)

#: How many new messages in a row must carry the same count before a resend.
STALLS_BEFORE_RESEND = 2


@dataclass(slots=True)
class _Unacked:
    text: str
    attempts: int = 1


@dataclass(frozen=True)
class RepairedDatagram:
    text: str
    seq: int
    count: int


def encode(text: str, seq: int, count: int) -> bytes:
    return encode_text(f"{text} -{seq} -{count}")


def decode(data: bytes) -> RepairedDatagram:
    match = _DATAGRAM.fullmatch(decode_text(data))
    if match is None:
        raise RemoteProtocolError(voice.error("repaired_shape"))
    return RepairedDatagram(match[1], int(match[2]), int(match[3]))


def _label(datagram: RepairedDatagram) -> str:
    return f"{datagram.text} -{datagram.seq} -{datagram.count}"


class RepairedEngine(Engine):
    """One client of the repaired scheme: numbered messages, cumulative count."""

    protocol = "repaired"

    def __init__(self, **settings: object) -> None:
        super().__init__(**settings)
        self._sent = 0  # messages this side has sent (the next seq)
        self._acked = 0  # the peer's count: our messages it has in order
        self._unacked: deque[_Unacked] = deque()  # our messages from _acked on
        self._received = 0  # the peer's messages we have in order (our count)
        self._stalls = 0  # new peer messages in a row whose count did not move
        self.resends = 0  # resend rounds

    def send_message(self, text: str, now: float) -> None:
        seq = self._sent
        payload = encode(text, seq, self._received)
        self._check_fits(len(encode(text, seq, 0)) - 1 + COUNT_ROOM)
        self._sent += 1
        self._unacked.append(_Unacked(text))
        self._queue(Outgoing(payload, "data", seq, f"{text} -{seq} -{self._received}"))
        self._emit(MessageSent(at=now, text=text, seq=seq))

    def _handle_datagram(self, data: bytes, now: float) -> None:
        datagram = decode(data)
        if datagram.count > self._sent:
            raise RemoteProtocolError(
                voice.error("count_beyond_sent", count=datagram.count, sent=self._sent))
        # Only a datagram the peer sent fresh says something about its count
        # now: a duplicate (ours resent, or the network's) is old news.
        fresh = datagram.seq >= self._received
        if datagram.seq == self._received:
            self._emit(MessageDelivered(at=now, text=datagram.text, seq=datagram.seq))
            self._received += 1
        elif fresh:
            self._emit(OutOfOrderDiscarded(at=now, seq=datagram.seq, expected=self._received))
        else:
            self._emit(DuplicateDiscarded(at=now, seq=datagram.seq))
        self._on_count(datagram.count, fresh, now)

    def _on_count(self, count: int, fresh: bool, now: float) -> None:
        if count > self._acked:  # progress: compared with <, never with !=
            acked = tuple(range(self._acked, count))
            for _ in acked:
                self._unacked.popleft()
            self._acked = count
            self._stalls = 0
            self._emit(AckReceived(at=now, acked=acked))
            return
        # An old count, a duplicate, or nothing of ours outstanding: nothing is late.
        if count < self._acked or not fresh or not self._unacked:
            return
        self._stalls += 1
        if self._stalls >= STALLS_BEFORE_RESEND:
            self._stalls = 0
            self._resend_missing(count, now)

    def _resend_missing(self, carried: int, now: float) -> None:
        self.resends += 1
        self._emit(ResendStarted(at=now, carried=carried, expected=self._sent,
                                 messages=len(self._unacked)))
        for offset, message in enumerate(self._unacked):
            seq = self._acked + offset
            message.attempts += 1
            self._queue(Outgoing(encode(message.text, seq, self._received), "resend", seq,
                                 f"{message.text} -{seq} -{self._received}"))
            self._emit(MessageRetransmitted(at=now, text=message.text, seq=seq,
                                            attempt=message.attempts))

    @classmethod
    def _describe(cls, payload: bytes) -> Outgoing:
        datagram = decode(payload)
        return Outgoing(payload, "data", datagram.seq, _label(datagram))

    def snapshot(self) -> Mapping[str, object]:
        return {
            "sent": self._sent,
            "acked by peer": self._acked,
            "received": self._received,
            "stalls": self._stalls,
            "resends": self.resends,
        }

    def unfinished_texts(self) -> list[str]:
        return [message.text for message in self._unacked]

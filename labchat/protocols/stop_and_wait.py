"""Stop-and-wait: rdt 3.0, the alternating-bit protocol, one message at a time.

The sender transmits one message, starts its one timer, and waits. The ACK
that names that message's bit stops the timer and lets the next message go;
any other ACK is ignored. When the timer fires the message goes out again and
the timeout doubles (up to ``max_timeout``); after ``max_retries`` resends the
next expiry gives the message up. The receiver hands over a message whose bit
is the one it expects and flips its bit; anything else is a duplicate, which
it discards and acknowledges again (so a lost ACK heals).

Wire format (shared with the other textbook rungs, see ``arq``)::

    D <bit> <ack> <text>     a message; <ack> = the bit of the last message
                             received from the peer, "-" before the first
    A <ack>                  a stand-alone acknowledgement

Example: ``D 0 - hello``, then ``A 0``, then ``D 1 0 how are you``.

Acknowledgements: a message that arrives is acknowledged at once, riding on
a data datagram if one leaves in the same step, else alone (``A``).

Limits a student should see (each is a lab exercise):

* one message per round trip: the link sits idle while the sender waits;
* one bit only tells "this one" from "the one before": the alternating bit
  assumes the network does not reorder. A copy delayed past a whole round of
  the next message arrives with the "right" bit and is delivered twice; a
  stale ACK with the "right" bit completes a message that was lost, which is
  then never resent and never given up. ``seq_bits`` widens the number (as
  Go-Back-N does); over a real network that reorders, such as the relay with
  ``--reorder`` or ``--jitter``, run the chat with ``--setting seq_bits=16``;
* after a give-up one bit cannot tell the receiver to skip the abandoned
  message, so with ``seq_bits=1`` every later message is given up at once.
  With ``seq_bits >= 2`` the next message carries a skip mark (``S``) as
  long as the jump fits in the space (see ``arq``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from labchat import voice
from labchat.events import AckReceived, TimerExpired
from labchat.protocols.arq import ArqSettings, Pending
from labchat.protocols.cumulative import CumulativeArqEngine
from labchat.protocols.settings import setting


@dataclass(frozen=True, kw_only=True)
class StopAndWaitSettings(ArqSettings):
    """rdt 3.0's knobs: one message in flight, and the alternating bit by default."""

    seq_bits: int = setting(1, voice.SETTING_MEANINGS["seq_bits_alternating"],
                            low=1, high=16)


class StopAndWaitEngine(CumulativeArqEngine):
    """rdt 3.0 in both directions: one message outstanding, one timer."""

    protocol = "stop-and-wait"
    Settings = StopAndWaitSettings

    def __init__(self, **settings: object) -> None:
        super().__init__(**settings)
        # sender
        self._sending: Pending | None = None  # the one message waiting for its ACK

    # -- sender ----------------------------------------------------------------------

    def _fill_window(self, now: float) -> None:
        if self._sending is None and self._waiting:
            self._send_base = self._next_seq
            self._sending = self._take_next(now)
            self._deadline = now + self._rto

    def _on_ack(self, ack: int, now: float) -> None:
        sending = self._sending
        if sending is None or ack != self.space.wire(sending.seq):
            return  # the ACK of an older message (a duplicate): wait on
        self._emit(AckReceived(at=now, acked=(sending.seq,)))
        self._sample_rtt(sending, now)
        self._acknowledged(sending.seq)
        self._sending = None
        self._send_base = self._next_seq
        self._progressed()
        self._deadline = None

    def handle_timer(self, now: float) -> None:
        sending = self._sending
        if sending is None or self._deadline is None or now < self._deadline:
            return
        self._emit(TimerExpired(at=now, seq=sending.seq, timeout=self._rto))
        if self._retries < self.settings.max_retries:
            self._retries += 1
            self._rto = self._back_off(self._rto)
            self._retransmit(sending, now)
            self._deadline = now + self._rto
            return
        base_before = self._send_base
        self._give_up(sending, now)
        self._sending = None
        self._restart_after_give_up(now, base_before)

    # -- for panels ------------------------------------------------------------------

    def _outstanding(self) -> Iterator[Pending]:
        if self._sending is not None:
            yield self._sending

    def snapshot(self) -> Mapping[str, object]:
        sending = self._sending
        return {
            "state": "ready" if sending is None
            else voice.waiting_for_ack(self.space.wire(sending.seq)),
            "send bit": self.space.wire(self._next_seq if sending is None else sending.seq),
            "expected bit": self.space.wire(self._receive_base),
            "rto": self._rto,
            "retries": self._retries,
            "timer": self._deadline,
            "queued": len(self._waiting),
            "sent": self._next_seq,
            "delivered": self._receive_base,
            **self._skip_state(),
            **self._rtt_state(),
        }

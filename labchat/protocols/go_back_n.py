"""Go-Back-N: a window of messages in flight, cumulative ACKs, one timer.

The sender may have up to ``window`` messages unacknowledged; more are queued
and go out as the window slides. One timer runs for the oldest
unacknowledged message. An ACK ``n`` is *cumulative*: the peer has every
message up to and including ``n``, so the window base moves past it, the timer
restarts for the new oldest (or stops) and the timeout returns to its initial
value. When the timer fires, *every* unacknowledged message goes out again
("go back N") and the timeout doubles, up to ``max_timeout``. After
``max_retries`` such rounds the next expiry gives up every message in the
window; the following data datagrams carry a skip mark (``S``) so the receiver
stops waiting for the abandoned numbers.

The receiver keeps no buffer: it hands over only the message it expects and
discards anything else (a duplicate, or a message beyond a gap), answering
each arrival with the cumulative ACK of what it has.

Wire format (shared with the other textbook rungs, see ``arq``), numbers
modulo ``2**seq_bits`` (default 16 bits)::

    D <seq> <ack> <text>             a message; <ack> = the last message received
                                     in order from the peer, "-" before the first
    S <seq> <ack> <first> <text>     the same, after a give-up: skip to <first>
    A <ack>                          a stand-alone cumulative acknowledgement

Example with a window of 3 and the second message lost: ``D 0 - a``,
``D 1 - b`` (lost), ``D 2 - c``; the receiver answers ``A 0``, then ``A 0``
again (``c`` is beyond the gap); the timer fires and ``D 1``, ``D 2`` go again.

Acknowledgements: every arrival is acknowledged at once, riding on a data
datagram if one leaves in the same step, else alone.

Fast retransmit (``fast_retransmit``, off by default: the textbook's
Go-Back-N has none): the receiver answers every message beyond a gap with
the same cumulative ACK. On the third such *stand-alone* ACK (a data
datagram repeating its ack is not a duplicate, as in TCP) the sender resends
the window at once instead of waiting for the timer, once per window base;
the timeout does not double and the retry count does not grow.

With ``adaptive_timeout`` (RFC 6298, see ``arq``) a lossy network costs
this rung far more time than a fixed timeout does, and that is the RFC's
rule at work, not a fault: an expiry doubles the RTO and only a new
round-trip sample brings it down again, while Karn's rule takes no sample
from a message sent more than once. Go-Back-N resends its whole window on
every expiry, and its receiver discards whatever follows a gap, so a fresh
message sent behind a resend that is lost again is resent too before its
ACK can come back. Samples are rare, and the RTO climbs to ``max_timeout``
and stays there. A fixed timeout instead goes back to ``timeout`` on every
ACK that moves the window (the rule Kurose & Ross give for TCP in 3.5.4).
Notebook 09 measures both on the same losses.

No selective ACKs here, on purpose. A selective ACK lists the messages a
receiver holds beyond a gap, and a Go-Back-N receiver holds none: it
discards everything after a gap, so its selective ACK would be its
cumulative ACK written differently (``A 7:``), and its sender, which resends
the whole window anyway, would have nothing to skip. Giving the receiver a
buffer and the sender the runs to resend only the holes is what makes
Selective Repeat; with a cumulative ACK and one timer it is TCP with SACK
(K&R 3.5.4 calls TCP such a hybrid). That is the next rung, not a setting
of this one. Go-Back-N still *reads* the selective form (its cumulative part
counts), so it talks to a peer that sends it.

The textbook bound is ``window < 2**seq_bits`` (the constructor refuses a
larger window unless ``allow_unsafe_window`` is on, which exists to show why
the bound exists: with ``window = 2**seq_bits`` a whole window lost and
resent looks like the next window); the skip mark after a give-up
needs more room (a window plus the jump within half the space, see ``arq``):
without it a give-up leaves this direction out of step.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from labchat import voice
from labchat.events import AckReceived, FastRetransmitted, TimerExpired
from labchat.protocols.arq import Pending, WindowSettings
from labchat.protocols.cumulative import CumulativeArqEngine
from labchat.protocols.settings import SettingError, flag

#: Duplicate ACKs that trigger a fast retransmit (TCP's, RFC 5681).
DUPLICATE_ACKS = 3


@dataclass(frozen=True, kw_only=True)
class GoBackNSettings(WindowSettings):
    """Go-Back-N's knobs; its window must be smaller than the sequence space."""

    fast_retransmit: bool = flag(
        False, voice.SETTING_MEANINGS["fast_retransmit"])

    def _check_together(self) -> None:
        super()._check_together()
        if self.window >= 1 << self.seq_bits and not self.allow_unsafe_window:
            raise SettingError(voice.error("gbn_window", window=self.window,
                                           seq_bits=self.seq_bits, numbers=1 << self.seq_bits))


class GoBackNEngine(CumulativeArqEngine):
    """Go-Back-N in both directions."""

    protocol = "go-back-n"
    Settings = GoBackNSettings
    settings: GoBackNSettings

    def __init__(self, **settings: object) -> None:
        super().__init__(**settings)
        # sender: _send_base .. _next_seq - 1 are in flight, oldest first
        self._in_flight: deque[Pending] = deque()
        self._duplicate_acks = 0  # stand-alone ACKs repeating the base's predecessor
        self._fast_retransmitted = False  # once per window base, as TCP Reno does

    # -- sender ----------------------------------------------------------------------

    def _fill_window(self, now: float) -> None:
        while self._waiting and len(self._in_flight) < self.settings.window:
            self._in_flight.append(self._take_next(now))
            if self._deadline is None:
                self._deadline = now + self._rto

    def _on_ack(self, ack: int, now: float) -> None:
        # Which in-flight message does the wire number name? Counted from the
        # base, modulo the space; anything outside the window is an old ACK.
        offset = (ack - self.space.wire(self._send_base)) % self.space.modulus
        if offset >= len(self._in_flight):
            return
        taken = [self._in_flight.popleft() for _ in range(offset + 1)]
        acked = tuple(pending.seq for pending in taken)
        self._send_base = acked[-1] + 1
        self._emit(AckReceived(at=now, acked=acked))
        self._sample_rtt(taken[-1], now)  # the message this ACK answers
        self._duplicate_acks = 0
        self._fast_retransmitted = False
        self._acknowledged(acked[-1])
        self._progressed()
        self._deadline = now + self._rto if self._in_flight else None

    def _on_ack_alone(self, ack: int, now: float) -> None:
        duplicate = (self._send_base > 0 and bool(self._in_flight)
                     and ack == self.space.wire(self._send_base - 1))
        if not (duplicate and self.settings.fast_retransmit):
            self._on_ack(ack, now)
            return
        self._duplicate_acks += 1
        if self._duplicate_acks < DUPLICATE_ACKS or self._fast_retransmitted:
            return
        # The receiver got DUPLICATE_ACKS messages beyond a gap: the base is
        # lost, not late. Go back N now; no backoff, the timer restarts.
        self._fast_retransmitted = True
        self._emit(FastRetransmitted(at=now, seq=self._send_base,
                                     duplicates=self._duplicate_acks))
        for pending in self._in_flight:
            self._retransmit(pending, now)
        self._deadline = now + self._rto

    def handle_timer(self, now: float) -> None:
        if not self._in_flight or self._deadline is None or now < self._deadline:
            return
        self._emit(TimerExpired(at=now, seq=self._send_base, timeout=self._rto))
        if self._retries < self.settings.max_retries:
            self._retries += 1
            self._rto = self._back_off(self._rto)
            for pending in self._in_flight:  # go back N: resend the whole window
                self._retransmit(pending, now)
            self._deadline = now + self._rto
            return
        # They all went out on this timer, so they all share its fate.
        base_before = self._send_base
        for pending in self._in_flight:
            self._give_up(pending, now)
        self._in_flight.clear()
        self._restart_after_give_up(now, base_before)

    # -- for panels ------------------------------------------------------------------

    def _outstanding(self) -> Iterator[Pending]:
        return iter(self._in_flight)

    def snapshot(self) -> Mapping[str, object]:
        return {
            "send base": self._send_base,
            "next seq": self._next_seq,
            "window": self.settings.window,
            "in flight": len(self._in_flight),
            "queued": len(self._waiting),
            "rto": self._rto,
            "retries": self._retries,
            "timer": self._deadline,
            "expected seq": self._receive_base,
            "seq space": self.space.modulus,
            **self._skip_state(),
            **self._rtt_state(),
        }

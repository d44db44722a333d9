"""Selective Repeat: a window, one timer per message, a receive buffer.

The sender may have up to ``window`` messages between its window base and its
next number; more are queued. Each message has its *own* timer and its own
timeout, which starts at ``timeout`` and doubles (up to ``max_timeout``) each
time that message's timer fires; only that message goes out again (with
``adaptive_timeout`` a timer starts at the learned RTO, and an expiry doubles
the RTO as it is *then*, which a sample since the message left may have
lowered: RFC 6298 5.5, see ``arq``). An ACK
``n`` is *individual*: it acknowledges message ``n`` only. The window base
slides past every acknowledged message at its front. After ``max_retries``
resends of a message, the next expiry gives it up, and with it every message
the peer acknowledged behind it (then, or later while the skip mark below is
unproven): the peer holds those in its buffer but can hand them over only
once it learns to skip the gap, which the sender cannot be sure of. So here
"gave up" can also mean "acknowledged, but delivery not promised"; such a
message often is delivered later. The following data datagrams carry that
skip mark (``S``).

The receiver acknowledges every message inside its window (and the window
just behind it, whose ACKs may have been lost), buffers those ahead of a
gap, and hands over the run at the front of its window in order. Messages
beyond its window are dropped without an ACK.

Wire format (shared with the other textbook rungs, see ``arq``), numbers
modulo ``2**seq_bits`` (default 16 bits)::

    D <seq> <ack> <text>             a message; <ack> = the peer message that
                                     arrived last, "-" before the first
    S <seq> <ack> <first> <text>     the same, after a give-up: skip to <first>
    A <ack>                          a stand-alone individual acknowledgement

Example with the second of three messages lost: ``D 0 - a``, ``D 1 - b``
(lost), ``D 2 - c``; the receiver answers ``A 0`` and ``A 2`` and buffers
``c``; the timer of message 1 fires, ``D 1 - b`` goes again, and on its ACK
the window slides past 1 and 2.

Acknowledgements: every arrival is acknowledged at once, riding on a data
datagram if one leaves in the same step, else alone. Every data datagram
repeats the latest individual ack, which also repairs a lost stand-alone one
(an old number cannot be mistaken for a newer message while the window and
any skip stay within half the space, which this rung enforces).

Two forms of ACK, chosen by the ``acks`` setting:

* ``"individual"`` (the default): ``A n`` acknowledges message ``n`` only, as
  Kurose & Ross draw it (Figures 3.26 and 3.27). A lost ACK is repaired only
  when that message's timer fires and the duplicate is acknowledged again:
  at a loss rate ``p`` both ways a message costs about ``1/(1-p)**2`` data
  datagrams instead of ``1/(1-p)``.
* ``"selective"``: every ACK says "everything up to ``c``, and these runs
  beyond" (``A 7:9-11,14``, see ``arq``), as TCP's SACK and QUIC's ACK frames
  do; the sender takes every message named, so a lost ACK costs nothing once
  any later ACK gets through. Example with the second of three lost:
  ``D 0 - a``, ``D 1 - b`` (lost), ``D 2 - c``; the receiver answers
  ``A 0:`` and ``A 0:2``.

A window larger than ``PACE_FLOOR`` is paced. Every message in flight
waits in the receiver's queue behind the ones sent before it, so a window
that the receiver drains more slowly than one timeout makes its newest
messages time out while they wait (premature timeouts, K&R Figure 3.16 d),
and their resends join the same queue: the congestion collapse of K&R 3.6.1,
between two hosts. So the sender keeps in flight at most as many messages as
the peer acknowledged in the last half ``timeout`` (never fewer than
``PACE_FLOOR``): the newest message then waits about half a timeout. This is
TCP's idea of an ACK clock (K&R 3.7), with the window as its ceiling. And a
timer of such a window that expires while ACKs keep arriving (one made
progress within the message's timeout) but none yet for a message sent after
it, finds its message waiting in the queue, not lost: it runs again from the
latest ACK, without a resend (TCP restarts its timer on every ACK that makes
progress, RFC 6298 5.3, for the same reason). A later message acknowledged
first proves the loss, and the timer fires as usual. A window of
``PACE_FLOOR`` or less, the textbook's, is never paced and its timers fire
exactly as K&R draw them.

The textbook form is the default because this rung is the textbook's; the
selective form is the step beyond it that real protocols take, one setting
away (the lab and ``make bench`` show both).

The window must be at most half the sequence space (else an old copy and a
new message share a number): the constructor refuses a larger one, unless
``allow_unsafe_window`` is on. That setting exists for one lesson, K&R's
Figure 3.27: with ``seq_bits=2`` and a window of 3, when every ACK of
messages 0, 1 and 2 is lost, the resent message 0 falls inside the
receiver's new window (3, 0, 1) and is taken as the *next* message 0; it is
handed over as new once message 3 arrives. The receiver follows the
textbook's rule, "a number inside my window is new", which is the same as
reading the number relative to its window base whenever the window is safe. The skip
mark after a give-up needs a window plus the jump within half the space (see
``arq``); at exactly half, a give-up leaves this direction out of step.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from labchat import voice
from labchat.events import (
    AckReceived,
    DuplicateDiscarded,
    MessageBuffered,
    MessageDelivered,
    OutOfOrderDiscarded,
    TimerExpired,
)
from labchat.protocols.arq import (
    MAX_SACK_RANGES,
    ArqEngine,
    DataDatagram,
    Pending,
    Run,
    WindowSettings,
)
from labchat.protocols.settings import SettingError, choice

#: A window this large or smaller is never paced (see the module docstring).
PACE_FLOOR = 64


@dataclass(frozen=True, kw_only=True)
class SelectiveRepeatSettings(WindowSettings):
    """Selective Repeat's knobs; its window is at most half the sequence space."""

    acks: str = choice("individual", voice.SETTING_MEANINGS["acks"],
                       choices=("individual", "selective"))

    def _check_together(self) -> None:
        super()._check_together()
        if 2 * self.window > 1 << self.seq_bits and not self.allow_unsafe_window:
            raise SettingError(voice.error("sr_window", window=self.window,
                                           half=(1 << self.seq_bits) // 2,
                                           seq_bits=self.seq_bits))


class SelectiveRepeatEngine(ArqEngine):
    """Selective Repeat in both directions."""

    protocol = "selective-repeat"
    Settings = SelectiveRepeatSettings

    def __init__(self, **settings: object) -> None:
        super().__init__(**settings)
        # sender: every number in _send_base .. _next_seq - 1 is in one of the two
        self._unacked: dict[int, Pending] = {}
        self._acked_ahead: dict[int, Pending] = {}  # acknowledged, base not past them yet
        # (deadline, seq) per timer; an entry whose message was acknowledged or
        # re-armed is stale and skipped, which keeps each step O(log window).
        self._timers: list[tuple[float, int]] = []
        # When each message acknowledged in the last half timeout was (pacing;
        # only a window above PACE_FLOOR keeps them).
        self._recent_acks: deque[float] = deque()
        self._transmissions = 0  # this side's transmissions so far (each message's order)
        self._last_progress = float("-inf")  # when an ACK last acknowledged a message
        self._latest_acked_order = -1  # the latest transmission an ACK has answered
        # receiver: _receive_base .. + window - 1 may be buffered
        self._buffer: dict[int, str] = {}
        self._latest_ack: int | None = None  # wire number of the last arrival
        self._latest_arrival = -1  # its absolute number (a selective ACK lists its run first)

    # -- sender ----------------------------------------------------------------------

    def _fill_window(self, now: float) -> None:
        room = self._in_flight_limit(now)
        while (self._waiting and self._next_seq - self._send_base < self.settings.window
               and len(self._unacked) < room):
            pending = self._take_next(now)
            self._unacked[pending.seq] = pending
            self._count_transmission(pending)
            self._arm(pending, self._first_rto(), now)

    def _count_transmission(self, pending: Pending) -> None:
        pending.order = self._transmissions
        self._transmissions += 1

    def _in_flight_limit(self, now: float) -> int:
        """How many unacknowledged messages may be in flight: the window, paced
        above ``PACE_FLOOR`` by what the peer acknowledged in the last half timeout."""
        if self.settings.window <= PACE_FLOOR:
            return self.settings.window
        horizon = now - self.settings.timeout / 2
        while self._recent_acks and self._recent_acks[0] < horizon:
            self._recent_acks.popleft()
        return max(PACE_FLOOR, len(self._recent_acks))

    def _arm(self, pending: Pending, rto: float, now: float) -> None:
        pending.rto = rto
        pending.deadline = now + rto
        heapq.heappush(self._timers, (pending.deadline, pending.seq))

    def _on_ack(self, ack: int, now: float) -> None:
        offset = (ack - self.space.wire(self._send_base)) % self.space.modulus
        pending = self._unacked.pop(self._send_base + offset, None)
        if pending is None:
            return  # outside the window, or acknowledged already
        self._emit(AckReceived(at=now, acked=(pending.seq,)))
        self._sample_rtt(pending, now)
        self._accept(pending, now, in_order=False)
        self._slide()

    def _on_selective_ack(self, ack: int | None, runs: tuple[Run, ...], now: float) -> None:
        # Every message named leaves the window; the ones named before were
        # popped already, so an old or repeated ACK does nothing.
        taken: list[tuple[Pending, bool]] = []
        if ack is not None:
            last = min(self.space.nearest(ack, self._send_base), self._next_seq - 1)
            taken += [(p, True) for seq in range(self._send_base, last + 1)
                      if (p := self._unacked.pop(seq, None)) is not None]
        for low, high in runs:
            start = self.space.nearest(low, self._send_base)
            end = min(start + (high - low) % self.space.modulus, self._next_seq - 1)
            taken += [(p, False) for seq in range(max(start, self._send_base), end + 1)
                      if (p := self._unacked.pop(seq, None)) is not None]
        if not taken:
            return
        taken.sort(key=lambda item: item[0].seq)
        self._emit(AckReceived(at=now, acked=tuple(p.seq for p, _ in taken)))
        # One sample per ACK, from the latest message it names that was sent
        # only once (Karn's rule): the others waited in the peer's buffer.
        fresh = [p for p, _ in taken if p.attempts == 1]
        if fresh:
            self._sample_rtt(max(fresh, key=lambda p: p.sent_at), now)
        for pending, in_order in taken:
            self._accept(pending, now, in_order=in_order)
        self._slide()

    def _accept(self, pending: Pending, now: float, *, in_order: bool) -> None:
        """The peer has ``pending``; ``in_order``: it has handed over everything up to it."""
        if self.settings.window > PACE_FLOOR:
            self._recent_acks.append(now)  # the ACK clock that paces a large window
            self._last_progress = now
            self._latest_acked_order = max(self._latest_acked_order, pending.order)
        if not in_order and self._skip_proof is not None and pending.seq < self._skip_proof:
            # Sent before a give-up, so it sits in the peer's buffer behind the
            # abandoned gap until the peer reads our skip mark: not promised.
            self._give_up(pending, now)
        else:
            self._acked_ahead[pending.seq] = pending
            self._acknowledged(pending.seq)

    def _slide(self) -> None:
        while self._send_base < self._next_seq and self._send_base not in self._unacked:
            self._acked_ahead.pop(self._send_base, None)
            self._send_base += 1

    def handle_timer(self, now: float) -> None:
        while self._timers and self._timers[0][0] <= now:
            deadline, seq = heapq.heappop(self._timers)
            pending = self._unacked.get(seq)
            if pending is None or pending.deadline != deadline:
                continue  # stale: acknowledged, given up or re-armed since
            if self._waiting_in_queue(pending, now):
                self._arm(pending, pending.rto, self._last_progress)  # from the latest ACK
                continue
            self._emit(TimerExpired(at=now, seq=seq, timeout=pending.rto))
            if pending.retries < self.settings.max_retries:
                pending.retries += 1
                self._retransmit(pending, now)  # this message only
                self._count_transmission(pending)
                self._arm(pending, self._back_off(pending.rto), now)
            else:
                self._give_up_through(pending, now)

    def _waiting_in_queue(self, pending: Pending, now: float) -> bool:
        """Whether the expired ``pending`` of a paced window is queued, not lost: ACKs
        made progress within its timeout, and none answered a later transmission."""
        return (self.settings.window > PACE_FLOOR
                and self._last_progress + pending.rto > now
                and self._latest_acked_order < pending.order)

    def _give_up_through(self, pending: Pending, now: float) -> None:
        # Older unacknowledged messages started their timers earlier, so they
        # normally gave up first; any left share this one's fate.
        base_before = self._send_base
        for seq in range(self._send_base, pending.seq + 1):
            older = self._unacked.pop(seq, None)
            if older is not None:
                self._give_up(older, now)
        # Acknowledged messages behind the gap sit in the peer's buffer: they
        # reach its user only if it learns to skip, which we cannot promise.
        for seq in sorted(self._acked_ahead):
            self._give_up(self._acked_ahead.pop(seq), now)
        self._slide()
        if not self._after_give_up(now, base_before):
            for seq in sorted(self._unacked):
                self._give_up(self._unacked.pop(seq), now)
            self._timers.clear()
            self._send_base = self._next_seq
            return
        self._fill_window(now)

    def next_deadline(self) -> float | None:
        while self._timers:
            deadline, seq = self._timers[0]
            pending = self._unacked.get(seq)
            if pending is not None and pending.deadline == deadline:
                return deadline
            heapq.heappop(self._timers)
        return None

    # -- receiver --------------------------------------------------------------------

    def _receive(self, datagram: DataDatagram, skip_to: int | None, now: float) -> None:
        if skip_to is not None:
            self._skip(skip_to, now)
        window = self.settings.window
        # K&R's rule: a number inside the receive window is a new message.
        # With a safe window that is also the nearest reading; with an unsafe
        # one (allow_unsafe_window) it is where the old copy is mistaken.
        offset = (datagram.seq - self.space.wire(self._receive_base)) % self.space.modulus
        seq = (self._receive_base + offset if offset < window
               else self.space.nearest(datagram.seq, self._receive_base))
        if self._receive_base <= seq < self._receive_base + window:
            if seq in self._buffer:
                self._emit(DuplicateDiscarded(at=now, seq=seq))
            else:
                self._buffer[seq] = datagram.text
                if seq != self._receive_base:
                    self._emit(MessageBuffered(at=now, seq=seq, expected=self._receive_base))
                self._hand_over_front(now)
            self._owe_ack(seq)
        elif self._receive_base - window <= seq < self._receive_base:
            self._emit(DuplicateDiscarded(at=now, seq=seq))
            self._owe_ack(seq)  # its first ACK may have been lost
        else:
            self._emit(OutOfOrderDiscarded(at=now, seq=seq, expected=self._receive_base))

    def _hand_over_front(self, now: float) -> None:
        while self._receive_base in self._buffer:
            text = self._buffer.pop(self._receive_base)
            self._emit(MessageDelivered(at=now, text=text, seq=self._receive_base))
            self._receive_base += 1

    def _skip(self, first: int, now: float) -> None:
        # Hand over what we hold before ``first`` in order, skipping the gaps.
        gap_start: int | None = None
        for seq in range(self._receive_base, first):
            if seq in self._buffer:
                if gap_start is not None:
                    self._skipped(gap_start, seq, now)
                    gap_start = None
                self._emit(MessageDelivered(at=now, text=self._buffer.pop(seq), seq=seq))
            elif gap_start is None:
                gap_start = seq
        if gap_start is not None:
            self._skipped(gap_start, first, now)
        self._receive_base = first
        self._hand_over_front(now)

    def _owe_ack(self, seq: int) -> None:
        self._latest_ack = self.space.wire(seq)
        self._latest_arrival = seq
        self._ack_owed = True

    def _ack_value(self) -> int | None:
        return self._latest_ack

    def _held_runs(self) -> tuple[Run, ...]:
        if not self._buffer:
            return ()  # the common case: nothing beyond a gap
        runs: list[tuple[int, int]] = []
        for seq in sorted(self._buffer):
            if runs and runs[-1][1] == seq - 1:
                runs[-1] = (runs[-1][0], seq)
            else:
                runs.append((seq, seq))
        # The latest arrival's run first (TCP's rule), then from the lowest.
        latest = [run for run in runs if run[0] <= self._latest_arrival <= run[1]]
        ordered = latest + [run for run in runs if run not in latest]
        wire = self.space.wire
        return tuple((wire(low), wire(high)) for low, high in ordered[:MAX_SACK_RANGES])

    # -- for panels ------------------------------------------------------------------

    def _outstanding(self) -> Iterator[Pending]:
        return iter(sorted(self._unacked.values(), key=lambda p: p.seq))

    def snapshot(self) -> Mapping[str, object]:
        return {
            "send base": self._send_base,
            "next seq": self._next_seq,
            "window": self.settings.window,
            "timers running": sorted(self._unacked),
            "acked ahead": sorted(self._acked_ahead),
            "queued": len(self._waiting),
            "receive base": self._receive_base,
            "buffered": sorted(self._buffer),
            "seq space": self.space.modulus,
            **self._skip_state(),
            **self._rtt_state(),
        }

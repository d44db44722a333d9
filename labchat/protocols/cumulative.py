"""The half that stop-and-wait and Go-Back-N share: one timer, cumulative ACKs.

Stop-and-wait is Go-Back-N with a window of one, and their code says so:
this module owns what the two rungs do alike, the subclasses only how their
senders fill and slide the window.

* The receiver keeps no buffer. It hands over the message whose number it
  expects; anything older is a duplicate and anything newer lies beyond a
  gap, and both are discarded. Every arrival is answered with the cumulative
  ACK of the last message received in order.
* The sender runs one timer (``_deadline``) with a timeout (``_rto``) that
  doubles on each expiry and resets on progress; ``_retries`` counts the
  expiries since the window last moved.
"""

from __future__ import annotations

from labchat.events import DuplicateDiscarded, MessageDelivered, OutOfOrderDiscarded
from labchat.protocols.arq import ArqEngine, DataDatagram


class CumulativeArqEngine(ArqEngine):
    """An ARQ rung with one timer and an in-order receiver; see the module docstring."""

    def __init__(self, **settings: object) -> None:
        super().__init__(**settings)
        # sender: the one timer, for the oldest unacknowledged message
        self._rto = self._first_rto()
        self._retries = 0  # expiries since the window last moved
        self._deadline: float | None = None

    def next_deadline(self) -> float | None:
        return self._deadline

    def _progressed(self) -> None:
        """The window moved: the timeout goes back to its initial value (or, learning
        it, to the learned one, which a sample on this ACK may just have moved)."""
        self._rto = self._first_rto()
        self._retries = 0

    def _restart_after_give_up(self, now: float, base_before: int) -> None:
        """Everything outstanding was just given up: start afresh from ``_next_seq``."""
        self._deadline = None
        self._progressed()
        self._send_base = self._next_seq
        if self._after_give_up(now, base_before):
            self._fill_window(now)

    # -- receiver --------------------------------------------------------------------

    def _receive(self, datagram: DataDatagram, skip_to: int | None, now: float) -> None:
        # ``_receive_base`` is the textbook's "expected sequence number".
        if skip_to is not None:
            self._receive_base = self._skipped(self._receive_base, skip_to, now)
        seq = self.space.nearest(datagram.seq, self._receive_base)
        if seq == self._receive_base:
            self._emit(MessageDelivered(at=now, text=datagram.text, seq=seq))
            self._receive_base += 1
        elif seq < self._receive_base:
            self._emit(DuplicateDiscarded(at=now, seq=seq))
        else:  # beyond a gap: no buffer, so drop it and re-ACK what we have
            self._emit(OutOfOrderDiscarded(at=now, seq=seq, expected=self._receive_base))
        self._ack_owed = True

    def _ack_value(self) -> int | None:
        return None if self._receive_base == 0 else self.space.wire(self._receive_base - 1)

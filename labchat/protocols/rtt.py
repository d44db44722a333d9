"""Round-trip estimation for the timer rungs: RFC 6298, step by step.

A fixed timeout is either too short (it fires while the ACK is still on its
way: a *premature* timeout, K&R Figure 3.16 d) or too long (a loss waits).
TCP learns the round trip instead (K&R 3.5.3, RFC 6298). ``RttEstimator``
keeps its two variables and computes the timeout from them:

* the first sample ``R``: ``SRTT = R``, ``RTTVAR = R / 2`` (RFC 6298 (2.2));
* every later sample ``R'``: ``RTTVAR = (1 - beta) * RTTVAR + beta * |SRTT - R'|``
  with the *old* SRTT, then ``SRTT = (1 - alpha) * SRTT + alpha * R'``, with
  ``alpha = 1/8`` and ``beta = 1/4`` (2.3);
* after each: ``RTO = SRTT + max(G, K * RTTVAR)`` with ``K = 4`` (2.2, 2.3),
  then held to ``[min_timeout, max_timeout]`` (2.4, 2.5);
* before the first sample, ``RTO`` is the rung's ``timeout`` (2.1; the RFC
  says 1 s);
* when the timer expires, ``RTO`` doubles, up to ``max_timeout`` (5.5), and
  *stays* doubled until a new sample is taken (5.7's note: a later sample may
  "collapse" it again);
* Karn's rule (section 3): a message that was sent more than once gives no
  sample, since its ACK could answer any of the copies. The rung decides
  that; this class only computes.

Kurose & Ross (3.5.4) tell the backoff more simply: a timer started after an
ACK takes its timeout from EstimatedRTT and DevRTT again, undoing the
doubling. RFC 6298 keeps the doubled RTO until a sample because, when the
round trip is longer than the timeout, every message is resent, Karn's rule
refuses every sample, and a timeout undone on each ACK would never grow past
the round trip. The price: a rung that rarely has a message sent only once
to sample (Go-Back-N under loss) keeps a backed-off RTO for long.

Where labchat differs from the Internet, on purpose: RFC 6298 rounds any RTO
below one second up to 1 s, a floor meant for the Internet's round trips and
for delayed ACKs. labchat's networks have round trips of tens of
milliseconds and no delayed ACKs, so the floor is a setting,
``min_timeout``, 0.01 s by default; set it to 1 to get the RFC's behaviour.
``G``, the clock granularity, is ``CLOCK_GRANULARITY``: a millisecond, about
what a user-space timer on a desktop resolves.

Pure arithmetic: no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ALPHA = 1 / 8
BETA = 1 / 4
K = 4
#: G of RFC 6298: the finest interval the timers can tell apart, seconds.
CLOCK_GRANULARITY = 0.001


@dataclass
class RttEstimator:
    """SRTT, RTTVAR and the RTO they give (see the module docstring)."""

    initial: float  # the RTO before any sample
    low: float  # min_timeout
    high: float  # max_timeout
    srtt: float | None = None
    rttvar: float | None = None
    rto: float = field(init=False)

    def __post_init__(self) -> None:
        self.rto = self.initial

    def sample(self, rtt: float) -> None:
        """Take one round-trip measurement ``rtt`` (seconds) and recompute the RTO."""
        if self.srtt is None or self.rttvar is None:
            self.srtt = rtt
            self.rttvar = rtt / 2
        else:
            self.rttvar = (1 - BETA) * self.rttvar + BETA * abs(self.srtt - rtt)
            self.srtt = (1 - ALPHA) * self.srtt + ALPHA * rtt
        rto = self.srtt + max(CLOCK_GRANULARITY, K * self.rttvar)
        self.rto = min(max(rto, self.low), self.high)

    def back_off(self) -> None:
        """The timer expired: double the RTO, up to ``high``; kept until a new sample."""
        self.rto = min(self.rto * 2, self.high)

    def keep_at_least(self, rto: float) -> None:
        """One of several timers backed off to ``rto``: later messages start there."""
        self.rto = min(max(self.rto, rto), self.high)

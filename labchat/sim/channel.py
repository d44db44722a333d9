"""The impairment model: what an unreliable network does to each datagram.

Every network in labchat (virtual-time, manual, the real UDP relay) asks one
``ImpairmentModel`` for a ``Decision`` per datagram: deliver it after some
delay, drop it, or duplicate it (two copies, each with its own delay), and
for each copy delivered, whether one of its bits is flipped on the way
(corruption: ``Decision.flips``, applied by ``corrupted``). The
decision comes from scripted rules first (an outage, "drop datagram number
k", "drop the next one"), otherwise from a seeded ``random.Random`` with
per-direction probabilities. Every decision is recorded, so a run can be
drawn afterwards or replayed exactly with ``ImpairmentModel.replay``.

How a datagram's fate is drawn (per direction, ``Impairment`` settings):

* While any impairment of either direction is non-zero, every datagram
  consumes exactly six random numbers (from the main generator; corruption
  has its own, below), whatever the settings and rules say: loss,
  duplicate, then (jitter, reorder) for each of up to two copies. So
  datagram number k always sees the same draws for one seed, and raising the
  loss rate only turns more datagrams into drops without reshuffling the fate
  of the others (the same scenario across a sweep).
* The zero case: while both directions are perfect (every impairment zero),
  chance decides nothing, so no number is drawn from either generator (a
  perfect link costs no random work). Draws then count from the first
  datagram sent while an impairment was on: a run that switches impairments
  on mid-way (the lab's sliders) sees the generators' sequences from that
  moment.
* dropped with probability ``loss``; otherwise duplicated with probability
  ``duplicate``;
* each delivered copy is delayed ``delay + uniform(0, jitter)`` seconds;
* with a ``rate`` (bytes per second), a datagram of ``size`` bytes takes
  ``size / rate`` seconds to leave, and it cannot start before the one
  sent before it in the same direction has left (it queues behind it): its
  delays count from when its last bit left, as in K&R 3.4.2 (L/R then the
  propagation delay). A lost datagram occupied the link too;
* each delivered copy is, with probability ``corrupt``, corrupted: one bit
  of one byte is flipped (byte ``floor(u * size)``, bit ``floor(v * 8)``).
  One flipped bit is the error the Internet checksum always detects
  (K&R 3.3.2); a checksum-less rung hands the changed text over as if fine.
  Its draws come from a second generator of their own, seeded from the same
  seed, six per datagram whatever the settings ((corrupt, byte, bit) for
  each of up to two copies): so adding corruption leaves every other fate of
  a seeded run exactly as it was, and raising ``corrupt`` only turns more
  copies into corrupted ones;
* each copy is, with probability ``reorder``, *held back* for an extra
  ``delay + jitter + REORDER_HOLD`` seconds. A held copy is therefore
  overtaken by every later datagram in the same direction that is sent less
  than ``delay + REORDER_HOLD`` seconds after it and is not held itself: that
  is what "reordered" means here. Jitter alone also reorders datagrams sent
  closer together than the jitter.

This module decides; it sends nothing, holds no sockets and reads no clock
(the caller passes ``now``). It takes no lock: a driver that shares a model
between threads (the UDP relay) guards every call with its own lock.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, get_args

from labchat import voice

Direction = Literal["A->B", "B->A"]
Action = Literal["deliver", "drop", "duplicate"]
#: ``(byte offset, bit mask)``: the one bit a corrupted copy has flipped.
Flip = tuple[int, int]

DIRECTIONS: tuple[Direction, ...] = get_args(Direction)

#: The least extra time a reordered copy is held back, so that reordering
#: happens even on a link with no delay at all.
REORDER_HOLD = 0.01


@dataclass(frozen=True)
class Impairment:
    """How one direction of the network misbehaves (probabilities and seconds)."""

    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    corrupt: float = 0.0  # per delivered copy: one bit flipped on the way
    delay: float = 0.0  # seconds, the base one-way delay
    jitter: float = 0.0  # seconds, an extra uniform(0, jitter) per copy
    rate: float | None = None  # bytes per second the link sends at; None: no time to leave

    def __post_init__(self) -> None:
        for name in ("loss", "duplicate", "reorder", "corrupt"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
                raise ValueError(voice.error("probability", name=name, value=voice.shown(value)))
        for name in ("delay", "jitter"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0.0):
                raise ValueError(voice.error("seconds", name=name, value=voice.shown(value)))
        rate = self.rate
        if rate is not None and not (isinstance(rate, int | float) and not isinstance(rate, bool)
                                     and math.isfinite(rate) and rate > 0.0):
            raise ValueError(voice.error("rate", value=voice.shown(rate)))


#: A link that does nothing to a datagram.
PERFECT = Impairment()


@dataclass(frozen=True)
class Decision:
    """What the network did to datagram ``number`` (from 1) sent ``direction`` at ``at``."""

    number: int
    direction: Direction
    at: float
    action: Action
    delays: tuple[float, ...]  # one per delivered copy, in seconds; empty when dropped
    cause: str  # "random", "drop next", "drop number 3", "outage", "manual", ...
    held: tuple[bool, ...] = ()  # per copy: held back to be overtaken (reordered)
    #: Per copy: the bit flipped on the way, or None (empty when nothing is).
    flips: tuple[Flip | None, ...] = ()

    def flip(self, copy: int) -> Flip | None:
        """The bit copy number ``copy`` (from 0) has flipped, or None."""
        return self.flips[copy] if copy < len(self.flips) else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for ``--jsonl`` logs)."""
        data = asdict(self)
        data["delays"] = list(self.delays)
        data["held"] = list(self.held)
        data["flips"] = [None if flip is None else list(flip) for flip in self.flips]
        return data


def corrupted(payload: bytes, flip: Flip | None) -> bytes:
    """``payload`` as it arrives with ``flip`` applied (unchanged for None)."""
    if flip is None or not payload:
        return payload
    offset, mask = flip
    changed = bytearray(payload)
    changed[offset % len(changed)] ^= mask
    return bytes(changed)


def check_direction(direction: str) -> Direction:
    if direction not in DIRECTIONS:
        raise ValueError(voice.error("direction", direction=voice.shown(direction)))
    return direction


class ImpairmentModel:
    """Seeded, scriptable, recorded decisions for both directions of a link."""

    def __init__(
        self,
        a_to_b: Impairment = Impairment(),
        b_to_a: Impairment | None = None,
        *,
        seed: int = 0,
        record: bool = True,
        keep: int | None = None,
    ) -> None:
        """``b_to_a=None`` means the same as ``a_to_b``; ``record=False`` keeps no
        ``decisions`` list (long simulations that only want counts); ``keep`` keeps
        only the newest decisions, between ``keep`` and twice as many (a relay that
        runs for hours), None all of them."""
        self._impairments: dict[Direction, Impairment] = {
            "A->B": a_to_b,
            "B->A": a_to_b if b_to_a is None else b_to_a,
        }
        self._perfect = self._all_perfect()
        self.seed = seed
        self.record = record
        self.keep = keep
        self.decisions: list[Decision] = []
        self._random = random.Random(seed)
        # Corruption draws on a stream of its own: see the module docstring.
        self._corrupt_random = random.Random(f"{seed}/corrupt")
        self._counts: dict[Direction, int] = dict.fromkeys(DIRECTIONS, 0)
        self._drop_next: dict[Direction, int] = dict.fromkeys(DIRECTIONS, 0)
        self._drop_numbers: dict[Direction, set[int]] = {d: set() for d in DIRECTIONS}
        self._outages: list[tuple[float, float, Direction | None]] = []
        self._replay: dict[tuple[Direction, int], Decision] = {}
        # When each direction's link has sent its last queued bit, and how long
        # it has been busy sending in all (for the sender's utilisation).
        self._free_at: dict[Direction, float] = dict.fromkeys(DIRECTIONS, -math.inf)
        self._busy: dict[Direction, float] = dict.fromkeys(DIRECTIONS, 0.0)

    # -- settings and scripted rules ---------------------------------------------------

    def impairment(self, direction: Direction) -> Impairment:
        return self._impairments[check_direction(direction)]

    def set_impairment(self, direction: Direction, impairment: Impairment) -> None:
        """Change one direction's settings from now on (the lab's sliders)."""
        check_direction(direction)
        if not isinstance(impairment, Impairment):
            raise TypeError(voice.error("not_an_impairment", value=voice.shown(impairment)))
        self._impairments[direction] = impairment
        self._perfect = self._all_perfect()

    def _all_perfect(self) -> bool:
        return all(impairment == PERFECT for impairment in self._impairments.values())

    def drop_next(self, direction: Direction) -> None:
        """Drop the next datagram sent ``direction`` (calling twice drops two)."""
        check_direction(direction)
        self._drop_next[direction] += 1

    def drop_number(self, direction: Direction, number: int) -> None:
        """Drop datagram number ``number`` (counted from 1) sent ``direction``."""
        check_direction(direction)
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ValueError(voice.error("count_from_one", value=voice.shown(number)))
        self._drop_numbers[direction].add(number)

    def outage(self, start: float, end: float, direction: Direction | None = None) -> None:
        """Drop everything sent in ``[start, end)``, one way or (None) both ways."""
        if direction is not None:
            check_direction(direction)
        if not (math.isfinite(start) and math.isfinite(end) and start <= end):
            raise ValueError(voice.error("outage", start=voice.shown(start), end=voice.shown(end)))
        self._outages.append((start, end, direction))

    def count(self, direction: Direction) -> int:
        """How many datagrams have been decided ``direction`` so far."""
        return self._counts[check_direction(direction)]

    def busy_time(self, direction: Direction) -> float:
        """Seconds the ``direction`` link spent sending bits so far (0 without a rate)."""
        return self._busy[check_direction(direction)]

    def recorded(self) -> list[Decision]:
        """A copy of ``decisions``."""
        return list(self.decisions)

    # -- deciding --------------------------------------------------------------------

    def decide(self, direction: Direction, now: float, size: int = 0) -> Decision:
        """The fate of the next datagram (``size`` bytes) sent ``direction`` at ``now``; recorded.

        With a link rate, every delay includes the time the datagram waits
        behind earlier ones and its own ``size / rate`` to leave. ``size`` is
        also where a flipped bit may land (an empty datagram is never corrupted).
        """
        check_direction(direction)
        self._counts[direction] += 1
        number = self._counts[direction]
        # Six draws per datagram from each generator while anything is
        # impaired, so datagram k's draws never depend on the settings' values
        # or the rules; none on a perfect link, where they would decide
        # nothing (module docstring).
        if self._perfect:
            u_loss = u_dup = j1 = r1 = j2 = r2 = 1.0  # above every probability, no jitter
            c1 = b1 = f1 = c2 = b2 = f2 = 1.0  # above every chance of corruption
        else:
            draw = self._random.random
            u_loss, u_dup, j1, r1, j2, r2 = draw(), draw(), draw(), draw(), draw(), draw()
            bad = self._corrupt_random.random
            c1, b1, f1, c2, b2, f2 = bad(), bad(), bad(), bad(), bad(), bad()
        replayed = self._replay.get((direction, number))
        if replayed is not None:
            decision = Decision(number, direction, now, replayed.action, replayed.delays,
                                replayed.cause, replayed.held, replayed.flips)
        else:
            decision = self._decide(direction, number, now, u_loss, u_dup,
                                    ((j1, r1), (j2, r2)))
            leaving = self._leave(direction, now, size)
            if leaving:
                decision = replace(decision, delays=tuple(leaving + d for d in decision.delays))
            decision = self._corrupt(decision, size, ((c1, b1, f1), (c2, b2, f2)))
        if self.record:
            self.decisions.append(decision)
            if self.keep is not None and len(self.decisions) >= 2 * self.keep:
                del self.decisions[:-self.keep]  # amortised: once per ``keep`` decisions
        return decision

    def _decide(
        self,
        direction: Direction,
        number: int,
        now: float,
        u_loss: float,
        u_dup: float,
        copies: tuple[tuple[float, float], tuple[float, float]],
    ) -> Decision:
        cause = self._scripted_drop(direction, number, now)
        if cause is not None:
            return Decision(number, direction, now, "drop", (), cause, ())
        settings = self._impairments[direction]
        if u_loss < settings.loss:
            return Decision(number, direction, now, "drop", (), "random", ())
        action: Action = "duplicate" if u_dup < settings.duplicate else "deliver"
        delays: list[float] = []
        held: list[bool] = []
        for u_jitter, u_reorder in copies[: 2 if action == "duplicate" else 1]:
            delay = settings.delay + u_jitter * settings.jitter
            is_held = u_reorder < settings.reorder
            if is_held:
                delay += settings.delay + settings.jitter + REORDER_HOLD
            delays.append(delay)
            held.append(is_held)
        return Decision(number, direction, now, action, tuple(delays), "random", tuple(held))

    def _leave(self, direction: Direction, now: float, size: int) -> float:
        """Seconds from ``now`` until the last bit of ``size`` bytes has left (0: no rate)."""
        rate = self._impairments[direction].rate
        if rate is None:
            return 0.0
        sending = size / rate
        done = max(now, self._free_at[direction]) + sending
        self._free_at[direction] = done
        self._busy[direction] += sending
        return done - now

    def _corrupt(self, decision: Decision, size: int,
                 draws: tuple[tuple[float, float, float], ...]) -> Decision:
        chance = self._impairments[decision.direction].corrupt
        if not decision.delays or size <= 0 or chance <= 0.0:
            return decision
        flips = tuple((int(u_byte * size), 1 << int(u_bit * 8)) if u_corrupt < chance else None
                      for (u_corrupt, u_byte, u_bit), _ in zip(draws, decision.delays,
                                                               strict=False))
        if all(flip is None for flip in flips):
            return decision
        return replace(decision, flips=flips)

    def _scripted_drop(self, direction: Direction, number: int, now: float) -> str | None:
        # Rules before chance: an outage, then a numbered drop, then "drop next".
        for start, end, only in self._outages:
            if start <= now < end and only in (None, direction):
                return "outage"
        if number in self._drop_numbers[direction]:
            self._drop_numbers[direction].discard(number)
            return f"drop number {number}"
        if self._drop_next[direction]:
            self._drop_next[direction] -= 1
            return "drop next"
        return None

    # -- replay ----------------------------------------------------------------------

    @classmethod
    def replay(
        cls,
        decisions: Iterable[Decision],
        *,
        after: Impairment = Impairment(),
        seed: int = 0,
    ) -> ImpairmentModel:
        """A model that makes exactly the recorded ``decisions`` again.

        Decisions are matched by direction and datagram number, so the same
        engines on the same network get the same run. Datagrams beyond the
        recording (a run that went further) are decided by ``after`` (by
        default a perfect link, no delay) with ``seed``.
        """
        model = cls(after, seed=seed)
        for decision in decisions:
            model._replay[(decision.direction, decision.number)] = decision
        return model

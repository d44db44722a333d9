"""Exercises with feedback: a student writes one rule, a check runs it on scenarios.

Each check takes the student's function, calls it on every scenario and
returns ``Feedback``: "all N scenarios pass", or which scenario failed, with
its arguments, what was expected and what came back (or what was raised).

The scenarios are *harvested from the real engines*: the check runs the
rung's engines on a manual network under a seeded schedule of drops,
duplicates and timeouts, and records what the real receiver (or sender) did
at each step. So the rule the student must match is stated once, in the
engine; this module only observes it and compares. It owns the scenarios,
the comparison and the wording of the feedback; it draws nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from labchat import voice
from labchat.events import (
    AckReceived,
    DatagramReceived,
    DatagramSent,
    Event,
    GapSkipped,
    MessageDelivered,
    TimerExpired,
)
from labchat.protocols import create_engine
from labchat.protocols.arq import DEFAULT_SEQ_BITS, decode, strip_checksum
from labchat.sim.network import ManualNetwork
from labchat.trace import SIDES, WireRecord

#: How many failing scenarios the feedback spells out before summarising.
SHOWN_FAILURES = 3


@dataclass(frozen=True)
class Scenario:
    """One call of the student's function and the answer the engine gave."""

    story: str  # what happened before, in words, e.g. "#1 was dropped"
    args: dict[str, Any]
    expected: Any


@dataclass(frozen=True)
class Failure:
    number: int  # 1-based position in the scenario list
    scenario: Scenario
    got: Any = None
    raised: str = ""  # "ValueError: ..." when the student's function raised


@dataclass(frozen=True)
class Feedback:
    """The result of a check; ``str(feedback)`` is what the student reads."""

    exercise: str
    function: str
    total: int
    failures: list[Failure] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        if self.passed:
            return voice.feedback_all_pass(self.exercise, self.total)
        lines = [voice.feedback_fail(self.exercise, len(self.failures), self.total)]
        for failure in self.failures[:SHOWN_FAILURES]:
            call = f"{self.function}({_arguments(failure.scenario.args)})"
            lines.append(voice.feedback_scenario(failure.number, failure.scenario.story))
            if failure.raised:
                lines.append(voice.feedback_raised(call, failure.raised))
                lines.append(voice.feedback_expected(failure.scenario.expected, answered=False))
            else:
                lines.append(f"    {call}")
                lines.append(voice.feedback_expected(failure.scenario.expected, failure.got,
                                                     answered=True))
        hidden = len(self.failures) - SHOWN_FAILURES
        if hidden > 0:
            lines.append(voice.feedback_more(hidden))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # IPython shows the readable text, not a dataclass dump.
        printer.text(str(self))


def run_check(exercise: str, function_name: str, student: Callable[..., Any],
              scenarios: Sequence[Scenario],
              normalise: Callable[[Any], Any] = lambda value: value) -> Feedback:
    """Call ``student(**args)`` for every scenario and compare with ``expected``.

    ``normalise`` turns an answer into a comparable form (a list into a tuple,
    say) so harmless differences of type do not fail a correct rule.
    """
    if not callable(student):
        raise TypeError(voice.feedback_not_a_function(type(student).__name__))
    failures = []
    for number, scenario in enumerate(scenarios, start=1):
        try:
            got = normalise(student(**scenario.args))
        except Exception as error:  # the student's bug is the feedback, not a crash
            failures.append(Failure(number, scenario,
                                    raised=f"{type(error).__name__}: {error}"))
            continue
        if got != scenario.expected:
            failures.append(Failure(number, scenario, got=got))
    return Feedback(exercise, function_name, len(scenarios), failures)


def _arguments(args: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in args.items())


def _unique(scenarios: list[Scenario]) -> list[Scenario]:
    """One scenario per distinct call: the first story that led to it."""
    seen: set[tuple[tuple[str, str], ...]] = set()
    unique = []
    for scenario in scenarios:
        key = tuple((k, repr(v)) for k, v in scenario.args.items())
        if key not in seen:
            seen.add(key)
            unique.append(scenario)
    return unique


# -- harvesting: run the real engines, write down what they did ---------------------

#: Seeds of the random step-through runs the receive and ACK scenarios come from.
HARVEST_SEEDS = tuple(range(12))
#: Messages A offers in each harvest run (twice Go-Back-N's default window).
HARVEST_MESSAGES = 8
#: Bounds every harvest run (it ends far sooner; a bug must not hang a check).
HARVEST_STEPS = 400


@dataclass(frozen=True)
class Arrival:
    """One datagram handed to an engine during a harvest run, and its effect."""

    seed: int
    record: WireRecord  # the datagram as it was sent
    before: dict[str, object]  # the receiving engine's snapshot just before
    after: dict[str, object]  # ... and just after
    events: list[Event]  # what the receiving engine emitted
    replies: list[WireRecord]  # what it sent in the same step


def harvest(protocol: str, seed: int, *, messages: int = HARVEST_MESSAGES,
            settings: dict[str, Any] | None = None) -> list[Arrival]:
    """Run ``protocol`` from A to B on a manual network with seeded random fates.

    Each step picks a datagram in flight and delivers (70%), drops (20%) or
    duplicates it (10%); with nothing in flight, the clock moves to the next
    timer. Every delivery is recorded with the receiver's state around it.
    """
    chooser = random.Random(seed)
    engines = {side: create_engine(protocol, **(settings or {})) for side in SIDES}
    # transit=0: time moves only when the run advances to a timer, so no timer
    # fires between the "before" snapshot and the arrival it belongs to.
    network = ManualNetwork(engines["A"], engines["B"], transit=0.0)
    for number in range(messages):
        network.send("A", f"m{number}")
    arrivals: list[Arrival] = []
    for _ in range(HARVEST_STEPS):
        flying = network.in_flight()
        if not flying:
            if not network.advance_to_next_timer():
                break
            continue
        record = chooser.choice(flying)
        fate = chooser.choices(("deliver", "drop", "duplicate"), (7, 2, 1))[0]
        if fate == "drop":
            network.drop(record.id)
            continue
        receiver = engines[record.destination]
        seen_events = len(network.events[record.destination])
        seen_wire = len(network.wire)
        before = dict(receiver.snapshot())
        if fate == "duplicate":
            network.duplicate(record.id)
        else:
            network.deliver(record.id)
        arrivals.append(Arrival(
            seed, network.wire[record.id], before, dict(receiver.snapshot()),
            [e for e in network.events[record.destination][seen_events:]
             if not isinstance(e, DatagramReceived | DatagramSent)],
            [r for r in network.wire[seen_wire:]
             if r.source == record.destination and r.copy_of is None],
        ))
    return arrivals


def _ack_number(record: WireRecord) -> int | None:
    # Harvest runs use Go-Back-N's default space, wider than any run: wire
    # numbers are absolute.
    return decode(strip_checksum(record.payload), 1 << DEFAULT_SEQ_BITS).ack


def _harvest_all(protocol: str) -> list[Arrival]:
    arrivals = [a for seed in HARVEST_SEEDS for a in harvest(protocol, seed)]
    # A give-up and its skip mark are another lesson: leave them out here.
    return [a for a in arrivals if not any(isinstance(e, GapSkipped) for e in a.events)]


def _story(arrival: Arrival) -> str:
    return voice.story_arrives(arrival.seed, arrival.record.label,
                               copy=arrival.record.copy_of is not None)


# -- exercise 1: the Go-Back-N receiver ----------------------------------------------


def gbn_receiver_scenarios() -> list[Scenario]:
    """What the real Go-Back-N receiver did with every message it was handed."""
    scenarios = []
    for arrival in _harvest_all("go-back-n"):
        if arrival.record.source != "A":
            continue
        action = ("deliver" if any(isinstance(e, MessageDelivered) for e in arrival.events)
                  else "discard")
        acks = [_ack_number(r) for r in arrival.replies]
        scenarios.append(Scenario(
            story=_story(arrival),
            args={"expected": arrival.before["expected seq"], "seq": arrival.record.seq},
            expected=(action, acks[0] if acks else None),
        ))
    return _unique(scenarios)


def check_gbn_receiver(student: Callable[[int, int], Any]) -> Feedback:
    """Check ``student(expected, seq) -> (action, ack)`` against Go-Back-N's receiver.

    ``expected`` is the number of the message the receiver waits for (messages
    count from 0); ``seq`` is the number of the message that arrives. Return
    ``"deliver"`` or ``"discard"``, and the number the receiver acknowledges
    after this arrival, or None when it sends no ACK.
    """
    return run_check(voice.exercise_name("gbn_receiver"), "receive", student,
                     gbn_receiver_scenarios(), _as_tuple)


# -- exercise 2: the Go-Back-N sender and a cumulative ACK ---------------------------


def gbn_sender_scenarios() -> list[Scenario]:
    """What the real Go-Back-N sender made of every ACK it was handed."""
    scenarios = []
    for arrival in _harvest_all("go-back-n"):
        if arrival.record.source != "B":
            continue
        acked = [e.acked for e in arrival.events if isinstance(e, AckReceived)]
        scenarios.append(Scenario(
            story=_story(arrival),
            args={"base": arrival.before["send base"], "next_seq": arrival.before["next seq"],
                  "ack": _ack_number(arrival.record)},
            expected=acked[0] if acked else (),
        ))
    return _unique(scenarios)


def check_gbn_sender(student: Callable[[int, int, int], Any]) -> Feedback:
    """Check ``student(base, next_seq, ack) -> tuple of message numbers``.

    The sender has sent messages ``base .. next_seq - 1`` and has no ACK for
    any of them; ``ack`` arrives (Go-Back-N's cumulative ACK: the peer has every
    message up to and including ``ack``). Return the numbers this ACK newly
    acknowledges, oldest first, or ``()`` if none.
    """
    return run_check(voice.exercise_name("gbn_sender"), "on_ack", student,
                     gbn_sender_scenarios(), _as_set)


# -- exercise 3: the retransmission timeout and its backoff --------------------------

#: (timeout, max_timeout, max_retries) of the stop-and-wait senders the check runs.
BACKOFF_SETTINGS = ((0.2, 3.2, 8), (0.5, 2.0, 4), (1.0, 1.0, 2), (0.3, 1.0, 3),
                    (0.25, 4.0, 0), (0.1, 0.8, 5))


def backoff_scenarios() -> list[Scenario]:
    """The timeouts a real stop-and-wait sender waited, its datagrams all lost."""
    scenarios = []
    for timeout, max_timeout, max_retries in BACKOFF_SETTINGS:
        engines = [create_engine("stop-and-wait", timeout=timeout, max_timeout=max_timeout,
                                 max_retries=max_retries) for _ in range(2)]
        network = ManualNetwork(engines[0], engines[1])
        network.send("A", voice.unanswered_message())
        for _ in range(HARVEST_STEPS):  # every datagram is lost: only timers move
            for record in network.in_flight():
                network.drop(record.id)
            if not network.advance_to_next_timer():
                break
        waited = [_rounded(e.timeout) for e in network.events["A"] if isinstance(e, TimerExpired)]
        scenarios.append(Scenario(
            story=voice.story_all_lost(),
            args={"timeout": timeout, "max_timeout": max_timeout, "max_retries": max_retries},
            expected=waited,
        ))
    return scenarios


def check_backoff(student: Callable[[float, float, int], Any]) -> Feedback:
    """Check ``student(timeout, max_timeout, max_retries) -> list of timeouts``.

    A message is sent and no ACK ever comes. Return every timeout the sender
    waits, in order, until it gives up: it starts at ``timeout``, doubles after
    every expiry but never exceeds ``max_timeout``, and after ``max_retries``
    retransmissions the next expiry gives the message up.
    """
    return run_check(voice.exercise_name("backoff"), "timeouts", student, backoff_scenarios(),
                     _as_timeouts)


def _rounded(value: float) -> float:
    # Doubling is exact in binary, but a student may multiply by 2**k: compare
    # to the microsecond so that both forms agree.
    return round(float(value), 6)


def _as_tuple(value: Any) -> Any:
    """Any iterable (a list, a range, a generator) as a tuple: order kept, type forgotten."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        return value
    return tuple(value)


def _as_set(value: Any) -> Any:
    """Any iterable of numbers, in any order, as the sorted tuple the engine reports:
    which messages an ACK acknowledges is the answer, not the order they are listed in."""
    numbers = _as_tuple(value)
    if not isinstance(numbers, tuple):
        return numbers
    try:
        return tuple(sorted(numbers))
    except TypeError:  # not comparable: leave it for the diff to show
        return numbers


def _as_timeouts(value: Any) -> Any:
    """Any iterable of numbers as a list of rounded floats (the order is the point)."""
    values = _as_tuple(value)
    if not isinstance(values, tuple):
        return value
    try:
        return [_rounded(x) for x in values]
    except (TypeError, ValueError):
        return list(values)

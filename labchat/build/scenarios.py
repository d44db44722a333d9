"""Scenarios a check runs an engine through, and the record of one run.

A ``Scenario`` is a network and a workload: how many messages each user
offers, the impairments each way (loss, duplication, reordering, delay), a
seed, and scripted mishaps (drop datagram number k, corrupt it, an outage).
``run_scenario`` joins two engines (a student's, or a reference rung, on each
side) on a virtual network and records, as each datagram leaves, what its
sender had delivered and received so far: the facts the judge needs, written
down where they happen.

A corrupted datagram has its first byte replaced by one that is never valid
UTF-8, so every engine rejects it, as a checksum would; the record keeps the
bytes its sender really sent. Suites (``suite``) are harvested from the
reference rungs: random networks are tried in a fixed order and a scenario is
kept when the reference run shows what it is meant to show (a wrap-around of
the sequence numbers, a duplicate, a reordering, a lost or corrupted ACK, a
give-up) and the reference passes it.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from typing import Any

from labchat import voice
from labchat.errors import RemoteProtocolError
from labchat.events import GaveUp
from labchat.protocols import ProtocolLike, create_engine
from labchat.protocols.arq import AckDatagram, DataDatagram, Datagram, decode
from labchat.protocols.base import Engine, Outgoing
from labchat.sim.channel import Direction, Impairment, ImpairmentModel
from labchat.sim.network import NetworkBusy, VirtualNetwork, direction_from
from labchat.trace import SIDES, Side

#: Bounds every run: an engine that never goes quiet is reported, never waited for.
MAX_STEPS = 3_000
#: The one-way delay of every scenario's network, unless it says otherwise.
DELAY = 0.05


@dataclass(frozen=True)
class Scenario:
    """A workload on a network; ``name`` tells a student what happens in it."""

    name: str
    messages: int
    forward: Impairment = field(default_factory=lambda: Impairment(delay=DELAY))  # A -> B
    backward: Impairment | None = None  # B -> A; None: the same as forward
    seed: int = 0
    drops: tuple[tuple[Direction, int], ...] = ()  # (direction, datagram number from 1)
    corrupt: tuple[tuple[Direction, int], ...] = ()
    corrupt_acks: float = 0.0  # probability each ACK going B -> A is corrupted
    outage: tuple[float, float] | None = None  # both ways, [start, end)
    interval: float = 0.0  # seconds between one user's messages
    both_ways: bool = False

    def senders(self) -> tuple[Side, ...]:
        return SIDES if self.both_ways else ("A",)

    def offered(self, side: Side) -> list[str]:
        """The texts ``side``'s user offers, each unique: "A0", "A1", ..."""
        return [f"{side}{i}" for i in range(self.messages)] if side in self.senders() else []


@dataclass(frozen=True)
class Sent:
    """One datagram as it left its sender, with the sender's situation at that moment."""

    record: int  # its id in the network's wire records
    side: Side
    at: float
    datagram: Datagram | None  # None: its sender's bytes do not parse
    delivered: int  # how many messages the sender had handed to its user by then
    arrived: frozenset[str]  # texts of the peer's messages that had reached it by then


@dataclass
class Run:
    """Everything one scenario run left behind, for the judge and the chart."""

    scenario: Scenario
    settings: Mapping[str, Any]
    engines: dict[Side, Engine]
    network: RecordingNetwork
    sent: list[Sent] = field(default_factory=list)
    busy: bool = False  # still going after MAX_STEPS
    error: str = ""  # "NotImplementedError: ..." or a crash, in one line
    exception: Exception | None = None  # the exception itself, when there was one
    error_side: Side | None = None
    error_hook: str = ""  # the hook that raised, e.g. "on_ack"
    error_line: int | None = None  # the line of the student's code that raised

    @property
    def size(self) -> int:
        """How many datagrams crossed the wire: what "shortest" means."""
        return len(self.network.wire)


class RecordingNetwork(VirtualNetwork):
    """A virtual network that corrupts datagrams on demand and records ``Sent`` facts."""

    def __init__(self, a: Engine, b: Engine, model: ImpairmentModel, scenario: Scenario,
                 modulus: int) -> None:
        super().__init__(a, b, model)
        self.scenario = scenario
        self.modulus = modulus
        self.sent: list[Sent] = []
        self.arrived: dict[Side, set[str]] = {side: set() for side in SIDES}
        self.delivered: dict[Side, int] = dict.fromkeys(SIDES, 0)
        self._counts: dict[Direction, int] = {"A->B": 0, "B->A": 0}
        self._acks_corrupted = 0

    def _log(self, side: Side, event: Any) -> None:
        if event.name == "delivered":
            self.delivered[side] += 1
        super()._log(side, event)

    def _transmit(self, side: Side, datagram: Outgoing, state: dict[str, object] | None) -> int:
        direction = direction_from(side)
        self._counts[direction] += 1
        parsed = _parse(datagram.payload, self.modulus)
        self.sent.append(Sent(len(self.wire), side, self.now, parsed, self.delivered[side],
                              frozenset(self.arrived[side])))
        if self._corrupts(direction, parsed):
            datagram = Outgoing(b"\xff" + datagram.payload[1:], "garbage", datagram.seq,
                                f"corrupted {datagram.label}")
        return super()._transmit(side, datagram, state)

    def _corrupts(self, direction: Direction, parsed: Datagram | None) -> bool:
        if (direction, self._counts[direction]) in self.scenario.corrupt:
            return True
        if direction != "B->A" or not isinstance(parsed, AckDatagram):
            return False
        if not self.scenario.corrupt_acks:
            return False
        # Evenly spread (every 4th ACK at 0.25): deterministic, and independent of
        # the model's random draws, so the other fates stay what the seed says.
        self._acks_corrupted += 1
        return (self._acks_corrupted * self.scenario.corrupt_acks) % 1.0 < \
            self.scenario.corrupt_acks

    def _hand_over(self, side: Side, payload: bytes, record_id: int | None = None) -> None:
        parsed = _parse(payload, self.modulus)
        if isinstance(parsed, DataDatagram):
            self.arrived[side].add(parsed.text)
        super()._hand_over(side, payload, record_id)


def _parse(payload: bytes, modulus: int) -> Datagram | None:
    try:
        return decode(payload, modulus)
    except RemoteProtocolError:
        return None


def run_scenario(scenario: Scenario, engines: Mapping[Side, ProtocolLike],
                 settings: Mapping[str, Any]) -> Run:
    """Run ``scenario`` with the engine named for each side, built with ``settings``.

    An exception from an engine (a student's bug, or a hook not written yet)
    ends the run and is recorded in ``error``; it is never raised from here.
    """
    model = ImpairmentModel(scenario.forward, scenario.backward, seed=scenario.seed)
    for direction, number in scenario.drops:
        model.drop_number(direction, number)
    if scenario.outage is not None:
        model.outage(*scenario.outage)
    built: dict[Side, Engine] = {}
    placeholder = create_engine("stop-and-wait")
    modulus = 1 << int(settings.get("seq_bits", 16))
    try:
        for side in SIDES:
            built[side] = create_engine(engines[side], **settings)
    except Exception as error:  # a student's setup() that raises
        network = RecordingNetwork(built.get("A", placeholder), built.get("B", placeholder),
                                    model, scenario, modulus)
        run = Run(scenario, settings, built, network)
        _note_error(run, error, built)
        return run
    network = RecordingNetwork(built["A"], built["B"], model, scenario, modulus)
    run = Run(scenario, settings, built, network, sent=network.sent)
    for i in range(scenario.messages):
        for side in scenario.senders():
            network.schedule_send(side, f"{side}{i}", i * scenario.interval)
    try:
        network.run(max_steps=MAX_STEPS)
    except NetworkBusy:
        run.busy = True
    except Exception as error:
        _note_error(run, error, built)
    return run


def _note_error(run: Run, error: Exception, engines: Mapping[Side, Engine]) -> None:
    run.error = f"{type(error).__name__}: {error}".strip().rstrip(":")
    run.exception = error
    # The innermost frame that ran a method of one of the engines names the
    # side and the hook; the innermost frame outside labchat is the student's line.
    frames = traceback.extract_tb(error.__traceback__)
    tb = error.__traceback__
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        name = tb.tb_frame.f_code.co_name
        if isinstance(owner, Engine) and name.startswith(("on_", "setup")):
            run.error_hook = name  # setup() may raise before its engine has a side
            run.error_side = next((side for side, engine in engines.items()
                                   if engine is owner), None)
        tb = tb.tb_next
    package = sys.modules["labchat"].__file__ or ""
    package_dir = package.rsplit("/", 1)[0]
    for frame in reversed(frames):
        if not frame.filename.startswith(package_dir):
            run.error_line = frame.lineno
            break


def gave_up(run: Run) -> bool:
    return any(isinstance(e, GaveUp) for side in SIDES for e in run.network.events[side])


# -- harvesting suites from the reference rungs -------------------------------------

#: What a harvested scenario must show in the reference run to be kept.
Shows = Callable[[Run], bool]


@dataclass(frozen=True)
class Harvest:
    """Random networks tried in order; the first ``keep`` whose reference run ``shows``."""

    name: str  # "sequence numbers wrap around; 20% loss"
    impairment: Impairment
    messages: int
    shows: str  # a key of SHOWS
    keep: int = 2
    corrupt_acks: float = 0.0
    both_ways: bool = False
    interval: float = 0.0


def _wrapped(run: Run) -> bool:
    modulus = 1 << int(run.settings.get("seq_bits", 16))
    return run.network.delivered["B"] > modulus


def _duplicated(run: Run) -> bool:
    return any(r.copy_of is not None and r.fate == "delivered" for r in run.network.wire)


def _reordered(run: Run) -> bool:
    arrivals = sorted((r for r in run.network.wire if r.fate == "delivered" and r.source == "A"),
                      key=lambda r: r.arrived_at or 0.0)
    sent_at = [r.sent_at for r in arrivals]
    return any(later < earlier for earlier, later in pairwise(sent_at))


def _ack_lost(run: Run) -> bool:
    return any(r.source == "B" and r.kind == "ack" and r.fate == "dropped"
               for r in run.network.wire)


def _ack_corrupted(run: Run) -> bool:
    return any(r.source == "B" and r.kind == "garbage" for r in run.network.wire)


SHOWS: dict[str, Shows] = {
    "wrap": _wrapped,
    "duplicate": _duplicated,
    "reorder": _reordered,
    "ack lost": _ack_lost,
    "ack corrupted": _ack_corrupted,
    "any": lambda run: True,
}

#: Seeds tried per harvest, in order; a harvest that finds fewer keeps fewer.
HARVEST_SEEDS = range(40)


def harvest(plan: Harvest, reference: str, settings: Mapping[str, Any],
            passes: Callable[[Run], bool]) -> list[Scenario]:
    """The first ``plan.keep`` seeded scenarios the reference run shows and passes."""
    kept: list[Scenario] = []
    for seed in HARVEST_SEEDS:
        scenario = Scenario(
            name=voice.scenario_seeded(plan.name, seed), messages=plan.messages,
            forward=plan.impairment, seed=seed, corrupt_acks=plan.corrupt_acks,
            both_ways=plan.both_ways, interval=plan.interval)
        run = run_scenario(scenario, {"A": reference, "B": reference}, settings)
        if SHOWS[plan.shows](run) and passes(run):
            kept.append(scenario)
            if len(kept) == plan.keep:
                break
    return kept


@lru_cache(maxsize=32)
def cached_harvest(plan: Harvest, reference: str, settings: tuple[tuple[str, Any], ...],
                   passes: Callable[[Run], bool]) -> tuple[Scenario, ...]:
    return tuple(harvest(plan, reference, dict(settings), passes))

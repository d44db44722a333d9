"""The build-your-own exercises, progressive, and the check that grades one of them.

1. ``StopAndWait``: rdt 3.0, sender and receiver (K&R 3.4.1);
2. ``GoBackNSender``: the sender half of Go-Back-N (K&R 3.4.3);
3. ``GoBackNReceiver``: its receiver half;
4. ``SelectiveRepeatReceiver``: the receiver half of Selective Repeat (K&R 3.4.4);
5. ``SelectiveRepeat``: both halves, and a window that fits the sequence space.

Where the student writes one half, the check pairs it with labchat's reference
rung on the other side: the student's engine must speak to the real thing.
Each exercise's suite is a few short scripted scenarios (one message lost,
one ACK lost, one ACK corrupted, the peer silent), then scenarios harvested
from the reference rung (sequence numbers that wrap around a small space,
duplicates, reordering, lost and corrupted ACKs), then a long run. ``check``
runs them all and returns a ``Report``: how many pass, and for each failure
class the shortest scenario that shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from labchat import voice
from labchat.build import feedback
from labchat.build.judge import Failure, Finding, judge
from labchat.build.scenarios import (
    Harvest,
    Run,
    Scenario,
    cached_harvest,
    gave_up,
    run_scenario,
)
from labchat.protocols import ProtocolLike, create_engine, resolve_protocol
from labchat.sim.channel import Impairment
from labchat.trace import Side

REFERENCE = "reference"
STUDENT = "student"
Pairing = tuple[str, str]  # who plays A and B: REFERENCE or STUDENT


@dataclass(frozen=True)
class Exercise:
    """One exercise: the class a student writes, and how the check runs it."""

    number: int
    key: str  # "stop_and_wait"
    class_name: str  # the class a submission defines
    reference: str  # the rung the student's engine is checked against
    settings: tuple[tuple[str, Any], ...]
    pairings: tuple[Pairing, ...]
    cumulative: bool  # ACKs up to and including (else one message each)
    sender: bool  # the student writes a sender: give-up scenarios apply
    hooks: tuple[str, ...]  # the hooks the student fills in
    probe_window: bool = False  # the engine must refuse a window over half the space

    @property
    def title(self) -> str:
        return voice.exercise_title(self.key)

    @property
    def setting(self) -> dict[str, Any]:
        return dict(self.settings)


# The students' engines carry no checksum, so the reference they talk to neither.
_ARQ = (("timeout", 0.2), ("max_retries", 4), ("checksum", False))

EXERCISES: tuple[Exercise, ...] = (
    Exercise(1, "stop_and_wait", "StopAndWait",
             "stop-and-wait", (*_ARQ, ("seq_bits", 1)),
             ((STUDENT, REFERENCE), (REFERENCE, STUDENT)), cumulative=True, sender=True,
             hooks=("setup", "on_message", "on_ack", "on_timeout", "on_data")),
    Exercise(2, "gbn_sender", "GoBackNSender", "go-back-n",
             (*_ARQ, ("seq_bits", 3), ("window", 3)), ((STUDENT, REFERENCE),),
             cumulative=True, sender=True, hooks=("setup", "on_message", "on_ack", "on_timeout")),
    Exercise(3, "gbn_receiver", "GoBackNReceiver", "go-back-n",
             (*_ARQ, ("seq_bits", 3), ("window", 3)), ((REFERENCE, STUDENT),),
             cumulative=True, sender=False, hooks=("setup", "on_data")),
    Exercise(4, "sr_receiver", "SelectiveRepeatReceiver",
             "selective-repeat", (*_ARQ, ("seq_bits", 3), ("window", 4)),
             ((REFERENCE, STUDENT),), cumulative=False, sender=False, hooks=("setup", "on_data")),
    Exercise(5, "selective_repeat", "SelectiveRepeat",
             "selective-repeat", (*_ARQ, ("seq_bits", 3), ("window", 4)),
             ((STUDENT, REFERENCE), (REFERENCE, STUDENT)), cumulative=False, sender=True,
             hooks=("setup", "on_message", "on_ack", "on_timeout", "on_data"),
             probe_window=True),
)

BY_KEY: dict[str, Exercise] = {exercise.key: exercise for exercise in EXERCISES}


def exercise(key: str | Exercise) -> Exercise:
    if isinstance(key, Exercise):
        return key
    try:
        return BY_KEY[key]
    except KeyError:
        raise ValueError(voice.error("no_exercise", key=voice.shown(key),
                                     known=voice.join_list(BY_KEY))) from None


# -- the suites ------------------------------------------------------------------------


def _scripted(ex: Exercise) -> list[Scenario]:
    modulus = 1 << ex.setting["seq_bits"]
    scenarios = [
        Scenario(voice.scenario_name("one"), 1),
        Scenario(voice.scenario_name("first_lost"), 2, drops=(("A->B", 1),)),
        Scenario(voice.scenario_name("first_ack_lost"), 2, drops=(("B->A", 1),)),
        Scenario(voice.scenario_name("first_ack_corrupted"), 2, corrupt=(("B->A", 1),)),
        Scenario(voice.scenario_name("second_lost"), 3, drops=(("A->B", 2),)),
        Scenario(voice.scenario_name("wrap_twice", messages=2 * modulus + 1), 2 * modulus + 1),
    ]
    if ex.sender:
        scenarios.append(Scenario(voice.scenario_name("silent"), 1, outage=(0.0, 1000.0)))
    return scenarios


def _harvests(ex: Exercise) -> list[Harvest]:
    modulus = 1 << ex.setting["seq_bits"]
    # The alternating bit assumes a network that does not reorder (K&R 3.4.1).
    jitter = 0.0 if ex.reference == "stop-and-wait" else 0.03
    plans = [
        Harvest(voice.scenario_name("ack_lost"), Impairment(loss=0.2, delay=0.05), 6,
                "ack lost"),
        Harvest(voice.scenario_name("duplicates"),
                Impairment(duplicate=0.3, delay=0.05, jitter=jitter), 6, "duplicate"),
        Harvest(voice.scenario_name("acks_corrupted"), Impairment(delay=0.05), 6,
                "ack corrupted", corrupt_acks=0.25),
        Harvest(voice.scenario_name("wrap", messages=2 * modulus + 2),
                Impairment(loss=0.15, delay=0.05, jitter=jitter), 2 * modulus + 2, "wrap"),
        Harvest(voice.scenario_name("long"),
                Impairment(loss=0.1, duplicate=0.1, delay=0.05, jitter=jitter), 40, "any",
                keep=1),
    ]
    if jitter:
        plans.insert(2, Harvest(voice.scenario_name("reordered"),
                                Impairment(reorder=0.3, delay=0.05, jitter=jitter), 6,
                                "reorder"))
    return plans


def _passes_cumulative(run: Run) -> bool:
    return not judge(run, cumulative=True) and not gave_up(run)


def _passes_individual(run: Run) -> bool:
    return not judge(run, cumulative=False) and not gave_up(run)


def _reference_passes(ex: Exercise) -> Any:
    """The harvest filter: the reference passes and gives nothing up (giving up,
    and the reference's skip mark after it, have their own scripted scenario)."""
    return _passes_cumulative if ex.cumulative else _passes_individual


@lru_cache(maxsize=16)
def suite(key: str) -> tuple[Scenario, ...]:
    """Every scenario of an exercise, short ones first, the long run last."""
    ex = exercise(key)
    scenarios = _scripted(ex)
    for plan in _harvests(ex):
        scenarios += cached_harvest(plan, ex.reference, ex.settings, _reference_passes(ex))
    return tuple(scenarios)


# -- checking --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One scenario with one pairing, and what the judge found."""

    scenario: Scenario
    pairing: Pairing
    run: Run
    findings: list[Finding]

    @property
    def passed(self) -> bool:
        return not self.findings

    def describe(self) -> str:
        return voice.scenario_with_roles(self.scenario.name,
                                         list(zip("AB", self.pairing, strict=True)))


@dataclass
class Report:
    """The result of checking one exercise; ``str(report)`` is what the student reads."""

    exercise: Exercise
    outcomes: list[Outcome] = field(default_factory=list)
    missing: str = ""  # set when there is nothing to check (no class, nothing written)

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def passed(self) -> int:
        return sum(outcome.passed for outcome in self.outcomes)

    @property
    def score(self) -> float:
        """The fraction of scenarios that pass (0 when nothing could run)."""
        return self.passed / self.total if self.total else 0.0

    @property
    def complete(self) -> bool:
        return bool(self.outcomes) and self.passed == self.total

    def failures(self) -> list[tuple[Failure, list[Outcome]]]:
        """Each failure class found, in class order, with the outcomes showing it,
        shortest first."""
        found: dict[Failure, list[Outcome]] = {}
        for outcome in self.outcomes:
            for finding in outcome.findings:
                found.setdefault(finding.failure, []).append(outcome)
        return [(failure, sorted(found[failure], key=lambda o: o.run.size))
                for failure in Failure if failure in found]

    def not_written(self) -> bool:
        return self.missing == voice.build_verdict_not_written()

    def lines(self) -> list[str]:
        """The feedback as lines of text: the verdict, then one paragraph per failure class."""
        head = voice.build_exercise_head(self.exercise.number, self.exercise.title)
        if self.missing:
            return [head + self.missing]
        if self.complete:
            return [head + voice.build_verdict_all_pass(self.total)]
        lines = [head + voice.build_verdict_some_fail(self.passed, self.total)]
        for sentence, outcomes in self.explained():
            lines.append(f"- {sentence}")
            lines.append("  " + voice.build_shown_by(len(outcomes), outcomes[0].describe()))
        return lines

    def explained(self) -> list[tuple[str, list[Outcome]]]:
        """Per failure class: its sentence, worded from the shortest outcome showing it,
        and the outcomes (shortest first)."""
        explained = []
        for failure, outcomes in self.failures():
            finding = next(f for f in outcomes[0].findings if f.failure is failure)
            explained.append((feedback.explain(finding), outcomes))
        return explained

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def check(key: str | Exercise, student: ProtocolLike | None) -> Report:
    """Run exercise ``key``'s suite on the engine class ``student``; never raises
    because of the student's code (a crash is a finding)."""
    ex = exercise(key)
    report = Report(ex)
    if student is None:
        report.missing = voice.build_no_class(ex.class_name)
        return report
    try:
        resolve_protocol(student)
    except ValueError as error:
        report.missing = str(error)
        return report
    settings = ex.setting
    if _unwritten(ex, student, settings):
        report.missing = voice.build_verdict_not_written()
        return report
    for scenario in suite(ex.key):
        for pairing in ex.pairings:
            engines = _engines(ex, student, pairing)
            run = run_scenario(scenario, engines, settings)
            report.outcomes.append(Outcome(scenario, pairing, run,
                                           judge(run, cumulative=ex.cumulative)))
    if ex.probe_window:
        report.outcomes.append(_probe_window(ex, student))
    return report


#: How ``_unwritten`` calls each hook, with harmless arguments.
_PROBES: dict[str, tuple[Any, ...]] = {"on_message": ("probe",), "on_ack": (0,),
                                       "on_data": (0, "probe"), "on_timeout": ("timer",)}


def _unwritten(ex: Exercise, student: ProtocolLike, settings: Mapping[str, Any]) -> bool:
    """Every hook the exercise asks for still raises ``NotImplementedError``."""
    try:
        engine = create_engine(student, **settings)
    except Exception:  # a setup() that raises is the checks' business
        return False
    for hook in ex.hooks:
        if hook == "setup":
            continue
        try:
            getattr(engine, hook)(*_PROBES[hook])
        except NotImplementedError:
            continue
        except Exception:  # written, and wrong for these arguments: the checks say how
            return False
        return False
    return True


def _engines(ex: Exercise, student: ProtocolLike, pairing: Pairing) -> dict[Side, ProtocolLike]:
    chosen: list[ProtocolLike] = [student if who == STUDENT else ex.reference for who in pairing]
    return {"A": chosen[0], "B": chosen[1]}


#: The textbook's picture of a window too large (K&R fig. 3.27): 4 numbers, a
#: window of 3, and every ACK of the first window lost.
WINDOW_PROBE: Mapping[str, Any] = {"seq_bits": 2, "window": 3, "timeout": 0.2,
                                   "max_retries": 4}


def _probe_window(ex: Exercise, student: ProtocolLike) -> Outcome:
    scenario = Scenario(voice.scenario_name("window_probe"), 4,
                        drops=(("B->A", 1), ("B->A", 2), ("B->A", 3)))
    run = run_scenario(scenario, {"A": student, "B": student}, WINDOW_PROBE)
    # Refusing means raising ValueError while the engine is built (in setup()).
    refused = isinstance(run.exception, ValueError) and len(run.engines) < 2
    findings = [] if refused else [Finding(Failure.WINDOW_TOO_LARGE, None, None, {
        "window": WINDOW_PROBE["window"], "seq_bits": WINDOW_PROBE["seq_bits"],
        "modulus": 1 << WINDOW_PROBE["seq_bits"]})]
    return Outcome(scenario, (STUDENT, STUDENT), run, findings)

"""How fast the simulator runs, as ratios to baselines measured in the same run.

Three figures:

* the simulator against a bare ``heapq`` event loop doing the same number of
  events (Selective Repeat, 10% loss): the loop pops an entry, calls a
  handler and pushes the next, the least any discrete-event simulation does
  per event. Beside it, the *engine floor*: the same two engines handed the
  same inputs in the same order with no network at all (recorded from the
  run and replayed), which is what no simulator can go below; and the
  *wire floor*: only reading every datagram the run hands an engine (its
  checksum checked and its fields parsed, nothing acted on), the least any
  receiver of labchat's wire does, whatever its engine;
* every rung at 0%, 10% and 30% loss against the report rung at 0%, warm;
  a rung that gave messages up has its speed marked meaningless (it did not
  do the job, so finishing early proves nothing);
* Selective Repeat's data datagrams per delivered message at 10% loss both
  ways, textbook and selective ACKs, against ``1/(1-p)`` (counts, not time).

Simulation is single-threaded and CPU-bound, so it is timed in CPU seconds
of this process (``time.process_time``): other work on the machine then
slows neither side of a ratio.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from typing import Any, cast

from benchmarks.timing import Figure, ratio
from labchat.protocols import PROTOCOLS, Engine, create_engine
from labchat.protocols.arq import ArqEngine, decode, unseal
from labchat.sim.channel import Impairment, ImpairmentModel
from labchat.sim.network import VirtualNetwork
from labchat.sim.simulator import Stats, simulate

LOSS = 0.1
CPU = time.process_time


def bare_event_loop(events: int, width: int = 8) -> int:
    """Pop, handle, push the next: ``events`` times, over a heap of ``width`` entries."""
    queue = [(i * 0.001, i, "arrive", "A", b"x", i) for i in range(width)]
    heapq.heapify(queue)
    push, pop = heapq.heappush, heapq.heappop
    order = width

    def handle(item: bytes) -> bytes:
        return item

    for _ in range(events):
        at, _, what, side, item, record = pop(queue)
        handle(item)
        push(queue, (at + 0.05, order, what, side, item, record))
        order += 1
    return order


class _Recorder:
    """An engine that notes every input it is handed, for replay without a network."""

    def __init__(self, engine: Engine, log: list[tuple[int, str, tuple[Any, ...]]],
                 side: int) -> None:
        self._engine, self._log, self._side = engine, log, side

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._engine, name)
        if name in ("send_message", "receive_datagram", "handle_timer"):
            def noted(*args: Any) -> Any:
                self._log.append((self._side, name, args))
                return attribute(*args)
            return noted
        return attribute


def _record(protocol: str, messages: int) -> tuple[int, list[tuple[int, str, tuple[Any, ...]]]]:
    """The run ``simulate`` makes, step by step: its event count and every engine input."""
    log: list[tuple[int, str, tuple[Any, ...]]] = []
    a, b = (cast(Engine, _Recorder(create_engine(protocol), log, side)) for side in (0, 1))
    network = VirtualNetwork(a, b, ImpairmentModel(Impairment(loss=LOSS, delay=0.05), seed=1,
                                                   record=False), record=False)
    network.schedule_sends((0.0, "A", f"A{i}") for i in range(messages))
    steps = 0
    while network.step():
        steps += 1
    return steps, log


def _replayer(protocol: str, log: list[tuple[int, str, tuple[Any, ...]]]) -> Callable[[], None]:
    def replay() -> None:
        engines = [create_engine(protocol), create_engine(protocol)]
        for side, name, args in log:
            engine = engines[side]
            getattr(engine, name)(*args)
            engine.pop_events()
            engine.pop_datagrams()
            engine.next_deadline()
    return replay


def _reader(log: list[tuple[int, str, tuple[Any, ...]]]) -> Callable[[], None]:
    """Only check and parse every datagram of the run, as a receiver must first."""
    payloads = [args[0] for _, name, args in log if name == "receive_datagram"]
    engine = create_engine("selective-repeat")
    assert isinstance(engine, ArqEngine)  # the rung whose wire the figure reads
    modulus = engine.space.modulus

    def read() -> None:
        for payload in payloads:
            decode(unseal(payload), modulus)
    return read


def simulator_figures(messages: int, repeats: int) -> list[Figure]:
    protocol = "selective-repeat"
    events, log = _record(protocol, messages)

    def run() -> None:
        simulate(protocol, messages, loss=LOSS, seed=1)

    def bare() -> None:
        bare_event_loop(events)

    whole = ratio(run, bare, repeats=repeats, clock=CPU)
    floor = ratio(_replayer(protocol, log), bare, repeats=repeats, clock=CPU)
    wire = ratio(_reader(log), bare, repeats=repeats, clock=CPU)
    datagrams = sum(1 for _, name, _ in log if name == "receive_datagram")
    rate = messages / whole.subject
    return [
        Figure(f"simulator, {messages:,} messages at 10% loss ({protocol}) / bare heapq loop "
               f"({events:,} events)", f"{whole.ratio:.1f}x", "at most 4x", whole.ratio <= 4,
               f"{rate:,.0f} messages/s"),
        Figure("  engine floor: the same engines, same inputs, no network / bare heapq loop",
               f"{floor.ratio:.1f}x", "(what no simulator goes below)", None,
               f"network's share {1 - floor.subject / whole.subject:.0%}"),
        Figure("  wire floor: only checking and parsing the run's datagrams / bare heapq loop",
               f"{wire.ratio:.1f}x", "(what no engine goes below)", None,
               f"{datagrams:,} datagrams, {wire.subject / datagrams * 1e6:.1f} us each"
               + ("; above 4x: no simulator of this wire can meet the target" if wire.ratio > 4
                  else "")),
    ]


def speed(stats: Stats, time_ratio: float, seconds: float) -> tuple[str, str]:
    """The time ratio and rate of a run, or "meaningless" if it did not deliver everything."""
    missing = stats.messages - stats.delivered
    if missing:
        return "meaningless", (f"gave up or lost {missing:,} of {stats.messages:,}: "
                                "it did not do the job")
    return f"{time_ratio:.2f}x", f"{stats.messages / seconds:,.0f} messages/s"


def ladder_figures(messages: int, repeats: int) -> list[Figure]:
    """Every rung against the report rung at 0% loss, both warm and interleaved."""
    figures = []

    def baseline() -> None:
        simulate("report", messages, loss=0.0, seed=1)

    for protocol in PROTOCOLS:
        for loss in (0.0, 0.1, 0.3):
            stats: list[Stats] = []

            def run(protocol: str = protocol, loss: float = loss,
                    stats: list[Stats] = stats) -> None:
                stats.append(simulate(protocol, messages, loss=loss, seed=1))

            measured = ratio(run, baseline, repeats=repeats, clock=CPU)
            value, note = speed(stats[-1], measured.ratio, measured.subject)
            figures.append(Figure(f"  {protocol} at {loss:.0%} loss / report at 0%", value,
                                  "", None, note))
    return figures


def ack_figures(messages: int) -> list[Figure]:
    expected = 1 / (1 - LOSS)
    figures = []
    for acks in ("individual", "selective"):
        stats = simulate("selective-repeat", messages, loss=LOSS, seed=1, both_ways=True,
                         settings={"acks": acks})
        per_message = stats.data_datagrams / stats.delivered
        target = "within 1.03x of 1/(1-p)" if acks == "selective" else "(textbook: 1/(1-p)^2)"
        figures.append(Figure(
            f"selective-repeat data datagrams per delivered message, 10% loss both ways, "
            f"acks={acks} / 1/(1-p)", f"{per_message / expected:.3f}x", target,
            per_message / expected <= 1.03 if acks == "selective" else None,
            f"{per_message:.3f} per message, {stats.delivered:,} delivered"))
    return figures


def figures(quick: bool = False) -> list[Figure]:
    return [
        *ack_figures(500 if quick else 20_000),
        *simulator_figures(300 if quick else 100_000, 1 if quick else 3),
        Figure("simulator ladder, each rung / report at 0% loss (warm, interleaved)", "",
               "", None),
        *ladder_figures(100 if quick else 5_000, 1 if quick else 3),
    ]

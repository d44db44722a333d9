"""The step model: two engines on a manual network, moved one decision at a time.

``StepModel`` is what the step-through widget shows and what a test or a
script drives without any widget: make a peer send, deliver / drop /
duplicate / corrupt a datagram in flight, let some seconds pass (so that a sender's
packets leave one after another, each with its own timer), advance the clock to the
next timer. Each move
is recorded twice: as a line of ``steps`` (which ``replay`` takes back, so a
run can be told as a script) and as deterministic narration in ``log``
(the move, then every event it caused, then the datagrams it put in flight).

Pure: virtual time, no sockets, no threads, no widgets. A view learns of a
move through ``on_change`` callbacks, called on the mover's thread after the
move is complete. This module owns the moves, the script language and the
narration's order; protocol behaviour belongs to the engines, fates to the
network, words to ``labchat.voice``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from labchat import voice
from labchat.errors import LabchatError
from labchat.events import DatagramReceived, DatagramSent, MessageDelivered
from labchat.pcap import save_wire
from labchat.protocols import ProtocolLike, create_engine, resolve_protocol
from labchat.protocols.base import Engine
from labchat.sim.network import ManualNetwork
from labchat.trace import SIDES, Side, WireRecord, check_side

#: Events the network adds about carrying datagrams: the wire lines already say so.
_WIRE_EVENTS = (DatagramSent, DatagramReceived)

#: The verbs of a step line that name a datagram in flight.
DATAGRAM_MOVES = ("deliver", "drop", "duplicate", "corrupt")


#: Keyboard shortcuts: one letter for each move on a datagram, the timer, and back.
SHORTCUTS = {"d": "deliver", "x": "drop", "c": "duplicate", "t": "timer", "b": "back"}


class StepError(ValueError):
    """A step that cannot be taken: unknown datagram id, bad script line, ..."""


class StepModel:
    """Two peers on a manual network, stepped by method calls or by a script.

    ``script`` is a list of steps as ``replay`` takes them, run at once; for
    example ``["send A hello", "drop 1", "timer", "deliver 2"]``. ``protocol``
    is a rung's name, an engine class (a student's) or ``FILE.py:CLASS``;
    ``peer_protocol`` makes B run another one (labchat's reference, say).
    """

    def __init__(self, protocol: ProtocolLike, *, settings: Mapping[str, Any] | None = None,
                 script: Iterable[str] | None = None,
                 peer_protocol: ProtocolLike | None = None) -> None:
        engine = resolve_protocol(protocol)
        peer = engine if peer_protocol is None else resolve_protocol(peer_protocol)
        self.protocol = engine.protocol
        self.settings = dict(settings or {})
        self._classes = (engine, peer)
        self._listeners: list[Callable[[], None]] = []
        self._start()
        if script is not None:
            self.replay(script)

    def _start(self) -> None:
        """Fresh engines on a fresh network, no step taken yet."""
        engine, peer = self._classes
        self.engines: dict[Side, Engine] = {
            "A": create_engine(engine, **self.settings),
            "B": create_engine(peer, **self.settings),
        }
        self.network = ManualNetwork(self.engines["A"], self.engines["B"])
        self.log: list[str] = []
        self.steps: list[str] = []
        self._seen_wire = 0
        self._seen_events: dict[Side, int] = {side: 0 for side in SIDES}

    # -- moves: each one is a method and a line of ``steps`` ---------------------

    def send(self, side: Side, text: str) -> None:
        """Peer ``side`` sends ``text`` (a local error, e.g. too long, is raised)."""
        side = check_side(side)
        self.network.send(side, text)
        self._record(f"send {side} {text}", voice.step_send(side, text))

    def force_mismatch(self, side: Side) -> None:
        """The report's test: ``side``'s next datagram carries a wrong count."""
        side = check_side(side)
        self.network.force_mismatch(side)
        self._record(f"mismatch {side}", voice.step_mismatch(side))

    def deliver(self, datagram_id: int) -> None:
        """Hand datagram ``datagram_id`` (in flight) to its destination."""
        record = self._in_flight(datagram_id)
        self.network.deliver(datagram_id)
        self._record(f"deliver {datagram_id}", voice.step_deliver(record))

    def drop(self, datagram_id: int) -> None:
        """Lose datagram ``datagram_id``."""
        record = self._in_flight(datagram_id)
        self.network.drop(datagram_id)
        self._record(f"drop {datagram_id}", voice.step_drop(record))

    def duplicate(self, datagram_id: int) -> None:
        """Make the network copy datagram ``datagram_id``; both copies stay in flight."""
        record = self._in_flight(datagram_id)
        self.network.duplicate(datagram_id)
        self._record(f"duplicate {datagram_id}", voice.step_duplicate(record))

    def corrupt(self, datagram_id: int, byte: int | None = None) -> None:
        """Deliver datagram ``datagram_id`` with the lowest bit of byte ``byte`` flipped.

        By default the last byte: on the textbook rungs a letter of the text,
        so a rung without a checksum hands over a changed message ("hi"
        becomes "hh"). A byte outside the datagram is refused, nothing changed.
        """
        record = self._in_flight(datagram_id)
        self.network.corrupt(datagram_id, None if byte is None else (byte, 1))
        received = self.network.wire[datagram_id].received or b""
        step = f"corrupt {datagram_id}" if byte is None else f"corrupt {datagram_id} {byte}"
        self._record(step, voice.step_corrupt(record, received))

    def next_timer(self) -> bool:
        """Advance the clock to the earliest pending timer and fire it; False if none."""
        deadline = self.network.next_timer()
        if deadline is None:
            self._note(voice.step_no_timer())
            return False
        self.network.advance_to_next_timer()
        self._record("timer", voice.step_timer(deadline))
        return True

    def wait(self, seconds: float) -> None:
        """Let ``seconds`` pass with nothing in flight moving; timers due on the way fire.

        Between two sends it spaces them in time as the textbook draws them,
        so each packet's timer expires at its own instant.
        """
        if not (math.isfinite(seconds) and seconds >= 0.0):
            raise StepError(voice.error("seconds", name="wait", value=voice.shown(seconds)))
        self.network.advance(seconds)
        # repr: the shortest text that reads back as the same float, so a replay is exact.
        self._record(f"wait {float(seconds)!r}", voice.step_wait(seconds, self.network.now))

    def back(self) -> bool:
        """Undo the last move: start afresh and replay every step but it (False: none).

        The engines are deterministic, so the replay gives exactly the run
        as it was one move ago, as Jasper's undo and Packet Tracer's Back do.
        """
        if not self.steps:
            return False
        keep = self.steps[:-1]
        listeners, self._listeners = self._listeners, []
        try:
            self._start()
            self.replay(keep)
        finally:
            self._listeners = listeners
        for listener in list(self._listeners):
            listener()
        return True

    def script(self) -> str:
        """The moves so far as a notebook cell that does them again exactly."""
        # Python source, so a string's quotes are code: json writes Persian as it is.
        args = [json.dumps(self.protocol)]
        if self.settings:
            args.append(f"settings={json.dumps(self.settings)}")
        if self._classes[1] is not self._classes[0]:
            args.append(f"peer_protocol={json.dumps(self._classes[1].protocol)}")
        lines = [f"Stepper({', '.join(args)}, script=["]
        lines.extend(f"    {json.dumps(step, ensure_ascii=False)}," for step in self.steps)
        lines.append("])")
        return "\n".join(lines)

    def key(self, keys: str) -> None:
        """A keyboard shortcut: ``d 3`` deliver, ``x 3`` drop, ``c 3`` duplicate (copy),
        ``t`` next timer, ``b`` back."""
        words = keys.split()
        verb = SHORTCUTS.get(words[0].lower()) if words else None
        if verb == "back" and len(words) == 1:
            self.back()
        elif verb is not None:
            self.take(" ".join([verb, *words[1:]]))
        else:
            raise StepError(voice.step_shortcuts())

    def replay(self, steps: Iterable[str]) -> None:
        """Take ``steps`` in order; each is a line like those in ``self.steps``.

        ``send A <text>``, ``mismatch A``, ``deliver <id>``, ``drop <id>``,
        ``duplicate <id>``, ``corrupt <id>`` (or ``corrupt <id> <byte>``), ``wait <seconds>``,
        ``timer``.
        A bad line raises ``StepError`` naming it; the steps before it stay done.
        """
        for number, line in enumerate(steps, start=1):
            self.take(line, number=number)

    def take(self, line: str, *, number: int = 1) -> None:
        """Take one step line (as ``replay`` does); ``number`` names it in an error."""
        words = line.split(maxsplit=2)
        verb = words[0] if words else ""
        try:
            if verb == "send" and len(words) == 3:
                self.send(check_side(words[1]), words[2])
            elif verb == "mismatch" and len(words) == 2:
                self.force_mismatch(check_side(words[1]))
            elif verb in DATAGRAM_MOVES and len(words) == 2:
                getattr(self, verb)(_parse_id(words[1]))
            elif verb == "corrupt" and len(words) == 3 and words[2].isdigit():
                self.corrupt(_parse_id(words[1]), int(words[2]))
            elif verb == "wait" and len(words) == 2:
                self.wait(_parse_seconds(words[1]))
            elif verb == "timer" and len(words) == 1:
                self.next_timer()
            else:
                raise StepError(voice.step_usage())
        except (ValueError, LabchatError) as error:  # StepError is a ValueError
            raise StepError(voice.step_bad_line(number, line, error)) from None

    # -- what a person reads ---------------------------------------------------

    @property
    def now(self) -> float:
        """The virtual clock, in seconds."""
        return self.network.now

    def in_flight(self) -> list[WireRecord]:
        """Datagrams waiting for a decision, oldest first."""
        return list(self.network.in_flight())

    def delivered(self, side: Side) -> list[str]:
        """The messages ``side`` has handed to its user, in order."""
        return [e.text for e in self.network.events[check_side(side)]
                if isinstance(e, MessageDelivered)]

    def snapshot(self, side: Side) -> dict[str, object]:
        """``side``'s engine state as its counters show it."""
        return dict(self.engines[check_side(side)].snapshot())

    def next_deadline(self) -> float | None:
        """When the earliest pending timer fires (None: no timer pending)."""
        return self.network.next_timer()

    def save_pcap(self, path: str | Path) -> Path:
        """Write every datagram so far, in flight ones too, as a pcapng capture (virtual time)."""
        return save_wire(path, self.network.wire, self.engines["A"])

    def summary(self) -> str:
        """Deterministic multi-line text: clock, each peer's state and messages, the wire."""
        lines = [voice.step_heading(self.protocol, self.network.now, len(self.steps))]
        for side in SIDES:
            state = voice.join_list(f"{voice.state_name(k)}={voice.state_value(v, k)}"
                                    for k, v in self.engines[side].snapshot().items())
            lines.append(f"{side}: {state}")
            lines.append(voice.step_delivered(side, self.delivered(side)))
        wire = self.network.wire
        fates = {fate: sum(1 for r in wire if r.fate == fate)
                 for fate in ("delivered", "dropped", "in_flight")}
        lines.append(voice.step_wire(len(wire), fates))
        lines.extend("  " + voice.step_in_flight(r) for r in self.in_flight())
        deadline = self.network.next_timer()
        lines.append(voice.step_next_timer(deadline))
        return "\n".join(lines)

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` after every move (and every note); returns an undo."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def __repr__(self) -> str:
        return (f"<StepModel {self.protocol}: {len(self.steps)} steps, t={self.network.now:.3f}, "
                f"{len(self.in_flight())} in flight>")

    # -- internals -------------------------------------------------------------

    def _in_flight(self, datagram_id: int) -> WireRecord:
        for record in self.network.in_flight():
            if record.id == datagram_id:
                return record
        waiting = [r.id for r in self.network.in_flight()]
        raise StepError(voice.step_not_in_flight(datagram_id, waiting))

    def _record(self, step: str, what: str) -> None:
        self.steps.append(step)
        self._note(what)

    def _note(self, what: str) -> None:
        """Narrate ``what`` and everything it caused, then tell the listeners."""
        self.log.append(f"t={self.network.now:.3f} {what}")
        for side in SIDES:
            events = self.network.events[side]
            for event in events[self._seen_events[side]:]:
                if not isinstance(event, _WIRE_EVENTS):
                    self.log.append(f"    {side}: {voice.narration(event)}")
            self._seen_events[side] = len(events)
        for record in self.network.wire[self._seen_wire:]:
            self.log.append("    " + voice.step_new_in_flight(record))
        self._seen_wire = len(self.network.wire)
        for listener in list(self._listeners):
            listener()


def _parse_id(word: str) -> int:
    try:
        return int(word.lstrip("#"))
    except ValueError:
        raise StepError(voice.step_not_an_id(word)) from None


def _parse_seconds(word: str) -> float:
    try:
        return float(word)
    except ValueError:
        raise StepError(voice.error("seconds", name="wait", value=voice.shown(word))) from None

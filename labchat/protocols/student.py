"""Build your own protocol: the small engine API a student writes against.

Kurose & Ross's programming assignment gives students four routines to fill
in (``A_output``, ``A_input``, ``A_timerinterrupt``, ``B_input``) and a few
to call (``tolayer3``, ``tolayer5``, ``starttimer``, ``stoptimer``). This
module is labchat's version of that contract. A student subclasses
``StudentEngine`` and fills in the hooks:

* ``setup()``: set your state variables (the assignment's ``A_init``/``B_init``);
* ``on_message(text)``: the user wants ``text`` sent (``A_output``);
* ``on_ack(ack)``: an acknowledgement arrived, naming wire number ``ack``
  (``A_input``);
* ``on_data(seq, text)``: a message arrived with wire number ``seq``
  (``B_input``);
* ``on_timeout(timer)``: a timer you started has fired (``A_timerinterrupt``);

and calls the helpers:

* ``send_data(seq, text)`` / ``send_ack(ack)``: put a datagram on the wire;
* ``start_timer(timer, seconds=...)`` / ``stop_timer(timer)`` /
  ``timer_running(timer)``: timers by any name you like (one per message in
  Selective Repeat, one in all for Go-Back-N);
* ``deliver(text)``: hand a message to the user (``tolayer5``);
* ``give_up(seq, text)``: report that a message will not be delivered;
* ``now``, ``timeout``, ``max_retries``, ``window``, ``seq_bits`` and
  ``modulus`` (``2 ** seq_bits``): the clock and the settings.

Every engine is both a sender and a receiver (a chat goes both ways): the
same object gets ``on_message``/``on_ack`` as a sender and ``on_data`` as a
receiver. Wire numbers are modulo ``modulus``: the arithmetic is yours.

What the base class does for you: it speaks the wire format of labchat's
textbook rungs (``labchat.protocols.arq``: ``D <seq> - <text>`` and ``A <ack>``),
so a student's engine talks to the reference engines, over the simulator or
real UDP; a datagram that does not parse (a corrupted one) is rejected before
any hook sees it, as a checksum would; an ACK riding on a data datagram reaches
``on_ack`` before that datagram reaches ``on_data``. It records what happened
as labchat events (sent, resent, delivered, timeout, gave up), so the chart,
the lab's panels and the simulator's counts work unchanged. A datagram your
``on_timeout`` sends again, the same number and text as before, counts as a
retransmission; everything else as a new transmission.

State variables you set on ``self`` without a leading underscore (numbers,
strings, lists, sets, dicts of them) show up in the lab's panels and the
step-through as the engine's state.

This module is pure, like every engine: no socket, thread, clock or random.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from labchat import voice
from labchat.events import GaveUp, MessageDelivered, MessageRetransmitted, MessageSent, TimerExpired
from labchat.protocols.arq import (
    CHECKSUM_ROOM,
    MAX_SEQ_BITS,
    AckDatagram,
    DataDatagram,
    WindowSettings,
    decode,
    encode_ack,
    encode_data,
    header_room,
    label,
    sealed,
    strip_checksum,
    unseal,
)
from labchat.protocols.base import DatagramKind, Engine, Outgoing, encode_text
from labchat.protocols.settings import setting

#: A student's engine counts in a small space by default, so wrap-around shows early.
STUDENT_SEQ_BITS = 3


@dataclass(frozen=True, kw_only=True)
class StudentSettings(WindowSettings):
    """The textbook rungs' settings; only the default sequence space is smaller.

    ``max_timeout`` is there for a student who backs off (the base class does
    not: ``start_timer`` waits ``timeout`` unless told otherwise).
    """

    seq_bits: int = setting(STUDENT_SEQ_BITS, voice.SETTING_MEANINGS["seq_bits"],
                            low=1, high=MAX_SEQ_BITS)


#: Settings a subclass may give a default of its own as a class attribute.
CLASS_DEFAULTS = ("timeout", "max_retries", "window", "seq_bits")

#: The name of the timer ``start_timer()`` starts when you give none.
TIMER = "timer"


@dataclass
class _Transmission:
    """What was last sent with one wire number (to tell a resend from a new message)."""

    text: str
    number: int  # absolute: the how-many-th message this engine sent, from 0
    attempts: int = 1
    given_up: bool = False


class StudentEngine(Engine):
    """The base class of an engine a student writes; see the module docstring.

    Subclasses may change the defaults of the settings as class attributes
    (``seq_bits = 1`` for a stop-and-wait engine that speaks to labchat's
    reference one); the lab, the simulator and the checks may still pass other
    values (``--setting seq_bits=4``), so read them from ``self``.
    """

    protocol: ClassVar[str] = "student"
    #: No session envelope: the base class cannot name the unacknowledged
    #: messages, so after a partner's restart it could not send them again.
    enveloped: ClassVar[bool] = False
    Settings = StudentSettings
    settings: StudentSettings

    # The settings, readable as plain attributes; a subclass may set a default
    # of its own here, e.g. ``seq_bits = 1`` (see ``CLASS_DEFAULTS``).
    timeout: float
    max_retries: int
    window: int
    seq_bits: int

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A student's class is listed under its own name unless it picks one.
        if "protocol" not in cls.__dict__:
            cls.protocol = cls.__name__

    def __init__(self, **settings: object) -> None:
        """Settings by name (checked by ``StudentSettings``), else the class's defaults."""
        for name in CLASS_DEFAULTS:
            default = getattr(type(self), name, None)
            if default is not None and name not in settings:
                settings[name] = default
        super().__init__(**settings)
        self.timeout = self.settings.timeout
        self.max_retries = self.settings.max_retries
        self.window = self.settings.window
        self.seq_bits = self.settings.seq_bits
        self._now = 0.0
        self._timers: dict[Hashable, tuple[float, float]] = {}  # name -> (deadline, seconds)
        self._last_sent: dict[int, _Transmission] = {}  # wire seq -> its latest message
        self._sent = 0  # messages transmitted for the first time
        self._delivered = 0
        self._in_timeout = False
        self.setup()

    # -- the hooks a student fills in ---------------------------------------------

    def setup(self) -> None:
        """Set your state variables here (called once, at the end of ``__init__``)."""

    def on_message(self, text: str) -> None:
        """The user wants ``text`` sent to the peer."""
        raise NotImplementedError(voice.error("hook_not_written", hook="on_message"))

    def on_ack(self, ack: int) -> None:
        """An acknowledgement naming wire number ``ack`` arrived from the peer."""
        raise NotImplementedError(voice.error("hook_not_written", hook="on_ack"))

    def on_data(self, seq: int, text: str) -> None:
        """A message with wire number ``seq`` arrived from the peer."""
        raise NotImplementedError(voice.error("hook_not_written", hook="on_data"))

    def on_timeout(self, timer: Hashable) -> None:
        """The timer named ``timer`` has fired (it is no longer running)."""
        raise NotImplementedError(voice.error("hook_not_written", hook="on_timeout"))

    # -- the helpers a student calls -------------------------------------------------

    @property
    def now(self) -> float:
        """The current (virtual or real) time in seconds."""
        return self._now

    @property
    def modulus(self) -> int:
        """How many wire numbers there are: ``2 ** seq_bits``; they count 0 .. modulus-1."""
        return 1 << self.seq_bits

    def send_data(self, seq: int, text: str) -> None:
        """Put message ``text`` on the wire with number ``seq`` (taken modulo ``modulus``)."""
        wire = int(seq) % self.modulus
        text = str(text)
        room = header_room(self.modulus) + (CHECKSUM_ROOM if self.settings.checksum else 0)
        self._check_fits(len(encode_text(text)) + room)
        last = self._last_sent.get(wire)
        if self._in_timeout and last is not None and last.text == text:
            last.attempts += 1
            self._emit(MessageRetransmitted(at=self._now, text=text, seq=last.number,
                                            attempt=last.attempts))
            kind: DatagramKind = "resend"
            number = last.number
        else:
            number = self._sent
            self._sent += 1
            self._last_sent[wire] = _Transmission(text, number)
            self._emit(MessageSent(at=self._now, text=text, seq=number))
            kind = "data"
        datagram = DataDatagram(wire, None, text)
        self._queue(Outgoing(encode_data(wire, None, text), kind, number, label(datagram)))

    def send_ack(self, ack: int) -> None:
        """Put an acknowledgement naming wire number ``ack`` (modulo ``modulus``) on the wire."""
        wire = int(ack) % self.modulus
        self._queue(Outgoing(encode_ack(wire), "ack", None, label(AckDatagram(wire))))

    def start_timer(self, timer: Hashable = TIMER, seconds: float | None = None) -> None:
        """Start (or restart) the timer named ``timer``; ``seconds`` defaults to ``timeout``."""
        wait = self.timeout if seconds is None else float(seconds)
        if not wait > 0:
            raise ValueError(voice.error("timer_seconds", value=voice.shown(seconds)))
        self._timers[timer] = (self._now + wait, wait)

    def stop_timer(self, timer: Hashable = TIMER) -> None:
        """Stop the timer named ``timer``; stopping one that is not running is harmless."""
        self._timers.pop(timer, None)

    def timer_running(self, timer: Hashable = TIMER) -> bool:
        return timer in self._timers

    def deliver(self, text: str) -> None:
        """Hand ``text`` to the user: it appears in the chat."""
        self._emit(MessageDelivered(at=self._now, text=str(text), seq=self._delivered))
        self._delivered += 1

    def give_up(self, seq: int, text: str) -> None:
        """Report that message ``text`` (wire number ``seq``) will not be delivered."""
        last = self._last_sent.get(int(seq) % self.modulus)
        known = last is not None and last.text == text
        if last is not None and known:
            last.given_up = True
        self._emit(GaveUp(at=self._now, text=str(text),
                          seq=last.number if last is not None and known else -1,
                          attempts=last.attempts if last is not None and known else 0))

    # -- the Engine contract, in terms of the hooks ------------------------------------

    def _queue(self, datagram: Outgoing) -> None:
        """The checksum goes on here, as in ``ArqEngine``: a student's hooks never see it."""
        if self.settings.checksum:
            datagram = sealed(datagram)
        super()._queue(datagram)

    def send_message(self, text: str, now: float) -> None:
        self._now = now
        room = header_room(self.modulus) + (CHECKSUM_ROOM if self.settings.checksum else 0)
        self._check_fits(len(encode_text(text)) + room)
        self.on_message(text)

    def _handle_datagram(self, data: bytes, now: float) -> None:
        self._now = now
        if self.settings.checksum:  # the base class checks it: the hooks never see it
            data = unseal(data)
        datagram = decode(data, self.modulus)  # garbage raises: rejected, no hook runs
        if isinstance(datagram, AckDatagram):
            if datagram.ack is not None:  # None only in a selective ACK's "-:<runs>"
                self.on_ack(datagram.ack)
            return
        if datagram.ack is not None:  # an ACK riding on the peer's message
            self.on_ack(datagram.ack)
        self.on_data(datagram.seq, datagram.text)

    def handle_timer(self, now: float) -> None:
        self._now = now
        for timer, (deadline, seconds) in sorted(self._timers.items(), key=_by_deadline):
            if deadline > now or self._timers.get(timer) != (deadline, seconds):
                continue  # not due, or stopped or restarted by an earlier hook
            del self._timers[timer]
            position = len(self._events)
            self._in_timeout = True
            try:
                self.on_timeout(timer)
            finally:
                self._in_timeout = False
            self._events.insert(position, TimerExpired(
                at=now, seq=self._timed_message(timer, position), timeout=seconds))

    def next_deadline(self) -> float | None:
        return min((deadline for deadline, _ in self._timers.values()), default=None)

    def unfinished(self) -> int:
        # The base class cannot know which messages the peer has; a sender
        # waiting for an ACK keeps a timer running, so count those.
        return len(self._timers)

    def snapshot(self) -> Mapping[str, object]:
        state: dict[str, object] = {
            name: _shown(value) for name, value in vars(self).items()
            if not name.startswith("_") and name not in _SETTINGS and _showable(value)
        }
        state["timers"] = sorted(str(timer) for timer in self._timers)
        return state

    @classmethod
    def _describe(cls, payload: bytes) -> Outgoing:
        datagram = decode(strip_checksum(payload), 1 << MAX_SEQ_BITS)
        if isinstance(datagram, AckDatagram):
            return Outgoing(payload, "ack", None, label(datagram))
        return Outgoing(payload, "data", datagram.seq, label(datagram))

    # -- bookkeeping ---------------------------------------------------------------

    def _timed_message(self, timer: Hashable, position: int) -> int:
        """The message a timer stood for: its wire number, else the first one it resent
        or gave up."""
        if isinstance(timer, int) and not isinstance(timer, bool):
            last = self._last_sent.get(timer % self.modulus)
            if last is not None:
                return last.number
        for event in self._events[position:]:
            if isinstance(event, MessageRetransmitted | GaveUp):
                return event.seq
        return -1  # the timeout did nothing that names a message


_SETTINGS = frozenset({*CLASS_DEFAULTS, "settings"})


def _by_deadline(item: tuple[Hashable, tuple[float, float]]) -> float:
    return item[1][0]


def _showable(value: object) -> bool:
    return isinstance(value, bool | int | float | str | list | tuple | set | frozenset | dict
                      | type(None))


def _shown(value: Any) -> object:
    # Sets have no order: show them sorted so a panel reads the same every run.
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return value

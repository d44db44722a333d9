"""What crossed the wire: one record per datagram, with its fate.

Every network in labchat (the virtual-time network, the manual network, the
real UDP relay) writes a ``WireRecord`` for each datagram it carries, and the
sequence chart draws from a list of them plus the peers' events. A record is
written once, by the driver that sends the datagram, at the moment it sends
it: with its id, payload, kind, seq and the sender's state then. Events point
at records by id (``DatagramSent.record``, ``DatagramReceived.record``,
``Event.cause``); nothing is paired up later by position, size or time. A record is
data only; this module does no I/O and draws nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Side = Literal["A", "B"]
#: Both sides, in the order every view shows them (A on the left).
SIDES: tuple[Side, Side] = ("A", "B")
Fate = Literal["in_flight", "delivered", "dropped"]


def other(side: Side) -> Side:
    return "B" if side == "A" else "A"


def check_side(side: str) -> Side:
    """``side`` as a ``Side``, or a ValueError a caller can show as it is."""
    if side == "A":
        return "A"
    if side == "B":
        return "B"
    from labchat import voice  # here: the voice reads this module first

    raise ValueError(voice.error("side", side=voice.shown(side)))


@dataclass(frozen=True)
class WireRecord:
    """One datagram from ``source`` to the other side, and what became of it."""

    id: int  # unique within one network's run, in order of sending
    source: Side
    sent_at: float
    payload: bytes
    kind: str  # "data", "resend", "ack", or "garbage" when it does not parse
    seq: int | None  # the message number it carries, if any
    label: str  # short text for the chart, e.g. "hi -0" or "ACK 3"
    fate: Fate
    arrived_at: float | None = None  # set when delivered
    copy_of: int | None = None  # a duplicate made by the network: the original's id
    cause: str = ""  # why it was dropped or duplicated: "random", "drop next", "outage", ...
    #: The bytes that arrived when the network corrupted them on the way
    #: (None: it arrived as sent, or has not arrived); ``payload`` is what was sent.
    received: bytes | None = None
    #: The sender's ``snapshot()`` taken as it put this datagram on the wire
    #: (None for a copy the network made, or when the sender's state is unknown).
    state: Mapping[str, object] | None = field(default=None, hash=False)

    @property
    def corrupted(self) -> bool:
        """The network changed this datagram's bytes on the way."""
        return self.received is not None

    @property
    def destination(self) -> Side:
        return "B" if self.source == "A" else "A"

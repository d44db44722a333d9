"""Send records shared in one process, so a receiver knows which datagram it got.

When the peers and the relay of a lab live in one process, each datagram is
recorded once, by the socket owner that sends it, at the moment it sends it:
``WireLog.write(sender_address, SentDatagram(...))`` just before ``sendto``.
The socket owner that receives it calls ``claim(source_address, payload)``
and gets that record back: its id, kind, seq, label and the sender's state.
Nothing is guessed from sizes, positions or times.

Why claiming is exact: a socket sends to one address only (a peer to the
relay, each relay socket to one peer), the record is written before the
datagram exists, and loopback keeps the order of one socket's datagrams. So
the first record of that sender whose payload equals what arrived is its
record, and any written before it never arrived (lost before the receiver:
a failed ``sendto`` or a full receive buffer). A payload that matches no
record (a stranger spoofing the sender's address, a bug) is answered with
None, and the receiver shows it as a fact of its own rather than mislabel.

Threads and locks: each sender address has a ``deque``, appended to by the
sender (under its own lock) and emptied by the one thread that receives its
datagrams. ``deque.append``/``popleft``, ``dict.setdefault`` and ``next`` on an
``itertools.count`` are atomic in CPython, so the log takes no lock at all and
a caller holding its own lock never waits for another object's.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

Address: TypeAlias = tuple[str, int]


@dataclass(frozen=True)
class SentDatagram:
    """What its sender knew about a datagram as it sent it."""

    id: int
    payload: bytes
    kind: str
    seq: int | None
    label: str
    sent_at: float
    state: Mapping[str, object] | None = field(default=None, hash=False)


@dataclass(frozen=True)
class Claim:
    """What ``claim`` found: the datagram's record, and those that never arrived."""

    record: SentDatagram | None
    lost: tuple[SentDatagram, ...] = ()


class _Channel:
    """One sender's records: ``written`` by the sender, ``pending`` for the receiver only."""

    def __init__(self) -> None:
        self.written: deque[SentDatagram] = deque()
        self.pending: deque[SentDatagram] = deque()


class WireLog:
    """Ids for every datagram of one lab, and the records senders wrote, by sender address."""

    def __init__(self) -> None:
        self._ids = itertools.count()
        self._channels: dict[Address, _Channel] = {}

    def next_id(self) -> int:
        """A record id no other datagram of this log has (thread-safe)."""
        return next(self._ids)

    def write(self, sender: Address, record: SentDatagram) -> None:
        """``sender`` is about to send ``record.payload``: call before ``sendto``."""
        channel = self._channels.get(sender)
        if channel is None:
            channel = self._channels.setdefault(sender, _Channel())
        channel.written.append(record)

    def claim(self, sender: Address, payload: bytes) -> Claim:
        """The record of the datagram ``payload`` that came from ``sender``.

        Call from the one thread that receives ``sender``'s datagrams.
        Records written before it and not claimed are returned as ``lost``
        (they never arrived); with no matching record, ``record`` is None and
        nothing is consumed.
        """
        channel = self._channels.get(sender)
        if channel is None:
            return Claim(None)
        while True:
            try:
                channel.pending.append(channel.written.popleft())
            except IndexError:
                break
        for index, candidate in enumerate(channel.pending):
            if candidate.payload == payload:
                lost = tuple(channel.pending.popleft() for _ in range(index))
                channel.pending.popleft()
                return Claim(candidate, lost)
        return Claim(None)

"""Run a protocol over an impaired virtual network and count what it cost.

``simulate`` offers M messages one way (A to B) or both ways, at a send
pattern, to two engines of one protocol joined by a ``VirtualNetwork``, runs
until the network is quiet, and returns ``Stats``. ``sweep`` does it for
protocols x loss rates, for the notebooks' charts. The network keeps no
per-datagram records here (``record=False``): counting happens as the events
go by, so a sweep of 100k messages takes seconds.

What the numbers mean (every message text is unique, e.g. ``"A17"``):

* ``messages``: offered, per direction times directions;
* ``delivered``: distinct offered messages the receiving engine delivered
  (``MessageDelivered``), each counted once;
* ``duplicates_delivered``: further ``MessageDelivered`` events of a message
  already delivered (the report's engine counts a network duplicate as a new
  message; a correct rung keeps this 0);
* ``shown_as_resend``: datagrams the report's engine showed as ``resend``
  (shown to the user, never counted or delivered, so not in ``delivered``);
* ``lost``: ``messages - delivered``, whether given up or silently missing;
  ``gave_up``: ``GaveUp`` events (the sender's own admission);
* ``data_datagrams``: datagrams of kind "data" or "resend" the engines sent
  (first sends and resends); ``resends``: those of kind "resend"; ``acks``:
  stand-alone ACKs; ``bytes_on_wire``: payload bytes of everything the
  engines sent. Copies made by the network are not the protocol's cost and
  are not counted;
* ``virtual_seconds``: from the start to the last thing that happened;
  ``goodput``: delivered messages per virtual second (None if no time
  passed); ``overhead``: data datagrams per delivered message (None if none
  was delivered);
* ``utilization``: with a link ``rate`` (bytes per second), the fraction
  of ``virtual_seconds`` A's link spent putting bits on the wire (K&R
  3.4.2's U_sender; the A->B direction, copies not counted twice); None
  without a rate. ``size`` pads every message's text to that many bytes,
  so datagrams have the length L of the textbook's examples;
* ``garbled_delivered``: ``MessageDelivered`` events whose text no user sent
  (the network corrupted it and no checksum noticed; not in ``delivered``);
* ``truncated``: the run hit ``max_steps`` (a resend storm) and was cut
  short; its counts are what happened until then.

This module runs nothing real: no sockets, threads or clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from labchat import voice
from labchat.events import Event, GaveUp, MessageDelivered, ResendReceived
from labchat.pcap import save_wire
from labchat.protocols import ProtocolLike, create_engine, protocol_name
from labchat.protocols.base import Engine
from labchat.sim.channel import Impairment, ImpairmentModel
from labchat.sim.network import NetworkBusy, VirtualNetwork
from labchat.trace import Side, WireRecord


@dataclass(frozen=True)
class Stats:
    """The measured cost and outcome of one simulated run (see the module doc)."""

    protocol: str
    messages: int
    delivered: int
    duplicates_delivered: int
    lost: int
    gave_up: int
    data_datagrams: int
    resends: int
    acks: int
    bytes_on_wire: int
    virtual_seconds: float
    goodput: float | None
    overhead: float | None
    loss: float = 0.0
    shown_as_resend: int = 0
    utilization: float | None = None
    truncated: bool = False
    garbled_delivered: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``goodput``/``overhead`` may be None, never NaN or infinity)."""
        return asdict(self)


class _Counter:
    """Counts deliveries per receiving side as events go by."""

    def __init__(self, offered: set[str]) -> None:
        self.offered = offered
        self.garbled = 0
        self.seen: dict[Side, set[str]] = {"A": set(), "B": set()}
        self.duplicates = 0
        self.gave_up = 0
        self.shown_as_resend = 0

    def __call__(self, side: Side, event: Event) -> None:
        if isinstance(event, MessageDelivered) and event.text not in self.offered:
            self.garbled += 1
        elif isinstance(event, MessageDelivered):
            seen = self.seen[side]
            if event.text in seen:
                self.duplicates += 1
            else:
                seen.add(event.text)
        elif isinstance(event, GaveUp):
            self.gave_up += 1
        elif isinstance(event, ResendReceived):
            self.shown_as_resend += 1


def simulate(
    protocol: ProtocolLike,
    messages: int,
    *,
    loss: float = 0.0,
    duplicate: float = 0.0,
    reorder: float = 0.0,
    delay: float = 0.05,
    jitter: float = 0.0,
    seed: int = 0,
    both_ways: bool = False,
    interval: float = 0.0,
    rate: float | None = None,
    size: int = 0,
    settings: Mapping[str, Any] | None = None,
    max_steps: int = 5_000_000,
    corrupt: float = 0.0,
) -> Stats:
    """Offer ``messages`` per direction to ``protocol`` over an impaired network.

    ``protocol`` is a rung's name, an engine class or ``FILE.py:CLASS``.
    ``interval`` is the time between one user's messages (0: all at once,
    and the protocol takes them as fast as it can); with ``both_ways`` both
    users send the same pattern at the same times. ``rate`` is the link's
    bytes per second both ways (None: sending takes no time); ``size`` pads
    each message's text to that many bytes. ``settings`` go to both
    engines (timeout, window, retry limit ...). Delay and jitter are seconds.
    No datagram is kept: ``run_simulation`` keeps them, for a capture.
    """
    return run_simulation(
        protocol, messages, loss=loss, duplicate=duplicate, reorder=reorder, delay=delay,
        jitter=jitter, seed=seed, both_ways=both_ways, interval=interval, rate=rate, size=size,
        settings=settings, max_steps=max_steps, record=False, corrupt=corrupt,
    ).stats


@dataclass(frozen=True)
class Simulation:
    """A simulated run: its ``Stats`` and, if recorded, every datagram's ``WireRecord``."""

    stats: Stats
    wire: Sequence[WireRecord]
    engine: Engine  # side A's, for the rung and its settings

    def save_pcap(self, path: str | Path) -> Path:
        """Write every datagram of the run as a pcapng capture (virtual time)."""
        return save_wire(path, self.wire, self.engine)


def run_simulation(
    protocol: ProtocolLike,
    messages: int,
    *,
    loss: float = 0.0,
    duplicate: float = 0.0,
    reorder: float = 0.0,
    delay: float = 0.05,
    jitter: float = 0.0,
    seed: int = 0,
    both_ways: bool = False,
    interval: float = 0.0,
    rate: float | None = None,
    size: int = 0,
    settings: Mapping[str, Any] | None = None,
    max_steps: int = 5_000_000,
    record: bool = True,
    corrupt: float = 0.0,
) -> Simulation:
    """``simulate``, keeping every datagram's record (for a capture) unless ``record=False``."""
    if isinstance(messages, bool) or not isinstance(messages, int) or messages < 0:
        raise ValueError(voice.error("message_count", value=voice.shown(messages)))
    if not interval >= 0.0:
        raise ValueError(voice.error("seconds", name="interval", value=voice.shown(interval)))
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(voice.error("byte_count", value=voice.shown(size)))
    impairment = Impairment(loss=loss, duplicate=duplicate, reorder=reorder, corrupt=corrupt,
                            delay=delay, jitter=jitter, rate=rate)
    engine_settings = dict(settings or {})
    a = create_engine(protocol, **engine_settings)
    b = create_engine(protocol, **engine_settings)
    senders: tuple[Side, ...] = ("A", "B") if both_ways else ("A",)
    counter = _Counter({f"{side}{i}".ljust(size, ".") for side in senders
                        for i in range(messages)})
    model = ImpairmentModel(impairment, seed=seed, record=False)
    network = VirtualNetwork(a, b, model, record=record, listener=counter)
    network.schedule_sends((i * interval, side, f"{side}{i}".ljust(size, "."))
                           for i in range(messages) for side in senders)
    truncated = False
    try:
        network.run(max_steps=max_steps)
    except NetworkBusy:
        truncated = True

    offered = messages * len(senders)
    delivered = sum(len(texts) for texts in counter.seen.values())
    data = network.sent_by_kind["data"] + network.sent_by_kind["resend"]
    seconds = network.now
    stats = Stats(
        protocol=protocol_name(protocol),
        messages=offered,
        delivered=delivered,
        duplicates_delivered=counter.duplicates,
        lost=offered - delivered,
        gave_up=counter.gave_up,
        data_datagrams=data,
        resends=network.sent_by_kind["resend"],
        acks=network.sent_by_kind["ack"],
        bytes_on_wire=network.bytes_sent,
        virtual_seconds=seconds,
        goodput=delivered / seconds if seconds > 0 else None,
        overhead=data / delivered if delivered else None,
        loss=loss,
        shown_as_resend=counter.shown_as_resend,
        utilization=(model.busy_time("A->B") / seconds
                     if rate is not None and seconds > 0 else None),
        truncated=truncated,
        garbled_delivered=counter.garbled,
    )
    return Simulation(stats, network.wire, a)


def sweep(
    protocols: Sequence[str],
    losses: Sequence[float],
    messages: int,
    *,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    **kwargs: Any,
) -> list[Stats]:
    """``simulate`` for every protocol x loss rate, protocol-major, same seed each.

    The same seed means the same random draws per datagram number, so a
    higher loss rate drops a superset of what a lower one drops (as long as
    the protocols send the same datagrams). ``progress(done, total)`` is
    called after each run.
    """
    total = len(protocols) * len(losses)
    results: list[Stats] = []
    for protocol in protocols:
        for loss in losses:
            results.append(simulate(protocol, messages, loss=loss, seed=seed, **kwargs))
            if progress is not None:
                progress(len(results), total)
    return results

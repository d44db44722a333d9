"""A recorded run on the virtual network, ready to be charted and counted.

``Recording`` runs a ``VirtualNetwork``, whose wire records carry each
sender's state as it sent them. ``labchat.notebook.scenario`` draws it.
The notebooks tell their scenarios with it: send, drop
the next datagram, send at the same instant, forge a datagram, then draw
and count. Everything is virtual time and seeded, so the same cell gives
the same chart and the same numbers every time.

This module owns the bookkeeping only: protocol behaviour belongs to the
engines, fates to the network and its ``ImpairmentModel``, drawing to the
notebook layer (this module imports no view).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from labchat.pcap import save_wire
from labchat.protocols import create_engine
from labchat.protocols.base import Engine
from labchat.sim.channel import Direction, Impairment, ImpairmentModel
from labchat.sim.network import VirtualNetwork
from labchat.trace import Side, WireRecord

#: Bounds every run: a runaway resend storm raises ``NetworkBusy``, never hangs.
MAX_STEPS = 100_000


class Recording:
    """Two ``protocol`` engines on a seeded virtual network, every step recorded.

    ``settings`` go to both engines (a timeout, ``adaptive_timeout``, a window ...).
    """

    def __init__(self, protocol: str = "report", impairment: Impairment | None = None, *,
                 seed: int = 0, names: tuple[str, str] = ("A", "B"),
                 settings: Mapping[str, Any] | None = None) -> None:
        self.protocol = protocol
        self.names = names
        self.model = ImpairmentModel(impairment or Impairment(delay=0.05), seed=seed)
        self.engines: dict[Side, Engine] = {side: create_engine(protocol, **dict(settings or {}))
                                            for side in ("A", "B")}
        self.network = VirtualNetwork(self.engines["A"], self.engines["B"], self.model)

    # -- telling the scenario ---------------------------------------------------------

    def send(self, side: Side, text: str) -> None:
        """``side`` sends ``text`` now; then the network runs until quiet."""
        self.network.send(side, text)
        self.run()

    def send_together(self, sends: Iterable[tuple[Side, str]]) -> None:
        """Several sends at the same instant, before anything arrives; then run."""
        for side, text in sends:
            self.network.send(side, text)
        self.run()

    def drop_next(self, direction: Direction) -> None:
        """The network loses the next datagram going ``direction``."""
        self.model.drop_next(direction)

    def force_mismatch(self, side: Side) -> None:
        """The report's test: ``side``'s next datagram carries a wrong count."""
        self.network.force_mismatch(side)

    def forge(self, side: Side, payload: bytes) -> None:
        """A datagram from a third party arrives at ``side`` now; then run.

        It is not a wire record between A and B (no one of them sent it);
        whatever ``side`` sends in reply is.
        """
        self.network.inject(side, payload)
        self.run()

    def wait(self, seconds: float) -> None:
        """Let ``seconds`` of virtual time pass (timers fire on the way)."""
        self.run(until=self.network.now + seconds)

    def run(self, until: float | None = None) -> None:
        """Run until the network is quiet (or until virtual time ``until``)."""
        self.network.run(until=until, max_steps=MAX_STEPS)

    # -- reading the run --------------------------------------------------------------

    @property
    def wire(self) -> list[WireRecord]:
        return list(self.network.wire)

    def datagrams(self, *, source: Side | None = None, kind: str | None = None,
                  since: int = 0) -> list[WireRecord]:
        """Records with id >= ``since``, optionally only from ``source`` / of ``kind``."""
        return [r for r in self.network.wire
                if r.id >= since and (source is None or r.source == source)
                and (kind is None or r.kind == kind)]

    def delivered(self, side: Side) -> list[str]:
        """The messages ``side`` handed to its user, in order."""
        return [str(e.to_dict()["text"]) for e in self.network.events[side]
                if e.name == "delivered"]

    def delivered_at(self, side: Side) -> list[float]:
        """When ``side`` handed each message to its user (virtual seconds), in order."""
        return [e.at for e in self.network.events[side] if e.name == "delivered"]

    def save_pcap(self, path: str | Path) -> Path:
        """Write the run so far as a pcapng capture for Wireshark (virtual time)."""
        return save_wire(path, self.network.wire, self.engines["A"])

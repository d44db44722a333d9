"""Floods of unwanted datagrams, shown as a few events and a count.

A peer shows the first ``SHOWN`` rejected datagrams (or datagrams from
strangers) of each burst from one host one by one; the rest of the burst is
counted and published as one ``FloodSummarised`` when the host has been
quiet for ``QUIET`` seconds, and every ``REPORT_EVERY`` seconds while the
flood goes on: "rejected 103,436 datagrams from 127.0.0.1:40000 in 20 s".
Hosts, not ports, are counted, so a flood from fresh ports is one flood.
It holds at most ``HOSTS`` hosts and ``PORTS`` ports each: memory stays
bounded whatever arrives. Pure bookkeeping, called under its peer's lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from labchat import voice
from labchat.events import FloodSummarised

#: Shown one by one at the start of each burst from one host.
SHOWN = 3
#: A host silent this long has ended its burst (and its flood is summarised).
QUIET = 1.0
#: A flood still going on is summarised this often.
REPORT_EVERY = 10.0
#: Hosts tracked at once; the one longest quiet is summarised and forgotten.
HOSTS = 256
#: Distinct ports remembered per flood (beyond that they are only counted as "many").
PORTS = 1024

Address = tuple[str, int]


@dataclass
class _Burst:
    last_at: float
    shown: int = 0
    hidden: int = 0
    hidden_since: float = 0.0
    ports: set[int] = field(default_factory=set)


class NoiseLimiter:
    """Decides which unwanted datagrams are shown; counts the others."""

    def __init__(self) -> None:
        self._bursts: dict[tuple[str, str], _Burst] = {}

    def admit(self, source: Address, what: str, now: float) -> bool:
        """True: show this one. False: it is counted into the next summary."""
        key = (source[0], what)
        burst = self._bursts.get(key)
        if burst is None or (burst.hidden == 0 and now - burst.last_at >= QUIET):
            burst = self._bursts[key] = _Burst(now)
        burst.last_at = now
        if burst.shown < SHOWN:
            burst.shown += 1
            return True
        if burst.hidden == 0:
            burst.hidden_since = now
        burst.hidden += 1
        if len(burst.ports) < PORTS:
            burst.ports.add(source[1])
        return False

    def due(self, now: float) -> list[FloodSummarised]:
        """Summaries of floods that went quiet, or are due a report; oldest host first."""
        out = []
        for key, burst in list(self._bursts.items()):
            quiet = now - burst.last_at >= QUIET
            if burst.hidden and (quiet or now - burst.hidden_since >= REPORT_EVERY):
                out.append(self._summary(key, burst, now))
            if quiet:
                del self._bursts[key]
        while len(self._bursts) > HOSTS:
            key = min(self._bursts, key=lambda k: self._bursts[k].last_at)
            burst = self._bursts.pop(key)
            if burst.hidden:
                out.append(self._summary(key, burst, now))
        return out

    @staticmethod
    def _summary(key: tuple[str, str], burst: _Burst, now: float) -> FloodSummarised:
        host, what = key
        if len(burst.ports) == 1:
            source = f"{host}:{next(iter(burst.ports))}"
        else:
            source = voice.flood_source(host, len(burst.ports), len(burst.ports) >= PORTS)
        summary = FloodSummarised(at=now, source=source, what=what, datagrams=burst.hidden,
                                  seconds=round(burst.last_at - burst.hidden_since, 3))
        burst.hidden = 0
        burst.ports = set()
        return summary

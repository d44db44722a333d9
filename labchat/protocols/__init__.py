"""The protocol ladder: every engine labchat can run, by its ``--protocol`` name.

Each rung lives in its own module and documents its wire format there. This
module only maps names to engine classes; front ends choose from ``PROTOCOLS``.
"""

from __future__ import annotations

import inspect
from typing import Any

from labchat.protocols.base import Engine
from labchat.protocols.go_back_n import GoBackNEngine
from labchat.protocols.repaired import RepairedEngine
from labchat.protocols.report import ReportEngine
from labchat.protocols.selective_repeat import SelectiveRepeatEngine
from labchat.protocols.stop_and_wait import StopAndWaitEngine

#: In the order of the ladder, from the report's scheme up.
PROTOCOLS: dict[str, type[Engine]] = {
    engine.protocol: engine
    for engine in (
        ReportEngine,
        RepairedEngine,
        StopAndWaitEngine,
        GoBackNEngine,
        SelectiveRepeatEngine,
    )
}


def create_engine(protocol: str, **settings: Any) -> Engine:
    """A fresh engine for ``protocol``; a clear error lists the known names."""
    try:
        engine_class = PROTOCOLS[protocol]
    except KeyError:
        known = ", ".join(PROTOCOLS)
        raise ValueError(f"unknown protocol {protocol!r}; choose one of: {known}") from None
    known_settings = inspect.signature(engine_class).parameters
    unknown = sorted(set(settings) - set(known_settings))
    if unknown:
        raise ValueError(f"{protocol} has no setting {unknown[0]!r}; "
                         f"its settings: {', '.join(known_settings)}")
    return engine_class(**settings)


__all__ = ["PROTOCOLS", "Engine", "create_engine"]

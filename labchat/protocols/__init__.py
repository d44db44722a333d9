"""The protocol ladder: every engine labchat can run, by its ``--protocol`` name.

Each rung lives in its own module and documents its wire format there. This
module only maps names to engine classes; front ends choose from ``PROTOCOLS``.
"""

from __future__ import annotations

from typing import Any

from labchat.protocols.base import Engine
from labchat.protocols.report import ReportEngine

PROTOCOLS: dict[str, type[Engine]] = {
    ReportEngine.protocol: ReportEngine,
}


def create_engine(protocol: str, **settings: Any) -> Engine:
    """A fresh engine for ``protocol``; a clear error lists the known names."""
    try:
        engine_class = PROTOCOLS[protocol]
    except KeyError:
        known = ", ".join(PROTOCOLS)
        raise ValueError(f"unknown protocol {protocol!r}; choose one of: {known}") from None
    return engine_class(**settings)


__all__ = ["PROTOCOLS", "Engine", "create_engine"]

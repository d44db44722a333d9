"""The protocol ladder: every engine labchat can run, by its ``--protocol`` name.

Each rung lives in its own module and documents its wire format there, and
declares its settings once (``Engine.Settings``, see ``settings``). This
module only maps names to engine classes; front ends choose from ``PROTOCOLS``.
"""

from __future__ import annotations

from collections.abc import Mapping

from labchat.protocols.base import Engine
from labchat.protocols.go_back_n import GoBackNEngine
from labchat.protocols.repaired import RepairedEngine
from labchat.protocols.report import ReportEngine
from labchat.protocols.selective_repeat import SelectiveRepeatEngine
from labchat.protocols.settings import EngineSettings, SettingError
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


def engine_class(protocol: str) -> type[Engine]:
    """The engine class of ``protocol``; a clear error lists the known names."""
    try:
        return PROTOCOLS[protocol]
    except KeyError:
        known = ", ".join(PROTOCOLS)
        raise ValueError(f"unknown protocol {protocol!r}; choose one of: {known}") from None


def create_engine(protocol: str, **settings: object) -> Engine:
    """A fresh engine for ``protocol`` with ``settings`` checked by its declaration.

    A setting the rung does not have, or a value of the wrong type or out of
    range, raises ``SettingError`` (a ``ValueError``) in one line.
    """
    return engine_class(protocol)(**settings)


def parse_settings(protocol: str, texts: Mapping[str, str]) -> dict[str, object]:
    """Settings given as text (``{"window": "8"}``) converted through ``protocol``'s declaration."""
    settings_class: type[EngineSettings] = engine_class(protocol).Settings
    return {name: settings_class.parse(name, text, protocol) for name, text in texts.items()}


__all__ = ["PROTOCOLS", "Engine", "SettingError", "create_engine", "engine_class",
           "parse_settings"]

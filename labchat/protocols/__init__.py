"""The protocol ladder: every engine labchat can run, by its ``--protocol`` name.

Each rung lives in its own module and documents its wire format there, and
declares its settings once (``Engine.Settings``, see ``settings``). This
module maps names to engine classes (front ends choose from ``PROTOCOLS``) and
resolves what a person names a protocol by (``resolve_protocol``): a rung's
name, an engine class, or a student's ``path/to/file.py:ClassName``. Every
front end (chat, simulate, the lab, the step-through, the checks) goes through
it, so a student's engine runs the same way everywhere.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Mapping
from pathlib import Path

from labchat import voice
from labchat.protocols.base import Engine
from labchat.protocols.envelope import envelope_class
from labchat.protocols.go_back_n import GoBackNEngine
from labchat.protocols.repaired import RepairedEngine
from labchat.protocols.report import ReportEngine
from labchat.protocols.selective_repeat import SelectiveRepeatEngine
from labchat.protocols.settings import EngineSettings, SettingError
from labchat.protocols.stop_and_wait import StopAndWaitEngine
from labchat.protocols.student import StudentEngine

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

ProtocolLike = str | type[Engine]


def resolve_protocol(protocol: ProtocolLike) -> type[Engine]:
    """The engine class ``protocol`` names; a ``ValueError`` of one clear line otherwise.

    ``protocol`` is a rung's name (``"go-back-n"``), an ``Engine`` subclass, or
    a file of Python with an optional class name: ``"mine.py:MyEngine"``, or
    ``"mine.py"`` when the file defines exactly one engine class.
    """
    if isinstance(protocol, type):
        if issubclass(protocol, Engine) and not inspect.isabstract(protocol):
            return protocol
        raise ValueError(voice.error("not_an_engine", name=protocol.__name__))
    if not isinstance(protocol, str):
        raise ValueError(voice.error("not_a_protocol", kind=type(protocol).__name__))
    if protocol in PROTOCOLS:
        return PROTOCOLS[protocol]
    # The class name follows the last colon, so a Windows drive letter survives.
    path, _, class_name = (protocol, "", "") if protocol.endswith(".py") \
        else protocol.rpartition(":")
    if path.endswith(".py"):
        return load_engine_class(Path(path), class_name or None)
    known = voice.join_list(PROTOCOLS)
    raise ValueError(voice.error("unknown_protocol", protocol=voice.shown(protocol), known=known))


def load_engine_class(path: Path, class_name: str | None = None) -> type[Engine]:
    """Run the Python file ``path`` and return its engine class ``class_name``.

    Without a class name the file must define exactly one engine class. Every
    way this can fail is a ``ValueError`` of one line: no such file, a syntax
    error (with its line), an exception while the file runs, no such class,
    not an engine.
    """
    if not path.is_file():
        raise ValueError(voice.error("no_such_file", path=path))
    module_name = f"labchat_student_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ValueError(voice.error("cannot_load", path=path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look the module up
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise ValueError(voice.error("syntax_error", path=path, line=error.lineno,
                                     error=error.msg)) from None
    except Exception as error:  # the student's file failed: say how, in one line
        raise ValueError(voice.error("failed_loading", path=path, kind=type(error).__name__,
                                     error=error)) from None
    if class_name is None:
        defined = [value for value in vars(module).values()
                   if isinstance(value, type) and issubclass(value, Engine)
                   and value.__module__ == module_name and not inspect.isabstract(value)]
        if len(defined) != 1:
            names = (voice.join_list(sorted(c.__name__ for c in defined))
                     or voice.error("no_engine_class"))
            raise ValueError(voice.error("engine_classes", path=path, count=len(defined),
                                         names=names))
        return defined[0]
    found = getattr(module, class_name, None)
    if found is None:
        raise ValueError(voice.error("no_class", path=path, name=voice.shown(class_name)))
    if not (isinstance(found, type) and issubclass(found, Engine)):
        raise ValueError(voice.error("not_an_engine", name=f"{path}:{class_name}"))
    return resolve_protocol(found)


def protocol_name(protocol: ProtocolLike) -> str:
    """The name a view shows for ``protocol`` (a rung's name or the class's)."""
    return resolve_protocol(protocol).protocol


def engine_class(protocol: ProtocolLike) -> type[Engine]:
    """The engine class of ``protocol``: ``resolve_protocol`` under its older name."""
    return resolve_protocol(protocol)


def create_engine(protocol: ProtocolLike, **settings: object) -> Engine:
    """A fresh engine for ``protocol`` with ``settings`` checked by its declaration.

    A setting the rung does not have, or a value of the wrong type or out of
    range, raises ``SettingError`` (a ``ValueError``) in one line.
    """
    return resolve_protocol(protocol)(**settings)


def create_enveloped(protocol: ProtocolLike, session: int, secret: bytes | None = None,
                     settings: Mapping[str, object] | None = None) -> Engine:
    """``create_engine`` inside the session envelope (see ``envelope``).

    ``session`` is this side's identifier, a random 32-bit number the driver
    draws (``labchat.udp.peer.new_session``): restarts of the partner are
    then noticed. With a shared ``secret`` every datagram is authenticated.
    The report's rung has no envelope (a ``ValueError``).
    """
    wrapped = envelope_class(resolve_protocol(protocol))
    return wrapped(session=session, secret=secret, **(settings or {}))


def parse_settings(protocol: ProtocolLike, texts: Mapping[str, str]) -> dict[str, object]:
    """Settings given as text (``{"window": "8"}``) converted through ``protocol``'s declaration."""
    engine = resolve_protocol(protocol)
    settings_class: type[EngineSettings] = engine.Settings
    return {name: settings_class.parse(name, text, engine.protocol)
            for name, text in texts.items()}


__all__ = ["PROTOCOLS", "Engine", "ProtocolLike", "SettingError", "StudentEngine",
           "create_engine", "create_enveloped", "engine_class", "load_engine_class",
           "parse_settings",
           "protocol_name", "resolve_protocol"]

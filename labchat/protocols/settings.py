"""Engine settings: each rung declares its knobs once, with type, default, range and meaning.

A rung's settings are a frozen dataclass whose fields are made with
``setting()``. That one declaration is what the engine reads, what
``create_engine(protocol, **values)`` checks keyword values against, what the
command line's ``--setting NAME=VALUE`` converts text through, and what the
help lists. Every refusal is a ``SettingError`` (a ``ValueError``) whose
message is one line naming the setting and what it accepts.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Self, get_type_hints

from labchat import voice

#: The report's receive buffer is ``sock.recv(1024)``: a datagram longer than
#: that would be cut silently by the report's client, so labchat refuses it.
REPORT_RECV_BUFFER = 1024
#: The largest UDP payload over IPv4 (65535 - 8 - 20).
MAX_UDP_PAYLOAD = 65507

_WHOLE = re.compile(r"[+-]?[0-9]+")


class SettingError(ValueError):
    """A setting a rung does not have, or a value it does not accept: one line."""


def setting(default: Any, meaning: str, *, low: float, high: float) -> Any:
    """A settings field: its default, a one-line meaning and its inclusive range."""
    return field(default=default, metadata={"meaning": meaning, "low": low, "high": high})


def choice(default: str, meaning: str, *, choices: tuple[str, ...]) -> Any:
    """A settings field that names one of a few forms (the field's type is ``str``)."""
    return field(default=default,
                 metadata={"meaning": meaning, "low": 0, "high": 0, "choices": choices})


def flag(default: bool, meaning: str) -> Any:
    """A settings field that is on or off (its type is ``bool``; range 0-1 for the help)."""
    return field(default=default, metadata={"meaning": meaning, "low": 0, "high": 1})


#: How the command line spells on and off.
_ON = ("on", "true", "yes", "1")
_OFF = ("off", "false", "no", "0")


@dataclass(frozen=True)
class SettingInfo:
    """What one setting accepts, read from its declaration (for checks and help)."""

    name: str
    kind: type  # int, float, bool, or str for a choice
    default: object
    meaning: str
    low: float
    high: float
    choices: tuple[str, ...] = ()  # the names a str setting accepts

    @property
    def expected(self) -> str:
        """``a whole number from 1 to 16``: the words an error and the help use."""
        if self.kind is str:
            return voice.error("one_of", choices=voice.join_list(self.choices))
        if self.kind is bool:
            return voice.error("on_or_off")
        return voice.error("whole_number_from" if self.kind is int else "number_from",
                           low=f"{self.low:g}", high=f"{self.high:g}")

    def refused(self, value: object) -> SettingError:
        """The one-line refusal of ``value``, naming this setting and what it accepts."""
        return SettingError(voice.error("setting_refused", name=self.name,
                                        meaning=voice.setting_meaning(self.meaning),
                                        expected=self.expected, value=value))

    def check(self, value: object) -> int | float | str:
        """``value`` as this setting's type, or a ``SettingError`` naming it."""
        if self.kind is str:
            if value not in self.choices:
                raise self.refused(value)
            return str(value)
        number: int | float | None = None
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            raise self.refused(value)
        if isinstance(value, bool):
            pass  # a bool is an int to Python, never a count or a time
        elif isinstance(value, int):
            number = value if self.kind is int else float(value)
        elif isinstance(value, float) and self.kind is float and math.isfinite(value):
            number = value
        if number is None or not self.low <= number <= self.high:
            raise self.refused(value)
        return number

    def parse(self, text: str) -> int | float | str:
        """Text from the command line, converted and checked."""
        value: object = text
        if self.kind is bool and text.strip().lower() in _ON + _OFF:
            value = text.strip().lower() in _ON
        elif self.kind is int and _WHOLE.fullmatch(text.strip()):
            value = int(text)
        elif self.kind is float:
            with contextlib.suppress(ValueError):  # not a number: refused by check
                value = float(text)
        return self.check(value)


@dataclass(frozen=True)
class EngineSettings:
    """The settings every rung has; a rung with more subclasses this."""

    max_datagram: int = setting(
        REPORT_RECV_BUFFER, voice.SETTING_MEANINGS["max_datagram"],
        low=1, high=MAX_UDP_PAYLOAD)

    def __post_init__(self) -> None:
        for info in self.described():
            object.__setattr__(self, info.name, info.check(getattr(self, info.name)))
        self._check_together()

    def _check_together(self) -> None:
        """Rules that join several settings (a subclass adds its own)."""

    @classmethod
    def described(cls) -> tuple[SettingInfo, ...]:
        """Every setting of this rung, in declaration order."""
        hints = get_type_hints(cls)
        return tuple(
            SettingInfo(f.name, hints[f.name], f.default, f.metadata["meaning"],
                        f.metadata["low"], f.metadata["high"], f.metadata.get("choices", ()))
            for f in fields(cls)
        )

    @classmethod
    def info(cls, name: str, owner: str) -> SettingInfo:
        """One setting's declaration; a ``SettingError`` lists the real ones if unknown."""
        for described in cls.described():
            if described.name == name:
                return described
        known = voice.join_list(described.name for described in cls.described())
        raise SettingError(voice.error("no_setting", owner=owner, name=voice.shown(name),
                                       known=known))

    @classmethod
    def from_values(cls, values: Mapping[str, object], owner: str) -> Self:
        """Settings from keyword values (Python types) for the rung ``owner``, all checked."""
        for name in values:
            cls.info(name, owner)
        return cls(**values)  # type: ignore[arg-type]  # each checked in __post_init__

    @classmethod
    def parse(cls, name: str, text: str, owner: str) -> int | float | str:
        """One ``--setting NAME=VALUE`` of the rung ``owner``, converted and checked."""
        return cls.info(name, owner).parse(text)

"""The ``--setting NAME=VALUE`` flag shared by the commands that build an engine.

Each rung declares its settings once (``labchat.protocols.settings``); this
module splits the repeated flags into names and text and converts each value
through that declaration, so a bad one is a ``ValueError`` of one line naming
the setting and what it accepts (the command prints it and exits 2).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from labchat import voice
from labchat.protocols import PROTOCOLS, parse_settings


def split_setting(text: str) -> tuple[str, str]:
    """``"window=8"`` -> ``("window", "8")``; the value stays text until its type is known."""
    name, equals, value = text.partition("=")
    if not equals or not name.isidentifier():
        raise ValueError(voice.cli("setting_shape", text=voice.shown(text)))
    return name, value


def engine_settings(protocol: str, texts: Iterable[str]) -> dict[str, object]:
    """The ``--setting`` flags of ``protocol`` as typed, checked keyword values."""
    return parse_settings(protocol, dict(split_setting(text) for text in texts))


def add_setting_flag(parser: argparse.ArgumentParser) -> None:
    names = sorted({info.name for engine in PROTOCOLS.values()
                    for info in engine.Settings.described()})
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                        help=voice.cli("setting", names=voice.join_list(names)))

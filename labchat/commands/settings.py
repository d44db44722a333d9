"""The ``--setting NAME=VALUE`` flag shared by the commands that build an engine.

Engines take their settings (timeout, window, seq_bits, ...) as keyword
arguments; this module turns repeated command-line flags into those keywords
and leaves checking them to the engine, which knows its own settings.
"""

from __future__ import annotations

import argparse


def parse_setting(text: str) -> tuple[str, int | float | str]:
    """``"window=8"`` -> ``("window", 8)``; numbers become numbers."""
    name, equals, value = text.partition("=")
    if not equals or not name.isidentifier():
        raise ValueError(f"expected --setting NAME=VALUE, got {text!r}")
    for kind in (int, float):
        try:
            return name, kind(value)
        except ValueError:
            pass
    return name, value


def add_setting_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                        help="an engine setting, e.g. --setting window=8 or "
                             "--setting seq_bits=8 (repeatable)")

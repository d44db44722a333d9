"""The ``--protocol`` flag shared by the commands that build an engine.

It takes a rung's name or a student's ``FILE.py:CLASS`` and resolves it once,
through ``labchat.protocols.resolve_protocol``, so a bad value (an unknown
name, a missing file, a file that fails to load, a class that is not an
engine) is one usage line and exit status 2, like any other bad flag.
"""

from __future__ import annotations

import argparse

from labchat import voice
from labchat.protocols import PROTOCOLS, resolve_protocol
from labchat.protocols.base import Engine


def engine_class(text: str) -> type[Engine]:
    try:
        return resolve_protocol(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_protocol_flag(parser: argparse.ArgumentParser, default: str = "report") -> None:
    parser.add_argument(
        "--protocol", type=engine_class, default=PROTOCOLS[default], metavar="PROTOCOL",
        help=voice.cli("protocol", protocols=voice.join_list(PROTOCOLS), default=default))

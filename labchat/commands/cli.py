"""The ``labchat`` command line: one sub-command per module in ``labchat.commands``.

This module only builds the argument parser and dispatches; each command owns
its flags and its behaviour. Usage errors are one line on stderr and exit
status 2, never a traceback; Ctrl-C at any moment of a command is exit
status 130, never a traceback (a command that has something to report first
catches it itself).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from labchat.commands import chat, grade, relay, simulate, wireshark
from labchat.commands.status import INTERRUPTED


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are a single line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


#: What ``labchat --help`` says first: plain text, not the docstring's markup.
DESCRIPTION = ("labchat: chat over UDP with the student report's protocol or a textbook "
               "one, through an impairing relay; simulate the cost; read captures in "
               "Wireshark; grade a class's own protocols.")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="labchat", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    for command in (chat, relay, simulate, wireshark, grade):
        command.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        status: int = args.run(args)
    except KeyboardInterrupt:
        return INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (``| head``): stop quietly, and
        # keep the interpreter's final flush from failing too (Python's
        # signal docs' recipe).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())

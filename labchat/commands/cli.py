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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NoReturn

from labchat import voice
from labchat.commands import chat, grade, relay, simulate, wireshark
from labchat.commands.status import INTERRUPTED


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are a single line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, voice.cli_error(self.prog, message) + "\n")


LANG_FLAG = "--lang"


@contextmanager
def argparse_in_our_words() -> Iterator[None]:
    """argparse speaks labchat's language while the parser is built and used.

    argparse words its headings ("usage:", "options"), its help flag and its
    usage errors through the names ``_`` and ``ngettext`` it imports from
    ``gettext`` into its own module, and looks each word up at the moment it
    says it. Those read gettext's process-wide domain in the language of
    ``$LANGUAGE``/``$LANG``, not ``--lang`` or ``$LABCHAT_LANG``; so for the
    parse only, those two names are bound to labchat's catalogue (which
    carries argparse's words, ``voice.ARGPARSE_WORDS``), and put back after:
    no environment variable and no process-wide domain is changed.
    """
    saved = {name: getattr(argparse, name) for name in ("_", "ngettext")}
    setattr(argparse, "_", voice.argparse_gettext)  # noqa: B010 - a private name, on purpose
    setattr(argparse, "ngettext", voice.argparse_ngettext)  # noqa: B010
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(argparse, name, value)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="labchat", description=voice.cli_description())
    _add_lang_flag(parser)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    for command in (chat, relay, simulate, wireshark, grade):
        command.add_parser(commands)
    for subparser in commands.choices.values():
        # Accepted after the command too (``labchat chat --lang fa ...``).
        _add_lang_flag(subparser, default=argparse.SUPPRESS)
    return parser


def _add_lang_flag(parser: argparse.ArgumentParser, default: object = None) -> None:
    parser.add_argument(LANG_FLAG, choices=voice.languages(), default=default,
                        metavar="|".join(voice.languages()), help=voice.cli_lang_help())


def language_asked(argv: Sequence[str]) -> str | None:
    """The ``--lang`` among ``argv``, if any, read before the parser is built.

    The parser's own help and errors are in that language, so it must be
    known before the parser exists; the full parser then checks the value.
    """
    early = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    early.add_argument(LANG_FLAG)
    known, _ = early.parse_known_args(list(argv))
    code: str | None = known.lang
    return code if code in voice.languages() else None


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    code = language_asked(argv)
    if code is not None:
        voice.set_language(code)
    try:
        with argparse_in_our_words():
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

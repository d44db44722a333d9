"""``labchat wireshark``: where labchat's Wireshark dissector is, and installing it.

Without flags it prints the path of the dissector shipped in the package
(for ``tshark -X lua_script:PATH``); ``--install`` copies it into the user's
personal Lua plugins folder (or ``--folder``) and says where. A folder that
cannot be written is one line on stderr and exit status 1.

It also owns the ``--pcap FILE`` flag that ``relay``, ``chat`` and
``simulate`` share, and how they report the capture they wrote.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from labchat import voice
from labchat.wireshark import DISSECTOR, install, plugin_folder


def add_parser(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "wireshark", help=voice.cli("wireshark"), description=voice.cli("wireshark_description"))
    parser.add_argument("--install", action="store_true",
                        help=voice.cli("install", folder=plugin_folder()))
    parser.add_argument("--folder", type=Path, default=None,
                        help=voice.cli("folder"))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.install:
        print(DISSECTOR)
        return 0
    try:
        target = install(args.folder)
    except OSError as error:
        print(voice.command_error("wireshark", voice.cli("cannot_install", error=error)),
              file=sys.stderr)
        return 1
    print(voice.cli("installed", path=target))
    return 0


def add_pcap_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pcap", type=Path, default=None, metavar="FILE",
                        help=voice.cli("pcap"))


def save_capture(command: str, save: Callable[[Path], Path], path: Path | None) -> int:
    """Write the capture if ``--pcap`` asked for one; 0, or 1 with one line if it failed."""
    if path is None:
        return 0
    try:
        written = save(path)
    except OSError as error:
        print(voice.command_error(command, voice.cli("cannot_write_capture", error=error)),
              file=sys.stderr)
        return 1
    print(voice.cli("capture_written", command=command, path=written), file=sys.stderr)
    return 0

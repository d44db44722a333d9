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

from labchat.wireshark import DISSECTOR, install, plugin_folder


def add_parser(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "wireshark", help="install the Wireshark dissector for labchat captures",
        description="Wireshark decodes labchat captures (--pcap FILE) with labchat's Lua "
                    "dissector. Without flags, print where the dissector is.")
    parser.add_argument("--install", action="store_true",
                        help=f"copy it into Wireshark's plugins folder ({plugin_folder()})")
    parser.add_argument("--folder", type=Path, default=None,
                        help="install into this folder instead")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.install:
        print(DISSECTOR)
        return 0
    try:
        target = install(args.folder)
    except OSError as error:
        print(f"labchat wireshark: error: cannot install the dissector: {error}", file=sys.stderr)
        return 1
    print(f"installed the labchat dissector as {target}; restart Wireshark to load it")
    return 0


def add_pcap_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pcap", type=Path, default=None, metavar="FILE",
                        help="at the end, write every datagram to FILE as a pcapng capture "
                             "(open it in Wireshark after 'labchat wireshark --install')")


def save_capture(command: str, save: Callable[[Path], Path], path: Path | None) -> int:
    """Write the capture if ``--pcap`` asked for one; 0, or 1 with one line if it failed."""
    if path is None:
        return 0
    try:
        written = save(path)
    except OSError as error:
        print(f"labchat {command}: error: cannot write the capture: {error}", file=sys.stderr)
        return 1
    print(f"{command}: capture written to {written}", file=sys.stderr)
    return 0

"""``labchat wireshark``: where labchat's Wireshark dissector is, and installing it.

Without flags it prints the path of the dissector shipped in the package
(for ``tshark -X lua_script:PATH``); ``--install`` copies it into the user's
personal Lua plugins folder (or ``--folder``) and says where. A folder that
cannot be written is one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import sys
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

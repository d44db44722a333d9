"""``labchat chat``: placeholder, replaced by the chat command."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser("chat", help="chat with a peer")
    parser.set_defaults(run=lambda args: 0)

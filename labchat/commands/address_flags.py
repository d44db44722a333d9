"""The argparse types of the address flags every socket-owning command shares.

``address`` reads ``HOST:PORT`` (``--peer``, ``--a``, ``--b``) and ``listen``
reads ``HOST:PORT`` or ``fd:N`` (``--listen``, ``--listen-a``, ``--listen-b``),
each keeping the parser's own one-line message as argparse's usage error.
"""

from __future__ import annotations

import argparse

from labchat.udp.peer import Address, Listen, parse_address, parse_listen


def address(text: str) -> Address:
    """``HOST:PORT`` for argparse, keeping ``parse_address``'s clear message."""
    try:
        return parse_address(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def listen(text: str) -> Listen:
    """``HOST:PORT`` or ``fd:N`` (an inherited bound UDP socket) for argparse."""
    try:
        return parse_listen(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None

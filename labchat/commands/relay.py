"""``labchat relay``: an impairing UDP middlebox between two peers, as a process.

Starts a ``UdpRelay`` with the impairments from the flags, prints its two
listen addresses on stderr, and runs until end of input on stdin, Ctrl-C or
SIGTERM (with stdin from a file or /dev/null, until a signal); then it prints
a one-line summary on stderr. With ``--jsonl`` each decision (and nothing
else) is printed on stdout as one JSON object per line, from the main thread.
Times on the command line are milliseconds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import selectors
import signal
import socket
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from labchat import voice
from labchat.commands.address_flags import address, listen
from labchat.commands.status import INTERRUPTED, USAGE
from labchat.commands.wireshark import add_pcap_flag, save_capture
from labchat.pcap import save_wire
from labchat.sim.channel import Impairment, ImpairmentModel
from labchat.trace import Side
from labchat.udp.peer import (
    Address,
    format_address,
    numeric_address,
    wall_clock_offset,
)
from labchat.udp.relay import KEEP, UdpRelay

#: How often the main thread looks for end of input, a signal and new decisions.
TICK = 0.1


def add_parser(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "relay", help=voice.cli("relay"), description=voice.cli("relay_description"))
    parser.add_argument("--a", type=address, required=True, metavar="HOST:PORT",
                        help=voice.cli("peer_a"))
    parser.add_argument("--b", type=address, required=True, metavar="HOST:PORT",
                        help=voice.cli("peer_b"))
    parser.add_argument("--listen-a", type=listen, default=("127.0.0.1", 0),
                        metavar="HOST:PORT|fd:N", help=voice.cli("listen_a"))
    parser.add_argument("--listen-b", type=listen, default=("127.0.0.1", 0),
                        metavar="HOST:PORT|fd:N", help=voice.cli("listen_b"))
    parser.add_argument("--loss", type=float, default=0.0, help=voice.cli("loss"))
    parser.add_argument("--duplicate", type=float, default=0.0,
                        help=voice.cli("duplicate"))
    parser.add_argument("--reorder", type=float, default=0.0,
                        help=voice.cli("reorder"))
    parser.add_argument("--corrupt", type=float, default=0.0, help=voice.cli("corrupt"))
    parser.add_argument("--delay", type=float, default=0.0, help=voice.cli("delay"))
    parser.add_argument("--jitter", type=float, default=0.0, help=voice.cli("jitter"))
    parser.add_argument("--seed", type=int, default=0, help=voice.cli("seed"))
    parser.add_argument("--jsonl", action="store_true", help=voice.cli("relay_jsonl"))
    add_pcap_flag(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    sockets = [flag for flag in (args.listen_a, args.listen_b) if isinstance(flag, socket.socket)]
    if len(sockets) == 2 and sockets[0].fileno() == sockets[1].fileno():
        # One socket cannot face both peers: the relay tells them apart by socket.
        print(voice.command_error("relay", voice.error("fd_twice", fd=sockets[0].fileno())),
              file=sys.stderr)
        sockets[1].detach()
        return USAGE
    try:
        impairment = Impairment(loss=args.loss, duplicate=args.duplicate, reorder=args.reorder,
                                corrupt=args.corrupt, delay=args.delay / 1000,
                                jitter=args.jitter / 1000)
    except ValueError as error:
        print(voice.command_error("relay", error), file=sys.stderr)
        return USAGE
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        # A capture needs every record, whole; otherwise memory stays bounded.
        keep = None if args.pcap else KEEP
        with UdpRelay(args.a, args.b, listen_a=args.listen_a, listen_b=args.listen_b,
                      model=ImpairmentModel(impairment, seed=args.seed, keep=keep),
                      keep=keep, keep_payloads=args.pcap is not None) as relay:
            print(voice.cli("relay_ready", a=format_address(relay.listen_a_address),
                            b=format_address(relay.listen_b_address)),
                  file=sys.stderr, flush=True)
            logged = _serve(relay, stop, jsonl=args.jsonl)
            fates = relay.fates
        print(voice.cli("relay_done", decided=logged, forwarded=fates["delivered"],
                        dropped=fates["dropped"]), file=sys.stderr)
        return save_capture("relay", lambda path: _save_pcap(relay, args, path), args.pcap)
    except OSError as error:
        print(voice.command_error("relay", error), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def _save_pcap(relay: UdpRelay, args: argparse.Namespace, path: Path) -> Path:
    """The relay's records as a capture: A's and B's own addresses, wall-clock times.

    The relay forwards bytes without knowing the rung: the dissector
    recognises each datagram by its form.
    """
    addresses: dict[Side, Address] = {"A": numeric_address(args.a), "B": numeric_address(args.b)}
    return save_wire(path, relay.records(), None, addresses=addresses,
                     epoch=wall_clock_offset())


def _serve(relay: UdpRelay, stop: threading.Event, *, jsonl: bool) -> int:
    """Wait for end of input or ``stop``; log decisions as they come. Returns how many."""
    logged = 0
    with selectors.DefaultSelector() as selector:
        # A terminal or a pipe can be watched for end of input. A file or
        # /dev/null cannot (and would end at once): then only a signal stops us,
        # so ``labchat relay ... </dev/null &`` runs as a background service.
        with contextlib.suppress(ValueError, OSError, AttributeError):
            selector.register(sys.stdin.fileno(), selectors.EVENT_READ)
        while not stop.is_set():
            for _key, _ in selector.select(TICK):
                if not os.read(sys.stdin.fileno(), 4096):
                    stop.set()
            logged = _log_new(relay, logged, jsonl=jsonl)
        return _log_new(relay, logged, jsonl=jsonl)


def _log_new(relay: UdpRelay, logged: int, *, jsonl: bool) -> int:
    """Print the decisions made since the first ``logged``; returns how many there are now.

    The relay keeps the newest decisions only, thousands more than one tick makes.
    """
    decided = relay.decided()
    if jsonl and decided > logged:
        for decision in relay.decisions()[-(decided - logged):]:
            print(json.dumps(decision.to_dict()), flush=True)
    return decided

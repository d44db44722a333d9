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
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from labchat import voice
from labchat.commands.status import INTERRUPTED, USAGE
from labchat.commands.wireshark import add_pcap_flag, save_capture
from labchat.pcap import save_wire
from labchat.sim.channel import Impairment, ImpairmentModel
from labchat.trace import Side
from labchat.udp.peer import (
    Address,
    format_address,
    numeric_address,
    parse_address,
    wall_clock_offset,
)
from labchat.udp.relay import KEEP, UdpRelay

#: How often the main thread looks for end of input, a signal and new decisions.
TICK = 0.1


def add_parser(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "relay", help="forward UDP between two peers through an unreliable network",
        description="Datagrams arriving on --listen-a go out of the --listen-b socket to --b, "
                    "and the other way round, each one lost, duplicated, reordered, "
                    "corrupted or delayed as the flags say. Runs until end of input, "
                    "Ctrl-C or SIGTERM.")
    parser.add_argument("--a", type=address, required=True, metavar="HOST:PORT",
                        help="peer A's address")
    parser.add_argument("--b", type=address, required=True, metavar="HOST:PORT",
                        help="peer B's address")
    parser.add_argument("--listen-a", type=address, default=("127.0.0.1", 0),
                        metavar="HOST:PORT", help="where A sends (default: a free port)")
    parser.add_argument("--listen-b", type=address, default=("127.0.0.1", 0),
                        metavar="HOST:PORT", help="where B sends (default: a free port)")
    parser.add_argument("--loss", type=float, default=0.0, help="probability a datagram is lost")
    parser.add_argument("--duplicate", type=float, default=0.0,
                        help="probability a datagram arrives twice")
    parser.add_argument("--reorder", type=float, default=0.0,
                        help="probability a datagram is held back and overtaken")
    parser.add_argument("--corrupt", type=float, default=0.0,
                        help=voice.cli_corrupt_help())
    parser.add_argument("--delay", type=float, default=0.0, help="one-way delay in ms")
    parser.add_argument("--jitter", type=float, default=0.0, help="extra random delay, ms")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random impairments")
    parser.add_argument("--jsonl", action="store_true", help="log each decision on stdout")
    add_pcap_flag(parser)
    parser.set_defaults(run=run)


def address(text: str) -> Address:
    """``HOST:PORT`` for argparse, keeping ``parse_address``'s clear message."""
    try:
        return parse_address(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    try:
        impairment = Impairment(loss=args.loss, duplicate=args.duplicate, reorder=args.reorder,
                                corrupt=args.corrupt, delay=args.delay / 1000,
                                jitter=args.jitter / 1000)
    except ValueError as error:
        print(f"labchat relay: error: {error}", file=sys.stderr)
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
            print(f"relay: A sends to {format_address(relay.listen_a_address)}, "
                  f"B sends to {format_address(relay.listen_b_address)}",
                  file=sys.stderr, flush=True)
            logged = _serve(relay, stop, jsonl=args.jsonl)
            fates = relay.fates
        print(f"relay: {logged} datagrams decided, {fates['delivered']} forwarded, "
              f"{fates['dropped']} dropped", file=sys.stderr)
        return save_capture("relay", lambda path: _save_pcap(relay, args, path), args.pcap)
    except OSError as error:
        print(f"labchat relay: error: {error}", file=sys.stderr)
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

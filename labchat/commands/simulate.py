"""``labchat simulate``: run a protocol over a simulated network and print its cost.

Parses flags, calls ``labchat.sim.simulate`` and prints a readable table, or
one JSON object with ``--json``. Times on the command line are milliseconds,
as for ``labchat relay``. Bad values are one line on stderr and exit status 2.
Floats are shown to ``DISPLAY_DIGITS`` significant digits: the simulator's
sums carry binary noise (``49.69999999999961``) that says nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from labchat import voice
from labchat.commands.protocol_flag import add_protocol_flag
from labchat.commands.settings import add_setting_flag, engine_settings
from labchat.commands.status import USAGE
from labchat.commands.wireshark import add_pcap_flag, save_capture
from labchat.sim.simulator import Stats, run_simulation


def add_parser(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "simulate", help="run a protocol over a simulated unreliable network and count the cost",
        description="Offer MESSAGES messages to two engines joined by a virtual network "
                    "with the given impairments, run until quiet, print the statistics.")
    add_protocol_flag(parser)
    parser.add_argument("--messages", type=int, default=100, help="messages per direction")
    parser.add_argument("--loss", type=float, default=0.0, help="probability a datagram is lost")
    parser.add_argument("--duplicate", type=float, default=0.0,
                        help="probability a datagram arrives twice")
    parser.add_argument("--reorder", type=float, default=0.0,
                        help="probability a datagram is held back and overtaken")
    parser.add_argument("--corrupt", type=float, default=0.0,
                        help=voice.cli_corrupt_help())
    parser.add_argument("--delay", type=float, default=50.0, help="one-way delay in ms")
    parser.add_argument("--jitter", type=float, default=0.0, help="extra random delay, ms")
    parser.add_argument("--interval", type=float, default=0.0,
                        help="ms between one user's messages (0: all at once)")
    parser.add_argument("--rate", type=float, default=None, metavar="BYTES_PER_S",
                        help="the link's rate in bytes per second (default: sending takes "
                             "no time); reports the sender's utilization")
    parser.add_argument("--size", type=int, default=0, metavar="BYTES",
                        help="pad each message's text to BYTES bytes")
    parser.add_argument("--both-ways", action="store_true", help="both users send")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random impairments")
    add_setting_flag(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_pcap_flag(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = engine_settings(args.protocol, args.setting)
        # Records are kept only for a capture: a long run without one stays lean.
        result = run_simulation(
            args.protocol, args.messages, loss=args.loss, duplicate=args.duplicate,
            reorder=args.reorder, corrupt=args.corrupt, delay=args.delay / 1000,
            jitter=args.jitter / 1000,
            seed=args.seed, both_ways=args.both_ways, interval=args.interval / 1000,
            rate=args.rate, size=args.size, settings=settings, record=args.pcap is not None,
        )
    except ValueError as error:
        # Unknown protocol or setting, out-of-range probability: a usage error.
        print(f"labchat simulate: error: {error}", file=sys.stderr)
        return USAGE
    stats = result.stats
    print(json.dumps(rounded(stats.to_dict())) if args.json else table(stats))
    return save_capture("simulate", result.save_pcap, args.pcap)


#: Significant digits of a float in ``--json``: far more than a virtual-time
#: simulation measures, few enough to hide floating-point noise.
DISPLAY_DIGITS = 6


def rounded(rows: dict[str, Any]) -> dict[str, Any]:
    """``rows`` with every float cut to ``DISPLAY_DIGITS`` significant digits."""
    return {name: float(f"{value:.{DISPLAY_DIGITS}g}") if isinstance(value, float) else value
            for name, value in rows.items()}


def table(stats: Stats) -> str:
    """The statistics as aligned ``name  value`` lines."""
    rows = stats.to_dict()
    width = max(len(name) for name in rows)
    lines = []
    for name, value in rows.items():
        if isinstance(value, float):
            value = f"{value:.4g}"
        elif value is None:
            value = "-"
        lines.append(f"{name.replace('_', ' '):<{width}}  {value}")
    return "\n".join(lines)

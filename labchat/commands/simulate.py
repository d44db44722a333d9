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
        "simulate", help=voice.cli("simulate"), description=voice.cli("simulate_description"))
    add_protocol_flag(parser)
    parser.add_argument("--messages", type=int, default=100, help=voice.cli("messages"))
    parser.add_argument("--loss", type=float, default=0.0, help=voice.cli("loss"))
    parser.add_argument("--duplicate", type=float, default=0.0,
                        help=voice.cli("duplicate"))
    parser.add_argument("--reorder", type=float, default=0.0,
                        help=voice.cli("reorder"))
    parser.add_argument("--corrupt", type=float, default=0.0, help=voice.cli("corrupt"))
    parser.add_argument("--delay", type=float, default=50.0, help=voice.cli("delay"))
    parser.add_argument("--jitter", type=float, default=0.0, help=voice.cli("jitter"))
    parser.add_argument("--interval", type=float, default=0.0,
                        help=voice.cli("interval"))
    parser.add_argument("--rate", type=float, default=None, metavar="BYTES_PER_S",
                        help=voice.cli("rate"))
    parser.add_argument("--size", type=int, default=0, metavar="BYTES",
                        help=voice.cli("size"))
    parser.add_argument("--both-ways", action="store_true", help=voice.cli("both_ways"))
    parser.add_argument("--seed", type=int, default=0, help=voice.cli("seed"))
    add_setting_flag(parser)
    parser.add_argument("--json", action="store_true", help=voice.cli("json"))
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
        print(voice.command_error("simulate", error), file=sys.stderr)
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
    rows = {voice.stat_name(key): value for key, value in stats.to_dict().items()}
    width = max(len(name) for name in rows)
    lines = []
    for name, value in rows.items():
        if isinstance(value, float):
            value = f"{value:.4g}"
        elif isinstance(value, bool):
            value = voice.state_value(value)
        elif value is None:
            value = "-"
        lines.append(f"{name:<{width}}  {value}")
    return "\n".join(lines)

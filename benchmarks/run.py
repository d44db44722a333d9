"""``make bench``: every figure of labchat's speed table, as ratios to same-run baselines.

Runs each group of benchmarks (the simulator, real UDP peers, the chat lab),
prints one table, and with ``--results PATH`` writes it as Markdown with the
machine and the date (``benchmarks/RESULTS.md``, which the README quotes).
``--quick`` runs every benchmark at a tiny size: the test suite does that to
prove the scripts still run, and its figures mean nothing.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks import bench_lab, bench_simulator, bench_udp
from benchmarks.timing import Figure, machine

GROUPS: dict[str, Callable[[bool], list[Figure]]] = {
    "simulator": bench_simulator.figures,
    "udp": bench_udp.figures,
    "lab": bench_lab.figures,
}


def verdict(figure: Figure) -> str:
    return {True: "met", False: "NOT met", None: ""}[figure.met]


def table(figures: list[Figure]) -> str:
    lines = ["| figure | measured | target | | note |", "|---|---|---|---|---|"]
    for figure in figures:
        lines.append(f"| {figure.name.strip()} | {figure.value} | {figure.target} | "
                     f"{verdict(figure)} | {figure.note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument("--results", type=Path, help="write the table as Markdown here")
    parser.add_argument("--only", choices=sorted(GROUPS), action="append",
                        help="run only this group (repeatable)")
    args = parser.parse_args(argv)
    # Other work on the machine shows in every timing: the load is written beside them.
    load_before = os.getloadavg()[0]
    figures: list[Figure] = []
    for name, group in GROUPS.items():
        if args.only and name not in args.only:
            continue
        print(f"-- {name}", flush=True)
        for figure in group(args.quick):
            figures.append(figure)
            print(f"{figure.name:<100} {figure.value:>12} {figure.target:<28} "
                  f"{verdict(figure):<8} {figure.note}", flush=True)
    if args.results is not None:
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
        args.results.write_text(
            "# labchat benchmark results\n\n"
            f"Written by `make bench` on {stamp}; machine: {machine()}; load average "
            f"(1 min) {load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end.\n"
            "Every figure is a ratio to a baseline measured in the same run (warm, "
            "interleaved, median of several); see `benchmarks/timing.py`.\n\n"
            f"{table(figures)}\n", encoding="utf-8")
        print(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

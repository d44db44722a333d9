"""How fast the simulator runs each protocol, as ratios to a baseline of the same run.

Absolute seconds depend on the machine and on whatever else it is doing, so
this prints each protocol's throughput relative to the ``report`` rung on a
perfect link, measured a moment earlier in the same process. It asserts
nothing: run it with ``make bench`` and read the table.
"""

from __future__ import annotations

import time

from labchat.protocols import PROTOCOLS
from labchat.sim.simulator import simulate

MESSAGES = 20_000
LOSSES = (0.0, 0.1, 0.3)


def seconds_for(protocol: str, loss: float) -> float:
    """Best of three runs: the least disturbed by the rest of the machine."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        simulate(protocol, MESSAGES, loss=loss, seed=1)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    baseline = seconds_for("report", 0.0)
    print(f"baseline: report, {MESSAGES} messages, no loss: "
          f"{MESSAGES / baseline:,.0f} messages/s")
    print(f"{'protocol':<18} {'loss':>5} {'time / baseline':>16} {'messages/s':>12}")
    for protocol in PROTOCOLS:
        for loss in LOSSES:
            elapsed = seconds_for(protocol, loss)
            print(f"{protocol:<18} {loss:>5.0%} {elapsed / baseline:>16.2f} "
                  f"{MESSAGES / elapsed:>12,.0f}")


if __name__ == "__main__":
    main()

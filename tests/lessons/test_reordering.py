"""The alternating bit assumes a network that does not reorder (K&R 3.4.1).

Over a network that duplicates and holds copies back, a stale copy arrives
carrying the bit the receiver expects next and is delivered as a new
message; a stale ACK with the right bit completes a message that was lost,
which is then never resent and never given up. Sixteen-bit numbers, on the
same network with the same seed, deliver every message exactly once.
"""

from __future__ import annotations

from typing import Any

from labchat.sim.simulator import simulate

NETWORK: dict[str, Any] = {"duplicate": 0.2, "reorder": 0.2, "delay": 0.05, "seed": 1,
                           "interval": 0.02}


def test_the_alternating_bit_delivers_stale_copies_as_new_and_loses_silently() -> None:
    run = simulate("stop-and-wait", 200, settings={"seq_bits": 1}, **NETWORK)
    assert (run.delivered, run.duplicates_delivered) == (197, 3)
    assert (run.lost, run.gave_up) == (3, 0)  # lost, and the sender never said so


def test_sixteen_bit_numbers_tell_the_stale_copy_from_the_new_message() -> None:
    run = simulate("stop-and-wait", 200, settings={"seq_bits": 16}, **NETWORK)
    assert (run.delivered, run.duplicates_delivered, run.lost, run.gave_up) == (200, 0, 0, 0)

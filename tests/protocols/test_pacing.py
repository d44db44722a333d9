"""Selective Repeat's large windows do not collapse: pacing and queue-aware timers.

On a virtual clock, a link that carries about 1,000 datagrams a second stands
for a receiver that drains its queue that fast (what a busy machine's
loopback does), so a window of 1,024 takes about a second to drain: five
times the 0.2 s timeout.
"""

from __future__ import annotations

import pytest

from labchat.events import Event, MessageDelivered, MessageSent
from labchat.protocols import create_engine, selective_repeat
from labchat.protocols.selective_repeat import PACE_FLOOR
from labchat.sim.channel import Impairment, ImpairmentModel
from labchat.sim.network import VirtualNetwork
from labchat.sim.simulator import Stats, simulate
from labchat.trace import Side


def slow(window: int) -> Stats:
    """5,000 messages of 100 bytes on a 100 kB/s link: about 1,000 a second."""
    return simulate("selective-repeat", 5_000, settings={"window": window}, delay=0.01,
                    rate=100_000.0, size=100)


def test_a_large_window_into_a_slow_receiver_is_paced_and_nothing_is_resent() -> None:
    stats = slow(1024)
    assert stats.delivered == 5_000 and stats.duplicates_delivered == 0
    assert stats.resends == 0 and stats.gave_up == 0


def test_the_same_window_unpaced_collapses_into_resends(monkeypatch: pytest.MonkeyPatch) -> None:
    # What the pacing prevents: the textbook's rules at this window (no pacing
    # below the floor) resend most of the window again and again.
    monkeypatch.setattr(selective_repeat, "PACE_FLOOR", 1 << 16)
    stats = slow(1024)
    assert stats.delivered == 5_000
    assert stats.resends > 5_000


def sent_at_zero(window: int) -> int:
    network = VirtualNetwork(create_engine("selective-repeat", window=window),
                             create_engine("selective-repeat", window=window),
                             ImpairmentModel(Impairment(delay=0.01)))
    network.schedule_sends((0.0, "A", f"m{i}") for i in range(2 * window))
    network.run(until=0.0)
    return sum(isinstance(e, MessageSent) for e in network.events["A"])


def test_a_textbook_window_goes_out_whole_and_a_larger_one_starts_at_the_floor() -> None:
    assert sent_at_zero(PACE_FLOOR) == PACE_FLOOR
    assert sent_at_zero(4 * PACE_FLOOR) == PACE_FLOOR


def test_the_ack_clock_opens_a_paced_window_beyond_the_floor() -> None:
    network = VirtualNetwork(create_engine("selective-repeat", window=1024),
                             create_engine("selective-repeat", window=1024),
                             ImpairmentModel(Impairment(delay=0.01)))
    network.schedule_sends((0.0, "A", f"m{i}") for i in range(2_000))
    network.run(until=0.1)  # five round trips, no loss
    in_flight = network.engines["A"].unfinished() - network.engines["A"].queued()
    assert in_flight > PACE_FLOOR


def run_in_order(window: int, messages: int, model: ImpairmentModel,
                 **settings: object) -> tuple[VirtualNetwork, list[str]]:
    delivered: list[str] = []

    def listen(side: Side, event: Event) -> None:
        if side == "B" and isinstance(event, MessageDelivered):
            delivered.append(event.text)

    network = VirtualNetwork(create_engine("selective-repeat", window=window, **settings),
                             create_engine("selective-repeat", window=window, **settings),
                             model, record=False, listener=listen)
    network.schedule_sends((0.0, "A", f"m{i}") for i in range(messages))
    network.run()
    return network, delivered


def test_a_lost_message_of_a_paced_window_is_resent_once_a_later_one_is_acknowledged() -> None:
    model = ImpairmentModel(Impairment(delay=0.01))
    model.drop_number("A->B", 10)
    network, delivered = run_in_order(256, 300, model)
    assert delivered == [f"m{i}" for i in range(300)]
    assert network.sent_by_kind["resend"] == 1


def test_the_last_message_lost_is_resent_after_the_acks_stop() -> None:
    model = ImpairmentModel(Impairment(delay=0.01))
    model.drop_number("A->B", 100)  # nothing is sent after it
    network, delivered = run_in_order(256, 100, model)
    assert delivered == [f"m{i}" for i in range(100)]
    assert network.sent_by_kind["resend"] == 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_paced_window_over_a_lossy_slow_link_delivers_exactly_once_in_order(seed: int) -> None:
    model = ImpairmentModel(Impairment(loss=0.1, duplicate=0.05, reorder=0.05, delay=0.01,
                                       jitter=0.005, rate=20_000.0), seed=seed)
    _, delivered = run_in_order(512, 2_000, model, max_retries=30)
    assert delivered == [f"m{i}" for i in range(2_000)]

"""Forged datagrams that no genuine peer could send are rejected, not acted on.

Each case is one the "hostile network" review found losing messages: an
acknowledgement for a message never sent, data beyond the receive window, a
skip mark beyond a window from its own number, and a skip of +30000. On a
virtual clock, each forgery must become one visible ``rejected`` event,
leave the engine's state as it was, and the real conversation must then
deliver everything exactly once with nothing given up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from labchat.events import DatagramRejected
from labchat.protocols import create_engine
from labchat.protocols.arq import SKIP_WINDOWS, seal
from labchat.protocols.base import Engine
from tests.protocols.engine_pair import Pair, assert_exactly_once_in_order

QUICK: dict[str, Any] = {"timeout": 0.25, "max_timeout": 1.0, "max_retries": 3}

#: Every ladder rung whose numbers can tell an old value from an impossible
#: one (the alternating bit cannot: see ``arq._check_possible``).
RUNGS: dict[str, Callable[[], Engine]] = {
    "stop-and-wait[seq_bits=16]": lambda: create_engine("stop-and-wait", seq_bits=16, **QUICK),
    "go-back-n[window=4]": lambda: create_engine("go-back-n", window=4, **QUICK),
    "selective-repeat[window=4]": lambda: create_engine("selective-repeat", window=4, **QUICK),
}

FORGERIES = {
    "ack of a message never sent": (b"A 7", "ack 7 names message 7, but the last one sent is"),
    "data riding an impossible ack": (b"D 0 9 FORGED", "ack 9 names message 9"),
    "a selective ack naming messages never sent": (b"A -:5-9", "ack 9 names message 9"),
    "data far beyond the window": (b"D 40 - FORGED", "message 40 is beyond the receive window"),
    "skip of +30000": (b"S 30000 - 30000 FORGED", "a skip of 30000 messages is more than"),
    "skip mark a window behind its data": (b"S 9 - 1 FORGED", "seq 9 is not within a window"),
}


def conversation_with_a_forgery(make: Callable[[], Engine], forged: bytes) -> Pair:
    """a has two messages in flight and b has one in flight when the forgery reaches a."""
    p = Pair(make)
    p.send("a", "one")
    p.send("a", "two")
    p.send("b", "reply")
    p.deliver(0)  # b has "one": its ack and "reply" are on their way back
    before = dict(p.engines["a"].snapshot())
    p.inject("a", seal(forged))  # the checksum is no secret: a forger computes it too
    assert p.engines["a"].snapshot() == before
    return p


@pytest.mark.parametrize("rung", RUNGS)
@pytest.mark.parametrize("case", FORGERIES)
def test_an_impossible_forgery_is_rejected_and_loses_nothing(rung: str, case: str) -> None:
    forged, reason = FORGERIES[case]
    p = conversation_with_a_forgery(RUNGS[rung], forged)
    (event,) = p.of("a", DatagramRejected)
    assert isinstance(event, DatagramRejected)
    assert reason in event.reason
    p.settle()
    assert_exactly_once_in_order(p)
    assert p.delivered("a") == ["reply"]


def test_the_skip_limit_is_what_the_sender_itself_obeys() -> None:
    # Give-up after give-up with a silent peer stops at the same limit the
    # receiver enforces: the sender goes out of step (visibly) instead.
    engine = create_engine("go-back-n", window=2, **QUICK)
    assert engine.max_skip == SKIP_WINDOWS * 2  # type: ignore[attr-defined]
    p = Pair(lambda: create_engine("go-back-n", window=2, **QUICK))
    for n in range(SKIP_WINDOWS * 2 + 4):
        p.send("a", f"m{n}")
    p.drop_everything()
    assert p.engines["a"].snapshot()["out of step"] is True
    p.send("a", "after")
    p.settle()
    assert p.gave_up("a")[-1].text == "after"
    assert p.of("b", DatagramRejected) == []

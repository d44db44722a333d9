"""A recorded run takes the rung's settings and says when each message was delivered."""

from __future__ import annotations

import pytest

from labchat.protocols.settings import SettingError
from labchat.sim.channel import Impairment
from labchat.sim.recording import Recording


def test_settings_go_to_both_engines() -> None:
    run = Recording("go-back-n", settings={"window": 2, "fast_retransmit": True})
    assert all(engine.snapshot()["window"] == 2 for engine in run.engines.values())
    with pytest.raises(SettingError):
        Recording("go-back-n", settings={"window": 0})


def test_delivered_at_gives_each_delivery_time_in_order() -> None:
    run = Recording("stop-and-wait", Impairment(delay=0.05))
    run.send("A", "m0")  # arrives 0.05 s later; its ACK is back at 0.1
    run.send("A", "m1")  # sent at 0.1, arrives at 0.15
    assert run.delivered("B") == ["m0", "m1"]
    assert run.delivered_at("B") == pytest.approx([0.05, 0.15])
    assert run.delivered_at("A") == []

"""The step model on its own: moves, script, replay and narration with no widget."""

from __future__ import annotations

import pytest

from labchat.sim.stepping import StepError, StepModel
from labchat.voice import user_text as u


def test_a_script_runs_the_report_protocol_to_its_duplicate_flaw() -> None:
    model = StepModel("report", script=[
        "send A hello", "deliver 0", "send B hi back", "duplicate 1", "deliver 2"])

    assert model.delivered("B") == ["hello"]
    assert model.delivered("A") == ["hi back", "hi back"]  # the duplicate counted twice
    assert model.steps[-1] == "deliver 2"
    assert model.log[0] == f"t=0.000 A sends “{u('hello')}”"
    assert "wire: 3 datagrams, 3 delivered, 0 dropped, 0 in flight" in model.summary()


def test_replaying_a_models_steps_on_a_new_model_gives_the_same_log() -> None:
    first = StepModel("go-back-n", settings={"timeout": 1.0})
    first.send("A", "m1")
    first.send("A", "m2")
    first.drop(0)
    first.deliver(1)
    assert first.next_timer() is True
    second = StepModel("go-back-n", settings={"timeout": 1.0}, script=first.steps)
    assert first.steps == ["send A m1", "send A m2", "drop 0", "deliver 1", "timer"]
    assert second.log == first.log
    assert second.summary() == first.summary()


def test_every_move_tells_the_listeners_once_and_a_removed_one_hears_nothing() -> None:
    model = StepModel("stop-and-wait")
    heard: list[int] = []
    stop = model.on_change(lambda: heard.append(len(model.steps)))
    model.replay(["send A hi", "drop 0"])
    assert model.next_timer() is True  # the resend
    assert heard == [1, 2, 3]
    stop()
    model.deliver(1)
    assert model.delivered("B") == ["hi"]
    assert heard == [1, 2, 3]


def test_a_move_on_a_datagram_not_in_flight_is_refused_and_changes_nothing() -> None:
    model = StepModel("report", script=["send A hi"])
    with pytest.raises(StepError, match="datagram 9 is not in flight"):
        model.drop(9)
    assert model.steps == ["send A hi"]
    assert [r.id for r in model.in_flight()] == [0]


def test_a_corrupt_move_flips_one_bit_and_a_script_takes_it_back() -> None:
    model = StepModel("report", script=["send A hi", "corrupt 0 1"])  # byte 1: the "i"
    assert model.delivered("B") == ["hh"]  # no checksum: handed over as if fine
    assert model.steps == ["send A hi", "corrupt 0 1"]
    assert any(line.endswith(f"one bit flipped, it arrives as {u('hh -0')}") for line in model.log)
    assert StepModel("report", script=model.steps).log == model.log
    checked = StepModel("stop-and-wait", script=["send A hi", "corrupt 0"])  # the last byte
    assert checked.delivered("B") == []
    assert [r.received for r in checked.network.wire] == [checked.network.wire[0].payload[:-1]
                                                          + b"h"]


def test_a_corrupt_move_outside_the_datagram_is_refused_and_changes_nothing() -> None:
    model = StepModel("report", script=["send A hi"])
    with pytest.raises(StepError, match=r"a flip is \(byte 0\.\.4"):
        model.take("corrupt 0 9")
    with pytest.raises(StepError):
        model.take("corrupt 0 first")
    assert model.steps == ["send A hi"]
    assert [r.id for r in model.in_flight()] == [0]


def test_a_wait_spaces_two_sends_so_their_timers_expire_one_by_one() -> None:
    model = StepModel("selective-repeat", settings={"timeout": 1.0},
                      script=["send A m1", "wait 0.5", "send A m2"])
    assert [r.sent_at for r in model.network.wire] == [0.0, 0.5]
    assert "t=0.500 wait 0.5 s: the clock moves to t=0.500" in model.log
    model.take("timer")  # m1's timer alone: m2's has half a second to go
    assert [r.payload for r in model.network.wire if r.kind == "resend"] == [
        model.network.wire[0].payload]
    assert model.next_deadline() == 1.5
    assert StepModel("selective-repeat", settings={"timeout": 1.0}, script=model.steps).log \
        == model.log


def test_a_wait_past_a_deadline_fires_the_timer_on_the_way() -> None:
    model = StepModel("stop-and-wait", settings={"timeout": 1.0},
                      script=["send A m1", "wait 2.5"])
    assert model.now == 2.5
    assert model.log[-4:] == [
        "t=2.500 wait 2.5 s: the clock moves to t=2.500", "    A: timeout #0 after 1 s",
        f"    A: resent “{u('m1')}” (#0, attempt 2)",
        f"    new in flight: #1 A->B resend {u('D0 ack- m1')}"]
    assert model.network.wire[1].sent_at == 1.0  # when the timer expired, not after the wait


@pytest.mark.parametrize("line", ["wait -1", "wait soon", "wait nan", "wait inf"])
def test_a_wait_that_is_not_a_time_is_refused_and_changes_nothing(line: str) -> None:
    model = StepModel("stop-and-wait", script=["send A m1"])
    with pytest.raises(StepError, match="wait is a time in seconds, 0 or more"):
        model.take(line)
    assert model.steps == ["send A m1"] and model.now == 0.0

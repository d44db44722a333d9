"""The figure widget: predict, click Step, read the verdict; every widget it made closes."""

from __future__ import annotations

import pytest

from labchat.notebook.predict import Predictor
from labchat.sim.stepping import StepError
from tests.notebook import open_widget_models
from tests.notebook.test_stepper import only


def test_a_click_after_a_prediction_says_whether_it_was_right() -> None:
    figure = Predictor("3.16c")
    try:
        button = only(figure.widget(), "labchat-figure-step")
        choices = only(figure.widget(), "labchat-figure-choices")
        for _ in range(2):
            button.click()  # the two sends: no choice shown, nothing to predict
        assert choices.layout.display is None
        choices.value = "delivered"
        button.click()
        verdict = only(figure.widget(), "labchat-figure-verdict")
        assert "Right" in verdict.value and "delivers" in verdict.value
        choices.value = "duplicate"
        button.click()
        assert "Not quite" in verdict.value and "window moves" in verdict.value
        assert figure.walk.score() == (1, 2)
        assert "ACK 0" in only(figure.widget(), "labchat-chart").value  # the chart grew
    finally:
        figure.close()


def test_a_click_with_no_prediction_shows_why_and_takes_no_step() -> None:
    figure = Predictor("3.16a")
    try:
        button = only(figure.widget(), "labchat-figure-step")
        for _ in range(3):
            button.click()
        button.click()  # an arrival, and no choice made
        assert "predict first" in only(figure.widget(), "labchat-figure-verdict").value
        assert figure.walk.position == 3
    finally:
        figure.close()


def test_the_transcript_lists_each_step_its_verdict_and_the_score() -> None:
    figure = Predictor("3.16b")
    try:
        figure.step()
        figure.step()
        figure.predict("delivered")
        figure.step()
        assert figure.transcript().splitlines() == [
            "step 1: sender: send pkt0",
            "step 2: sender: pkt1 waits its turn",
            "step 3: receiver: rcv pkt0 Right: the receiver delivers a message to its user.",
            "1 of 1 prediction right",
        ]
        with pytest.raises(StepError):
            figure.predict("no such outcome")
    finally:
        figure.close()


def test_closing_the_widget_closes_every_model_it_opened() -> None:
    before = open_widget_models()
    figure = Predictor("3.22")
    figure.step()
    figure.close()
    assert open_widget_models() == before


def test_a_step_models_chart_draws_every_datagram_of_its_run() -> None:
    from labchat.notebook.scenario import step_chart
    from labchat.sim.stepping import StepModel

    model = StepModel("stop-and-wait", script=["send A m1", "drop 0", "timer", "deliver 1"])
    assert repr(step_chart(model)) == (
        "sequence chart: 3 datagrams (1 ack, 1 data, 1 resend), 1 lost, 1 in flight")

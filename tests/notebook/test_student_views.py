"""A student's engine class runs unchanged in the chat lab and the step-through."""

from __future__ import annotations

import re
from typing import Any

import pytest

from labchat.notebook.lab import ChatLab
from labchat.notebook.stepper import Stepper
from labchat.voice import user_text
from tests.build.answers import answer

StopAndWait: Any = answer("stop_and_wait")


def message_lines(lab: ChatLab, side: str) -> list[tuple[str, str]]:
    value = lab.panel(side).messages.value  # type: ignore[arg-type]
    return re.findall(r'class="labchat-msg labchat-msg-(\w+)"[^>]*>([^<]*)<', value)


def test_a_students_stop_and_wait_chats_in_the_lab_with_the_reference() -> None:
    with ChatLab(StopAndWait, peer_protocol="stop-and-wait") as lab:
        assert lab.protocol == "StopAndWait"
        assert list(lab.protocol_chooser.options)[-1] == "StopAndWait"
        lab.send("A", "my own engine says hi")
        assert lab.wait_until_quiet()
        lab.send("B", "the reference answers")
        assert lab.wait_until_quiet()
        said_by_a = f"{user_text('A')}: {user_text('my own engine says hi')}"
        said_by_b = f"{user_text('B')}: {user_text('the reference answers')}"
        assert ("new", said_by_a) in message_lines(lab, "B")
        assert ("new", said_by_b) in message_lines(lab, "A")
        assert lab.summary().startswith(
            f"protocol StopAndWait, {user_text('B')} runs stop-and-wait, seed 0")
        assert all(e.name != "engine_error" for e in lab.a.history)


def test_a_students_class_can_be_chosen_in_the_protocol_list() -> None:
    with ChatLab("report", protocols=[StopAndWait]) as lab:
        lab.protocol_chooser.value = "StopAndWait"
        assert type(lab.a.engine) is StopAndWait
        assert type(lab.b.engine) is StopAndWait
        assert lab.mismatch_buttons[0].disabled  # no count to falsify in it
        lab.send("A", "chosen from the list")
        assert lab.wait_until_quiet()
        assert ("new", f"{user_text('A')}: {user_text('chosen from the list')}") in message_lines(
                lab, "B")


def test_the_step_through_runs_a_students_class_against_the_reference() -> None:
    stepper = Stepper(StopAndWait, peer_protocol="stop-and-wait",
                      script=["send A hello", "drop 0", "timer", "deliver 1", "deliver 2"])
    try:
        assert stepper.protocol == "StopAndWait"
        assert stepper.delivered("B") == ["hello"]
        assert stepper.engines["A"].snapshot()["sending"] is None  # the ACK came back
    finally:
        stepper.close()


def test_a_lab_refuses_an_unknown_protocol_in_one_line() -> None:
    with pytest.raises(ValueError, match="unknown protocol “\u2068carrier-pigeon\u2069”"):
        ChatLab("carrier-pigeon")

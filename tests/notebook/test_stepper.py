"""Step-through: the same moves by method, by script and by click give the same run."""

from __future__ import annotations

from pathlib import Path

import ipywidgets as widgets
import pytest

from labchat.notebook.stepper import StepError, Stepper
from labchat.protocols import SettingError
from labchat.sim.stepping import StepModel
from labchat.voice import user_text as u
from tests.notebook import open_widget_models

# The report's own test with a network duplicate: B's datagram carries a count
# A finds wrong, and delivered twice it makes A resend everything twice.
REPORT_SCRIPT = [
    "send A hello",
    "deliver 0",
    "send B hi back",
    "mismatch A",
    "send A how are you",
    "deliver 2",
    "duplicate 1",
    "deliver 3",
]


def find(root: widgets.Widget, css_class: str) -> list[widgets.Widget]:
    """Every widget under ``root`` carrying ``css_class``, in display order."""
    found = [root] if css_class in getattr(root, "_dom_classes", ()) else []
    for child in getattr(root, "children", ()):
        found.extend(find(child, css_class))
    return found


def only(root: widgets.Widget, css_class: str) -> widgets.Widget:
    found = find(root, css_class)
    assert len(found) == 1, f"{len(found)} widgets with class {css_class}"
    return found[0]


def test_a_scripted_replay_narrates_every_step_and_its_consequences() -> None:
    stepper = Stepper("report", script=REPORT_SCRIPT)

    assert stepper.delivered("B") == ["hello", "how are you"]
    # The duplicate is delivered and counted again: the report's flaw, visible.
    assert stepper.delivered("A") == ["hi back", "hi back"]
    assert [r.label for r in stepper.in_flight()] == [
        "hello -resend", "how are you -resend", "hello -resend", "how are you -resend"]
    assert stepper.steps == REPORT_SCRIPT
    assert stepper.log[:3] == [
        f"t=0.000 A sends “{u('hello')}”",
        f"    A: sent “{u('hello')}” (#0)",
        f"    new in flight: #0 A->B data {u('hello -0')}",
    ]
    assert "    A: count 1 != 2: resend all 2" in stepper.log
    assert "wire: 8 datagrams, 4 delivered, 0 dropped, 4 in flight" in stepper.summary()


def test_replaying_the_recorded_steps_gives_the_same_run() -> None:
    first = Stepper("report")
    first.send("A", "one")
    first.send("A", "two")
    first.drop(0)
    first.deliver(1)
    second = Stepper("report", script=first.steps)
    assert second.log == first.log
    assert second.summary() == first.summary()
    assert second.widget is not first.widget


def press_enter(box: widgets.Text, text: str) -> None:
    """Type ``text`` and press Enter, as the browser reports it to the kernel."""
    box.value = text
    box._handle_string_msg(box, {"event": "submit"}, [])


def test_setting_the_box_from_code_sends_nothing() -> None:
    stepper = Stepper("report")
    only(only(stepper.widget, "labchat-peer-A"), "labchat-input").value = "typed, not sent"
    assert stepper.steps == []


def test_clicks_on_the_widget_do_what_the_methods_do() -> None:
    by_click = Stepper("report")
    root = by_click.widget
    panel_a = only(root, "labchat-peer-A")
    press_enter(only(panel_a, "labchat-input"), "hello")
    rows = find(root, "labchat-inflight")
    assert [row._dom_classes for row in rows] == [("labchat-inflight", "labchat-inflight-0")]
    only(rows[0], "labchat-deliver").click()
    panel_b = only(root, "labchat-peer-B")
    only(panel_b, "labchat-input").value = "hi"
    only(panel_b, "labchat-send").click()
    only(find(root, "labchat-inflight")[0], "labchat-duplicate").click()

    by_code = Stepper("report", script=["send A hello", "deliver 0", "send B hi", "duplicate 1"])
    assert by_click.log == by_code.log
    assert "hi" in only(panel_a, "labchat-messages").value
    assert "hello" in only(panel_b, "labchat-messages").value
    assert "received" in only(root, "labchat-state-A").value
    svg = only(root, "labchat-chart").value
    assert 'class="labchat-arrow"' in svg and 'data-id="2"' in svg


def test_a_click_that_cannot_work_shows_an_error_and_changes_nothing() -> None:
    stepper = Stepper("report")
    press_enter(only(only(stepper.widget, "labchat-peer-A"), "labchat-input"), "x" * 2000)
    assert "too long" in only(stepper.widget, "labchat-status").value
    assert stepper.steps == []
    assert stepper.in_flight() == []
    assert only(stepper.widget, "labchat-next-timer").disabled  # the report has no timer
    assert stepper.next_timer() is False


@pytest.mark.parametrize(("line", "message"), [
    ("deliver 7", f"step 2 ({u('deliver 7')}): datagram 7 is not in flight (in flight: 0)"),
    ("send C hi", f"step 2 ({u('send C hi')}): side must be 'A' or 'B', got “\u2068C\u2069”"),
    ("fly away", f"step 2 ({u('fly away')}): expected 'send A|B <text>'"),
    ("drop one", f"step 2 ({u('drop one')}): “{u('one')}” is not a datagram id"),
])
def test_a_bad_script_line_is_named_and_the_steps_before_it_stay_done(
        line: str, message: str) -> None:
    stepper = Stepper("report")
    with pytest.raises(StepError) as caught:
        stepper.replay(["send A hi", line, "deliver 0"])
    assert str(caught.value).startswith(message)
    assert stepper.steps == ["send A hi"]
    assert [r.id for r in stepper.in_flight()] == [0]


def test_go_back_n_step_by_step_resends_the_window_on_the_timer() -> None:
    stepper = Stepper("go-back-n", settings={"timeout": 1.0}, script=[
        "send A m1", "send A m2", "send A m3",
        "drop 1",      # m2 is lost
        "deliver 0",   # m1 arrives: ACK 0 (#3)
        "deliver 2",   # m3 arrives beyond the gap: discarded, ACK 0 again (#4)
        "deliver 3", "deliver 4",
    ])
    assert stepper.delivered("B") == ["m1"]
    assert "    B: discarded #2 out of order (expected #1)" in stepper.log
    timer_button = only(stepper.widget, "labchat-next-timer")
    assert timer_button.description == "next timer (t=1.300)"  # m2's timer, from ACK 0
    timer_button.click()
    assert [r.label for r in stepper.in_flight()] == ["D1 ack- m2", "D2 ack- m3"]
    assert stepper.log[-6:] == [
        "t=1.300 clock advances to the timer at t=1.300",
        "    A: timeout #1 after 1 s",
        f"    A: resent “{u('m2')}” (#1, attempt 2)",
        f"    A: resent “{u('m3')}” (#2, attempt 2)",
        f"    new in flight: #5 A->B resend {u('D1 ack- m2')}",
        f"    new in flight: #6 A->B resend {u('D2 ack- m3')}",
    ]
    stepper.replay(["deliver 5", "deliver 6"])
    assert stepper.delivered("B") == ["m1", "m2", "m3"]
    assert stepper.steps[-3:] == ["timer", "deliver 5", "deliver 6"]  # the click is a step


def test_the_step_through_takes_the_engines_settings_and_checks_them() -> None:
    stepper = Stepper("go-back-n", settings={"window": 2})
    assert stepper.engines["A"].snapshot()["window"] == 2
    with pytest.raises(SettingError, match=r"^window .* must be a whole number from 1"):
        Stepper("go-back-n", settings={"window": 2.5})


def test_closing_a_step_through_closes_every_widget_model_it_made() -> None:
    before = open_widget_models()
    stepper = Stepper("stop-and-wait", script=["send A hi", "duplicate 0", "deliver 1"])
    assert open_widget_models() > before
    stepper.close()
    assert open_widget_models() == before
    stepper.replay(["timer"])  # still a model after its widget is gone
    assert open_widget_models() == before


@pytest.mark.parametrize("protocol", ["report", "repaired", "stop-and-wait", "go-back-n",
                                      "selective-repeat"])
def test_a_default_step_through_with_nothing_dropped_never_resends(protocol: str) -> None:
    # Each message is delivered, then every reply, with the default settings:
    # a clean round trip must never look like a loss.
    stepper = Stepper(protocol)
    try:
        for text in ("hi", "there"):
            stepper.send("A", text)
            for _ in range(10):
                waiting = stepper.network.in_flight()
                if not waiting:
                    break
                stepper.deliver(waiting[0].id)
        kinds = [r.kind for r in stepper.network.wire]
        timeouts = [e.name for e in stepper.network.events["A"] if e.name == "timeout"]
        delivered = [e.to_dict()["text"] for e in stepper.network.events["B"]
                     if e.name == "delivered"]
    finally:
        stepper.close()
    assert "resend" not in kinds and timeouts == []
    assert delivered == ["hi", "there"]


def test_the_widget_over_a_model_redraws_what_the_model_does_without_it() -> None:
    model = StepModel("report", script=["send A hello"])
    stepper = Stepper(model)
    model.deliver(0)  # a move on the model, not through the widget
    assert stepper.steps == ["send A hello", "deliver 0"]
    assert "hello" in only(only(stepper.widget, "labchat-peer-B"), "labchat-messages").value
    assert find(stepper.widget, "labchat-inflight") == []
    stepper.close()
    model.send("B", "after")  # the closed widget no longer listens
    assert model.steps[-1] == "send B after"


def test_the_step_throughs_chart_saves_as_an_svg_file(tmp_path: Path) -> None:
    stepper = Stepper("go-back-n", script=["send A slide", "deliver 0"])
    try:
        path = stepper.save_chart(tmp_path / "step.svg")
    finally:
        stepper.close()
    saved = path.read_text(encoding="utf-8")
    assert saved.startswith("<svg") and 'class="labchat-window"' in saved
    assert saved.count('class="labchat-arrow"') == 2


GO_BACK_SCRIPT = ["send A m1", "send A m2", "drop 1", "deliver 0", "deliver 2", "timer"]


def test_back_replays_every_move_but_the_last() -> None:
    stepper = Stepper("go-back-n", script=GO_BACK_SCRIPT)
    one_less = Stepper("go-back-n", script=GO_BACK_SCRIPT[:-1])
    try:
        assert stepper.back() is True
        assert stepper.steps == GO_BACK_SCRIPT[:-1]
        assert stepper.network.wire == one_less.network.wire
        assert stepper.log == one_less.log and stepper.summary() == one_less.summary()
        for _ in range(len(GO_BACK_SCRIPT) - 1):
            assert stepper.back() is True
        assert stepper.back() is False and stepper.network.wire == []
    finally:
        stepper.close()
        one_less.close()


#: Persian "I want", with its zero-width non-joiner.
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"


def test_the_script_is_a_cell_that_does_the_same_again() -> None:
    stepper = Stepper("selective-repeat", settings={"timeout": 1.0},
                      script=["send A " + PERSIAN, "deliver 0", "timer"])
    try:
        text = stepper.script()
        assert text.splitlines()[0] == (
            'Stepper("selective-repeat", settings={"timeout": 1.0}, script=[')
        assert "\u200c" in text and "\\u200c" not in text  # the text itself, not an escape
        again = eval(text, {"Stepper": Stepper})  # the point is that it runs as it is
        try:
            assert again.network.wire == stepper.network.wire and again.steps == stepper.steps
        finally:
            again.close()
    finally:
        stepper.close()


def test_keyboard_shortcuts_deliver_drop_duplicate_time_and_go_back() -> None:
    stepper = Stepper("go-back-n", settings={"timeout": 1.0})
    try:
        stepper.send("A", "a")
        stepper.send("A", "b")
        stepper.send("A", "c")
        for keys in ("d 0", "x 1", "c 2", "t", "b"):
            stepper.key(keys)
        assert stepper.steps == ["send A a", "send A b", "send A c", "deliver 0", "drop 1",
                                 "duplicate 2"]
        with pytest.raises(StepError, match="'d <id>' deliver"):
            stepper.key("z 3")
        keys_box = find(stepper.widget, "labchat-keys")[0]
        keys_box.value = "t"
        stepper._take_keys()  # what Enter in the box does
        assert stepper.steps[-1] == "timer" and keys_box.value == ""
        find(stepper.widget, "labchat-back")[0].click()
        assert stepper.steps[-1] == "duplicate 2"
        find(stepper.widget, "labchat-script")[0].click()
        assert find(stepper.widget, "labchat-script-text")[0].value == stepper.script()
    finally:
        stepper.close()


def test_the_corrupt_button_flips_a_bit_as_the_corrupt_step_does() -> None:
    by_click = Stepper("stop-and-wait")
    press_enter(only(only(by_click.widget, "labchat-peer-A"), "labchat-input"), "hi")
    only(find(by_click.widget, "labchat-inflight")[0], "labchat-corrupt").click()
    by_code = Stepper("stop-and-wait", script=["send A hi", "corrupt 0"])
    assert by_click.log == by_code.log and by_click.steps == ["send A hi", "corrupt 0"]
    assert 'data-corrupted="true"' in only(by_click.widget, "labchat-chart").value
    by_click.close()
    by_code.close()

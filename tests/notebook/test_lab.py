"""The live chat lab without a browser: widgets driven as a person would, real UDP underneath."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from labchat import voice
from labchat.notebook import lab as lab_module
from labchat.notebook.lab import CHART_LAST, ChatLab
from labchat.udp import registry
from labchat.udp.peer import Address
from labchat.voice import user_text
from tests.conftest import labchat_threads
from tests.notebook import open_widget_models


@pytest.fixture
def lab() -> Iterator[ChatLab]:
    with ChatLab("report") as chat_lab:
        yield chat_lab


def said(name: str, text: str, *, resent: bool = False) -> str:
    """A chat line as a panel shows it: both name and text bidi-isolated."""
    marker = " (resent)" if resent else ""
    return f"{user_text(name)}{marker}: {user_text(text)}"


def message_lines(lab: ChatLab, side: str) -> list[tuple[str, str]]:
    """(kind, text) of each message line the panel's HTML shows."""
    value = lab.panel(side).messages.value  # type: ignore[arg-type]
    return re.findall(r'class="labchat-msg labchat-msg-(\w+)"[^>]*>([^<]*)<', value)


def test_typing_and_clicking_send_shows_the_message_on_the_other_panel(lab: ChatLab) -> None:
    panel = lab.panel("A")
    panel.input.value = "hello client 2"
    panel.send_button.click()
    assert lab.wait_until_quiet()
    assert panel.input.value == ""
    assert message_lines(lab, "A") == [("sent", said("A", "hello client 2"))]
    assert message_lines(lab, "B") == [("new", said("A", "hello client 2"))]
    assert "sent=0, received=1, last carried=none, resends=0" in lab.panel("B").counters.value


def test_dropping_the_next_datagram_shows_a_loss_and_the_reports_resend(lab: ChatLab) -> None:
    lab.send("A", "one")
    assert lab.wait_until_quiet()
    lab.drop_next("A->B")
    lab.send("A", "two")
    assert lab.wait_until_quiet()
    lab.send("B", "did you say something?")
    assert lab.wait_until_quiet()

    records = lab.records()
    assert [(r.source, r.kind, r.fate, r.cause) for r in records] == [
        ("A", "data", "delivered", ""),
        ("A", "data", "dropped", "drop next"),
        ("B", "data", "delivered", ""),
        # B carried count 1, A has sent 2: the report's rule resends everything.
        ("A", "resend", "delivered", ""),
        ("A", "resend", "delivered", ""),
    ]
    # Each record is the sender's own, with its state as it sent it.
    assert [r.seq for r in records] == [0, 1, 0, 0, 1]
    assert [r.state["sent"] for r in records if r.state is not None] == [1, 2, 1, 2, 2]
    assert message_lines(lab, "B") == [
        ("new", said("A", "one")), ("sent", said("B", "did you say something?")),
        ("resent", said("A", "one", resent=True)), ("resent", said("A", "two", resent=True)),
    ]
    chart = lab.chart.value
    assert chart.count('class="labchat-arrow"') == 5
    assert chart.count('class="labchat-loss"') == 1
    assert 'data-kind="resend"' in chart


def test_forcing_a_mismatch_reproduces_the_reports_transcript() -> None:
    with ChatLab("report", names=("Client1", "Client2")) as lab:
        lab.send("A", "hello client 2")
        assert lab.wait_until_quiet()
        lab.send("B", "hello to you too client 1")
        assert lab.wait_until_quiet()
        lab.force_mismatch("A")
        lab.send("A", "how are you client 2?")
        assert lab.wait_until_quiet()
        resent = ("resent", said("Client2", "hello to you too client 1", resent=True))
        assert message_lines(lab, "A")[-1] == resent
        summary = lab.summary()
    assert "Client2: sent=1, received=2, last carried=1, resends=1" in summary
    assert "wire B->A: 2 datagrams (1 data, 1 resend), 0 lost, 0 duplicated" in summary


def test_a_message_too_long_is_refused_on_the_panel_and_the_lab_keeps_working(
        lab: ChatLab) -> None:
    lab.send("A", "سلام " * 200)
    lab.send("A", "short")
    assert lab.wait_until_quiet()
    kinds = message_lines(lab, "A")
    assert kinds[0][0] == "error" and "too long" in kinds[0][1]
    assert message_lines(lab, "B") == [("new", said("A", "short"))]


def test_creating_a_lab_closes_the_previous_one_and_frees_its_ports() -> None:
    first = ChatLab("report")
    ports: list[Address] = [first.a.address, first.b.address, first.relay.listen_a_address,
                            first.relay.listen_b_address]
    second = ChatLab("report")
    try:
        assert first.closed and first.a.closed and first.b.closed and first.relay.closed
        assert registry.open_resources().count(first) == 0
        names = sorted(t.name for t in labchat_threads())
        assert names == ["labchat-lab-A", "labchat-lab-B", "labchat-lab-chart",
                         "labchat-lab-relay", "labchat-lab-render"]
        for address in ports:  # every port of the first lab can be bound again
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.bind(address)
    finally:
        second.close()
    assert labchat_threads() == []
    assert second.chart.comm is None  # the widgets are closed too


def test_changing_the_protocol_or_seed_starts_a_fresh_conversation(lab: ChatLab) -> None:
    lab.send("A", "before")
    assert lab.wait_until_quiet()
    old_peer = lab.a
    lab.seed_box.value = 5
    assert old_peer.closed and not lab.a.closed
    assert lab.wait_until_quiet()
    assert message_lines(lab, "A") == []
    lab.send("A", "after")
    assert lab.wait_until_quiet()
    assert message_lines(lab, "B") == [("new", said("A", "after"))]


def test_a_rung_without_a_count_greys_out_mismatch_and_still_chats(lab: ChatLab) -> None:
    mismatch = lab.mismatch_buttons
    assert [button.disabled for button in mismatch] == [False, False]
    lab.protocol_chooser.value = "go-back-n"
    assert [button.disabled for button in mismatch] == [True, True]
    assert "no count to falsify" in mismatch[0].tooltip
    lab.force_mismatch("A")  # as a notebook cell might: an error line, no crash
    lab.send("A", "windowed hello")
    assert lab.wait_until_quiet()
    assert message_lines(lab, "B") == [("new", said("A", "windowed hello"))]
    assert message_lines(lab, "A")[0][0] == "error"
    lab.protocol_chooser.value = "report"
    assert [button.disabled for button in mismatch] == [False, False]


def test_the_threads_never_print(capfd: pytest.CaptureFixture[str]) -> None:
    with ChatLab("report") as lab:
        lab.loss.value = 0.5
        lab.duplicate.value = 0.5
        for number in range(6):
            lab.send("A" if number % 2 else "B", f"message {number}")
            assert lab.wait_until_quiet()
        assert lab.a.subscriber_errors == [] and lab.render_errors == []
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_repr_is_free_of_ports_and_ids(lab: ChatLab) -> None:
    bundle = lab._repr_mimebundle_()
    assert bundle["text/plain"] == "chat lab: report, \u2068A\u2069 and \u2068B\u2069, open"
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_closing_a_lab_closes_every_widget_model_it_made() -> None:
    before = open_widget_models()
    lab = ChatLab("go-back-n")
    lab.send("A", "hi")
    assert lab.wait_until_quiet()
    lab.seed_box.value = 2  # a restart rebuilds the conversation, not the widgets
    assert open_widget_models() > before
    lab.close()
    assert open_widget_models() == before


def test_what_a_peer_did_on_an_arrival_names_the_relays_record_of_it(lab: ChatLab) -> None:
    lab.send("A", "hello")
    assert lab.wait_until_quiet()
    (record,) = lab.records()
    (delivered,) = lab.b.events("delivered")
    # Tied by the record's id, written by A as it sent and carried by the relay:
    # no time window, no matching by size.
    assert delivered.cause == record.id
    assert (record.kind, record.seq, record.label) == ("data", 0, "hello -0")


def test_the_labs_chart_saves_as_an_svg_file(lab: ChatLab, tmp_path: Path) -> None:
    lab.send("A", "keep this")
    assert lab.wait_until_quiet()
    path = lab.save_chart(tmp_path / "lab.svg")
    saved = path.read_text(encoding="utf-8")
    assert saved.startswith("<svg") and 'data-kind="data"' in saved
    assert user_text("keep this") in saved


def test_a_long_conversation_charts_its_newest_datagrams_and_counts_the_rest(
        lab: ChatLab) -> None:
    for i in range(CHART_LAST + 10):
        lab.send("A", f"m{i}")
        if i % 10 == 9:
            assert lab.wait_until_quiet()
    assert lab.wait_until_quiet()
    chart = lab.chart.value
    assert chart.count('class="labchat-arrow"') == CHART_LAST
    assert voice.chart_hidden(10) in chart
    assert user_text(f"m{CHART_LAST + 9}") in chart


def test_a_panel_shows_its_newest_lines_and_says_how_many_came_before(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lab_module, "PANEL_LAST", 5)
    with ChatLab("report") as lab:
        for i in range(8):
            lab.send("A", f"m{i}")
        assert lab.wait_until_quiet()
        shown = lab.panel("B").messages.value
        assert message_lines(lab, "B") == [("new", said("A", f"m{i}")) for i in range(3, 8)]
        assert voice.panel_earlier(3) in shown


def test_a_message_arriving_while_the_chart_renders_shows_in_its_panel_first(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A chart render that lasts until the test ends it: the panel must not wait for it.
    rendering, release = threading.Event(), threading.Event()
    finished: list[str] = []

    def slow_chart(*args: object, **kwargs: object) -> str:
        rendering.set()
        release.wait(timeout=30)
        finished.append("chart")
        return "<svg></svg>"

    monkeypatch.setattr(lab_module, "render_svg", slow_chart)
    with ChatLab("report") as lab:
        try:
            assert rendering.wait(timeout=10)
            lab.send("A", "while charting")
            for _ in range(1000):  # bounded: 1,000 polls of 10 ms
                if message_lines(lab, "B") == [("new", said("A", "while charting"))]:
                    break
                time.sleep(0.01)
            assert message_lines(lab, "B") == [("new", said("A", "while charting"))]
            assert finished == []  # the chart is still rendering the state before the message
        finally:
            release.set()
        assert lab.wait_until_quiet()
        assert finished  # and then it caught up


def test_the_corrupt_slider_on_the_report_delivers_the_changed_text_as_if_fine() -> None:
    with ChatLab("report", seed=2) as lab:
        lab.corrupt.value = 1.0
        assert lab.relay.model.impairment("A->B").corrupt == 1.0
        lab.send("A", "hello")
        assert lab.wait_until_quiet()
        # Seed 2 flips the lowest bit of byte 1: no checksum, so B shows it as new.
        assert message_lines(lab, "B") == [("new", said("A", "hdllo"))]
        (record,) = lab.records()
        assert (record.payload, record.received) == (b"hello -0", b"hdllo -0")


def test_the_corrupt_slider_flips_bits_and_the_checksum_turns_them_into_losses() -> None:
    with ChatLab("stop-and-wait") as lab:
        lab.corrupt.value = 1.0
        lab.send("A", "hello")
        assert lab.b.wait_for_events("rejected", 1, timeout=5.0)
        lab.corrupt.value = 0.0
        assert lab.wait_until_quiet(timeout=10.0)
        *rejected, delivered = message_lines(lab, "B")
        assert delivered == ("new", said("A", "hello"))
        assert rejected and all(kind == "rejected" and "corrupted: checksum mismatch" in line
                                for kind, line in rejected)
        assert any(record.corrupted for record in lab.records())


def test_the_reorder_and_jitter_sliders_set_both_directions(lab: ChatLab) -> None:
    lab.reorder.value = 0.5
    lab.jitter.value = 0.1
    for direction in ("A->B", "B->A"):
        impairment = lab.relay.model.impairment(direction)
        assert (impairment.reorder, impairment.jitter) == (0.5, 0.1)

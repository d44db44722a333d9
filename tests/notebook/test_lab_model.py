"""The chat lab's model without widgets: real UDP underneath, state read back as text."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import cast

import pytest

from labchat import voice
from labchat.events import TimerExpired
from labchat.notebook.chart import render_svg
from labchat.notebook.lab_model import LabModel, Line
from labchat.udp.peer import UdpPeer
from labchat.udp.relay import UdpRelay
from labchat.voice import user_text
from tests.conftest import labchat_threads


@pytest.fixture
def model() -> Iterator[LabModel]:
    with LabModel("report") as lab_model:
        yield lab_model


def said(name: str, text: str, *, resent: bool = False) -> str:
    marker = " (resent)" if resent else ""
    return f"{user_text(name)}{marker}: {user_text(text)}"


def test_the_model_loads_no_widget_library() -> None:
    code = ("import json, sys; import labchat.notebook.lab_model; "
            "print(json.dumps(sorted(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    loaded: list[str] = json.loads(result.stdout)
    assert [name for name in loaded if name.startswith(("ipywidgets", "matplotlib"))] == []
    assert "labchat.notebook.lab" not in loaded


def test_a_message_sent_reaches_the_other_side_as_a_new_line(model: LabModel) -> None:
    model.send("A", "hello")
    assert model.wait_until_quiet()
    state = model.state()
    assert state.lines["A"] == [Line("sent", said("A", "hello"))]
    assert state.lines["B"] == [Line("new", said("A", "hello"))]
    assert state.snapshot["B"]["received"] == 1
    assert [(r.source, r.kind, r.fate) for r in model.records()] == [("A", "data", "delivered")]


def test_dropping_the_next_datagram_shows_in_the_summary_and_the_report_resends(
        model: LabModel) -> None:
    model.send("A", "one")
    assert model.wait_until_quiet()
    model.drop_next("A->B")
    model.send("A", "two")
    assert model.wait_until_quiet()
    model.send("B", "anything?")
    assert model.wait_until_quiet()
    summary = model.summary().splitlines()
    assert summary[0] == "protocol report, seed 0"
    assert f"  [resent] {said('A', 'two', resent=True)}" in summary
    assert "wire A->B: 4 datagrams (2 data, 2 resend), 1 lost, 0 duplicated" in summary


def test_the_summary_tags_each_line_in_the_language_spoken(model: LabModel) -> None:
    model.send("A", "سلام")
    assert model.wait_until_quiet()
    voice.set_language("fa")
    try:
        summary = model.summary().splitlines()
    finally:
        voice.set_language("en")
    assert f"  [فرستاده] {said('A', 'سلام')}" in summary
    assert f"  [رسیده] {said('A', 'سلام')}" in summary
    assert not [line for line in summary if "[sent]" in line or "[new]" in line]


def test_a_refused_message_is_an_error_line_not_an_exception(model: LabModel) -> None:
    model.send("A", "x" * 2000)
    kinds = [line.kind for line in model.state().lines["A"]]
    assert kinds == ["error"]
    assert "too long" in model.state().lines["A"][0].text


def test_a_restart_brings_new_peers_and_an_empty_state(model: LabModel) -> None:
    model.send("A", "before")
    assert model.wait_until_quiet()
    old_peer = model.peer("A")
    model.restart(protocol="go-back-n", seed=3)
    assert model.wait_until_quiet()
    assert model.peer("A") is not old_peer
    assert model.state().lines == {"A": [], "B": []}
    assert not model.can_force_mismatch("A")
    assert model.summary().splitlines()[0] == "protocol go-back-n, seed 3"


def test_a_view_waiting_for_a_change_is_woken_by_an_event_and_by_close() -> None:
    model = LabModel("report")
    seen = model.version
    model.send("A", "wake up")
    state = model.changed_since(seen, timeout=5.0)
    assert state is not None and state.version > seen
    model.close()
    assert model.changed_since(model.version, timeout=5.0) is None
    assert labchat_threads() == []


def test_a_datagram_reaching_a_new_peer_during_a_restart_cannot_deadlock_the_model(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The interleaving, forced: the restarting thread asks a new peer for its
    # state exactly while that peer's thread holds its own lock and publishes
    # an event to the model. Taking the model's lock around that call would hang.
    peer_holds_its_lock = threading.Event()
    original_snapshot = UdpPeer.snapshot
    helpers: list[threading.Thread] = []

    def publish_while_holding(peer: UdpPeer) -> None:
        with peer._lock:  # as the receive thread does while it handles a datagram
            peer_holds_its_lock.set()
            peer._publish(TimerExpired(at=0.0, seq=0, timeout=0.2))

    def snapshot_racing_a_publish(peer: UdpPeer) -> dict[str, object]:
        if not helpers and threading.current_thread() is restart:
            helper = threading.Thread(target=publish_while_holding, args=(peer,), daemon=True)
            helpers.append(helper)
            helper.start()
            assert peer_holds_its_lock.wait(5.0)
        return original_snapshot(peer)

    model = LabModel("report")
    restart = threading.Thread(target=lambda: model.restart(seed=1), daemon=True)
    monkeypatch.setattr(UdpPeer, "snapshot", snapshot_racing_a_publish)
    restart.start()
    restart.join(timeout=5.0)
    deadlocked = restart.is_alive()
    monkeypatch.undo()
    if deadlocked:  # its threads are stuck for good: closing the model would hang the test too
        pytest.fail("the restart deadlocked with the new peer's thread")
    try:
        assert len(helpers) == 1
        helpers[0].join(timeout=5.0)
        assert not helpers[0].is_alive()
        assert model.wait_until_quiet()
        assert "timer expired for message #0" in model.summary()
    finally:
        model.close()


def test_a_chart_of_the_newest_records_copies_only_them_and_draws_as_they_would_alone(
        model: LabModel) -> None:
    for i in range(30):
        model.send("A", f"m{i}")
        if i % 10 == 9:
            assert model.wait_until_quiet()
    assert model.wait_until_quiet()
    full = model.state()
    tail = model.state(records=12)
    newest = full.wire()[-12:]
    assert tail.wire() == newest
    assert tail.earlier_records == len(full.wire()) - 12
    # Drawn from the tail copy, the chart is the chart of those 12 records drawn alone.
    alone = render_svg(newest, full.events, final=full.snapshot, last=None,
                       time_origin=full.origin, proportional_time=False)
    assert render_svg(tail.wire(), tail.events, final=tail.snapshot, last=None,
                      time_origin=tail.origin, proportional_time=False) == alone


def test_the_models_history_stays_at_its_bound_however_long_the_conversation() -> None:
    with LabModel("report", history=10) as bounded:
        for i in range(40):
            bounded.send("A", f"m{i}")
            if i % 10 == 9:
                assert bounded.wait_until_quiet()  # quiet is still known, from counts
        assert bounded.wait_until_quiet()
        state = bounded.state()
        assert state.lines["B"] == [Line("new", said("A", f"m{i}")) for i in range(30, 40)]
        assert state.earlier_lines["B"] == 30
        assert len(state.events["A"]) == 10
        assert [r.label.split()[0] for r in bounded.records()] == [f"m{i}" for i in range(30, 40)]
        assert state.earlier_records == 30


def test_the_relay_under_a_bounded_model_keeps_no_more_than_the_models_bound() -> None:
    # The relay's bound is amortised (between ``keep`` and twice as many).
    with LabModel("report", history=10) as bounded:
        relay = cast(UdpRelay, bounded.relay)
        for i in range(60):
            bounded.send("A", f"m{i}")
            if i % 10 == 9:
                assert bounded.wait_until_quiet()
        assert relay.decided() == 60
        assert len(relay.records()) < 20
        assert len(relay.decisions()) < 20


def test_a_model_asked_for_its_whole_history_keeps_every_record() -> None:
    with LabModel("report", history=None) as whole:
        for i in range(30):
            whole.send("A", f"m{i}")
        assert whole.wait_until_quiet()
        assert len(whole.records()) == 30
        relay = cast(UdpRelay, whole.relay)
        assert len(relay.records()) == len(relay.decisions()) == 30
        assert len(whole.state().lines["B"]) == 30


def test_a_history_below_one_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match="history"):
        LabModel("report", history=0)

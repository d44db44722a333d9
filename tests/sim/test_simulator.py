"""The simulator's counts, its sweeps, and ``labchat simulate``."""

from __future__ import annotations

import json
import re

import pytest

from labchat import voice
from labchat.commands.cli import main
from labchat.commands.simulate import rounded
from labchat.protocols import PROTOCOLS
from labchat.sim.channel import Impairment, ImpairmentModel
from labchat.sim.simulator import Stats, run_simulation, simulate, sweep

from .test_network import TinyAck


@pytest.fixture
def tiny_ack(monkeypatch: pytest.MonkeyPatch) -> str:
    """Register the test-only ACK engine for the duration of one test."""
    monkeypatch.setitem(PROTOCOLS, TinyAck.protocol, TinyAck)
    return TinyAck.protocol


def test_a_perfect_link_delivers_everything_once_at_one_datagram_each() -> None:
    stats = simulate("report", 200, delay=0.05)
    assert (stats.messages, stats.delivered, stats.lost, stats.duplicates_delivered) == \
        (200, 200, 0, 0)
    assert (stats.data_datagrams, stats.resends, stats.acks) == (200, 0, 0)
    assert stats.overhead == 1.0
    assert stats.virtual_seconds == 0.05
    assert stats.goodput == pytest.approx(4000.0)
    assert stats.bytes_on_wire == sum(len(f"A{i} -0") for i in range(200))


def test_the_send_pattern_sets_the_completion_time() -> None:
    stats = simulate("report", 10, delay=0.05, interval=0.5)
    assert stats.virtual_seconds == pytest.approx(9 * 0.5 + 0.05)


def test_the_report_loses_what_the_network_drops_and_never_admits_it() -> None:
    stats = simulate("report", 1000, loss=0.2, seed=9)
    assert 120 <= stats.lost <= 280  # about 200; the bounds catch a wrong rate
    assert stats.delivered + stats.lost == 1000
    assert stats.gave_up == 0 and stats.resends == 0  # one way: no count ever mismatches
    assert stats.data_datagrams == 1000
    assert stats.overhead == pytest.approx(1000 / stats.delivered)


def test_the_report_delivers_network_duplicates_as_new_messages() -> None:
    stats = simulate("report", 500, duplicate=0.3, seed=2)
    assert stats.delivered == 500
    assert 100 <= stats.duplicates_delivered <= 200


def test_both_talking_at_once_makes_the_report_resend_everything_each_time() -> None:
    stats = simulate("report", 10, both_ways=True)
    assert stats.messages == 20 and stats.delivered == 20
    # Every message from one side finds the other with 10 unacknowledged
    # sends, so each of the 20 messages triggers a resend of 10.
    assert stats.resends == 200 and stats.shown_as_resend == 200
    assert stats.data_datagrams == 220
    assert stats.overhead == 11.0


def test_the_same_seed_gives_the_same_stats_and_another_seed_does_not() -> None:
    def run(seed: int) -> Stats:
        return simulate("report", 60, seed=seed, loss=0.2, duplicate=0.1, reorder=0.1,
                        jitter=0.02, both_ways=True, interval=0.2)

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_an_acknowledging_protocol_counts_acks_and_resends(tiny_ack: str) -> None:
    stats = simulate(tiny_ack, 300, loss=0.2, seed=3, settings={"timeout": 0.5})
    assert stats.delivered == 300 and stats.lost == 0 and stats.duplicates_delivered == 0
    assert stats.resends > 0 and stats.acks > 0
    assert stats.data_datagrams == 300 + stats.resends
    assert stats.overhead is not None and stats.overhead > 1.2


def test_a_runaway_run_is_cut_short_and_says_so(tiny_ack: str) -> None:
    stats = simulate(tiny_ack, 5, loss=1.0, max_steps=200)
    assert stats.truncated is True
    assert stats.delivered == 0 and stats.lost == 5
    assert stats.overhead is None  # nothing delivered: no ratio to report
    assert json.loads(json.dumps(stats.to_dict()))["overhead"] is None


def test_a_sweep_runs_every_protocol_at_every_loss_rate(tiny_ack: str) -> None:
    calls: list[tuple[int, int]] = []
    results = sweep(["report", tiny_ack], [0.0, 0.1, 0.3], 200, seed=4,
                    progress=lambda done, total: calls.append((done, total)))
    assert [(s.protocol, s.loss) for s in results] == [
        (p, loss) for p in ("report", tiny_ack) for loss in (0.0, 0.1, 0.3)]
    assert calls == [(i, 6) for i in range(1, 7)]
    report = results[:3]
    # The same seed: a higher loss rate drops a superset of the datagrams.
    assert report[0].lost == 0 < report[1].lost < report[2].lost
    assert all(s.lost == 0 for s in results[3:])  # the ACK engine retries forever


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"messages": -1}, "messages"),
    ({"protocol": "carrier-pigeon"}, "unknown protocol"),
    ({"loss": 1.5}, "loss"),
    ({"interval": -0.1}, "interval"),
])
def test_bad_arguments_are_clear_errors(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"protocol": "report", "messages": 5, **kwargs}
    with pytest.raises(ValueError, match=message):
        simulate(**arguments)  # type: ignore[arg-type]


def test_the_command_prints_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--protocol", "report", "--messages", "50", "--loss", "0.2",
                 "--seed", "7", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    expected = simulate("report", 50, loss=0.2, seed=7).to_dict()
    assert result == rounded(expected)
    for field in ("messages", "delivered", "duplicates_delivered", "lost", "data_datagrams",
                  "resends", "acks", "overhead", "virtual_seconds"):
        assert field in result


def test_the_json_shows_floats_to_six_significant_digits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    arguments = {"loss": 0.1, "seed": 3, "interval": 0.1}
    exact = simulate("go-back-n", 100, **arguments).to_dict()  # type: ignore[arg-type]
    assert exact["virtual_seconds"] == 10.600000000000003  # binary noise of a sum of delays
    assert main(["simulate", "--protocol", "go-back-n", "--messages", "100", "--loss", "0.1",
                 "--seed", "3", "--interval", "100", "--json"]) == 0
    printed = capsys.readouterr().out
    assert '"virtual_seconds": 10.6,' in printed
    assert '"goodput": 9.43396,' in printed  # 100 / 10.6, six digits kept
    assert json.loads(printed)["delivered"] == exact["delivered"]  # counts are untouched


def test_the_command_prints_a_readable_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--messages", "10", "--both-ways", "--delay", "100"]) == 0
    rows = dict(re.split(r"\s{2,}", line) for line in capsys.readouterr().out.splitlines())
    assert rows["messages"] == "20" and rows["resends"] == "200"
    assert rows["virtual seconds"] == "0.2"  # there and back at 100 ms
    assert rows["goodput"] == "100"


def test_the_table_speaks_persian_under_lang_fa(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        assert main(["--lang", "fa", "simulate", "--messages", "10", "--delay", "100"]) == 0
    finally:
        voice.set_language("en")
    rows = dict(re.split(r"\s{2,}", line) for line in capsys.readouterr().out.splitlines())
    assert rows["دیتاگرام‌های داده"] == "10"
    assert rows["ثانیه‌های مجازی"] == "0.1"  # one way at 100 ms
    assert rows["بریده‌شده"] == "خیر"  # not Python's False
    assert not [name for name in rows if re.search("[A-Za-z]", name)]


def test_the_command_refuses_bad_settings_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--setting", "window=4"]) == 2
    assert main(["simulate", "--setting", "nonsense"]) == 2
    assert main(["simulate", "--loss", "7"]) == 2
    assert main(["simulate", "--corrupt", "1.5"]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 4
    assert "report has no setting “\u2068window\u2069”; its settings: max_datagram" in errors[0]
    assert "NAME=VALUE" in errors[1]
    assert "loss is a probability" in errors[2]
    assert "corrupt is a probability from 0 to 1, got 1.5" in errors[3]


def test_the_command_counts_the_garbled_text_a_corrupting_network_delivers(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--protocol", "report", "--messages", "200", "--corrupt", "0.1",
                 "--seed", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    expected = simulate("report", 200, corrupt=0.1, seed=2, delay=0.05)
    assert result["garbled_delivered"] == expected.garbled_delivered > 0


def test_stats_are_plain_data() -> None:
    stats = simulate("report", 3)
    assert isinstance(stats, Stats)
    assert set(stats.to_dict()) >= {"protocol", "goodput", "bytes_on_wire", "gave_up"}


# -- a link with a rate: K&R 3.4.2's utilisation ---------------------------------------

KR_RATE = 1e9 / 8  # R = 1 Gb/s, in bytes per second
KR_RTT = 0.030  # 30 ms: 15 ms of propagation each way


def test_stop_and_wait_reproduces_the_textbooks_utilisation() -> None:
    # L = 1000 bytes = 8000 bits: the checksum, "D 0 - " and 989 bytes of text.
    run = run_simulation("stop-and-wait", 20, delay=KR_RTT / 2, rate=KR_RATE, size=989)
    assert {len(r.payload) for r in run.wire if r.kind == "data"} == {1000}
    transmit = 1000 / KR_RATE  # L/R = 0.008 ms
    utilization = run.stats.utilization
    assert utilization == pytest.approx(transmit / (KR_RTT + transmit), rel=1e-3)
    assert f"{utilization:.5f}" == "0.00027"  # K&R: 0.008 / 30.008
    assert run.stats.resends == 0


@pytest.mark.parametrize("window", [1, 4, 16, 64])
def test_a_window_of_n_multiplies_the_utilisation_up_to_one(window: int) -> None:
    # A slower link (L/R about 1 ms) so that a window of 64 fills the pipe; long
    # enough that the last round trip, with nothing left to send, weighs little.
    rate = 1_000_000.0
    run = run_simulation("go-back-n", 3000, delay=KR_RTT / 2, rate=rate, size=994,
                         settings={"window": window, "timeout": 1.0})
    sizes = [len(r.payload) for r in run.wire if r.kind == "data"]
    transmit = sum(sizes) / len(sizes) / rate
    expected = min(1.0, window * transmit / (KR_RTT + transmit))
    assert run.stats.utilization == pytest.approx(expected, rel=0.02)
    assert run.stats.delivered == 3000 and run.stats.resends == 0


def test_without_a_rate_there_is_no_utilisation_to_report() -> None:
    assert simulate("stop-and-wait", 5).utilization is None


def test_the_link_queues_a_burst_one_datagram_behind_the_other() -> None:
    # Four 1000-byte datagrams at once on a 100 kB/s link: they leave 10 ms apart.
    model = ImpairmentModel(Impairment(delay=0.005, rate=100_000.0))
    delays = [model.decide("A->B", 0.0, 1000).delays[0] for _ in range(4)]
    assert delays == pytest.approx([0.015, 0.025, 0.035, 0.045])
    # The other direction has a queue of its own, and a link that fell idle starts afresh.
    assert model.decide("B->A", 0.0, 1000).delays[0] == pytest.approx(0.015)
    assert model.decide("A->B", 1.0, 1000).delays[0] == pytest.approx(0.015)
    assert model.busy_time("A->B") == pytest.approx(0.05)


@pytest.mark.parametrize("rate", [0, -5.0, float("inf"), float("nan")])
def test_a_rate_is_a_positive_number_of_bytes_per_second(rate: float) -> None:
    with pytest.raises(ValueError, match="rate is in bytes per second"):
        Impairment(rate=rate)


def test_the_command_reports_the_utilization_of_a_rated_link(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--protocol", "stop-and-wait", "--messages", "10", "--delay", "15",
                 "--rate", "125000000", "--size", "989", "--json"]) == 0
    utilization = json.loads(capsys.readouterr().out)["utilization"]
    assert utilization == pytest.approx(0.008 / 30.008, rel=1e-3)
    assert main(["simulate", "--protocol", "stop-and-wait", "--messages", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["utilization"] is None

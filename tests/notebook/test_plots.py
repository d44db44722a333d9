"""Sweep plots and tables: the textbook numbers, the figures, the printed table."""

from __future__ import annotations

import io

import numpy
import pytest

from labchat.notebook.plots import (
    counts_table,
    expected_overhead,
    plot_goodput,
    plot_overhead,
    progress_bar,
    sweep_table,
)
from labchat.notebook.scenario import Scenario
from labchat.sim.simulator import Stats, sweep
from labchat.voice import user_text


def stats(protocol: str, loss: float, overhead: float | None, goodput: float | None) -> Stats:
    delivered = 0 if overhead is None else 10
    return Stats(protocol=protocol, messages=10, delivered=delivered, duplicates_delivered=0,
                 lost=10 - delivered, gave_up=10 - delivered,
                 data_datagrams=round((overhead or 0) * delivered), resends=0, acks=10,
                 bytes_on_wire=100, virtual_seconds=2.0, goodput=goodput, overhead=overhead,
                 loss=loss)


def test_the_textbook_formulas() -> None:
    for protocol in ("stop-and-wait", "go-back-n", "selective-repeat"):
        assert expected_overhead(protocol, 0.0) == 1.0  # no loss, no resend
    # Half the data and half the ACKs lost: 1 attempt in 4 succeeds.
    assert expected_overhead("stop-and-wait", 0.5) == pytest.approx(4.0)
    assert expected_overhead("stop-and-wait", 0.5, lossy_acks=False) == pytest.approx(2.0)
    # Go-Back-N with a window of 1 resends one frame per loss, like stop-and-wait.
    assert expected_overhead("go-back-n", 0.2, window=1) == pytest.approx(1 / 0.8)
    assert expected_overhead("go-back-n", 0.2, window=5) == pytest.approx((0.8 + 1.0) / 0.8)
    assert expected_overhead("report", 0.2) is None
    with pytest.raises(ValueError, match="loss must be in"):
        expected_overhead("stop-and-wait", 1.0)


def test_the_overhead_figure_draws_measured_points_beside_the_expected_line() -> None:
    rows = [stats("report", 0.1, 1.1, 5.0), stats("report", 0.0, 1.0, 5.0),
            stats("stop-and-wait", 0.0, 1.0, 4.0), stats("stop-and-wait", 0.5, None, None)]
    figure = plot_overhead(rows)
    (axes,) = figure.axes
    lines = {str(line.get_label()): line for line in axes.get_lines()}

    def xs(label: str) -> list[float]:
        return list(numpy.asarray(lines[label].get_xdata()).tolist())

    def ys(label: str) -> list[float]:
        return list(numpy.asarray(lines[label].get_ydata()).tolist())

    assert sorted(lines) == ["report (measured)", "stop-and-wait (expected)",
                             "stop-and-wait (measured)"]  # the report has no formula
    assert xs("report (measured)") == [0.0, 0.1]  # sorted by loss
    # The run that delivered nothing has no measured point, but the formula does.
    assert xs("stop-and-wait (measured)") == [0.0]
    assert ys("stop-and-wait (expected)") == pytest.approx([1.0, 4.0])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg")  # renders without pyplot or a display
    assert b"<svg" in buffer.getvalue()
    assert [line.get_label() for line in plot_goodput(rows).axes[0].get_lines()] == [
        "report", "stop-and-wait"]


def test_the_table_prints_every_run_with_its_expectation() -> None:
    rows = [stats("stop-and-wait", 0.5, None, None), stats("stop-and-wait", 0.0, 1.0, 4.0)]
    lines = sweep_table(rows).splitlines()
    assert lines[0].split() == ["protocol", "loss", "delivered", "gave", "up", "data",
                                "resends", "acks", "overhead", "expected", "goodput"]
    assert lines[2].split() == ["stop-and-wait", "0.00", "10/10", "0", "10", "0", "10",
                                "1.00", "1.00", "4.0"]
    assert lines[3].split() == ["stop-and-wait", "0.50", "0/10", "10", "0", "0", "10",
                                "-", "4.00", "-"]


def test_the_progress_bar_follows_the_sweep() -> None:
    bar, update = progress_bar(3)
    seen = []

    def progress(done: int, total: int) -> None:
        update(done, total)
        seen.append(bar.value)

    sweep(["report"], [0.0, 0.1, 0.2], 5, progress=progress)
    assert seen == [1, 2, 3]
    assert bar.max == 3
    assert "labchat-progress" in bar._dom_classes


def test_the_counts_table_shows_what_b_delivered_and_what_it_cost() -> None:
    run = Scenario("report")
    run.model.drop_number("A->B", 2)
    run.send_together(("A", f"m{i}") for i in range(1, 4))
    assert counts_table({"report": run.network}).splitlines()[2].split() == [
        "report", "3", "0", "0", "0.050", user_text("m1"), user_text("m3")]


def test_the_spread_table_gives_each_mean_with_its_interval() -> None:
    from labchat.notebook.plots import plot_goodput_spread, plot_overhead_spread, spread_table
    from labchat.sim.experiments import sweep_seeds

    runs = sweep_seeds(["report", "stop-and-wait"], [0.0], 20, seeds=[1, 2])
    lines = spread_table(runs).splitlines()
    assert lines[2].split()[:6] == ["report", "0.00", "1.00", "±", "0.00", "-"]
    assert lines[3].split()[:6] == ["stop-and-wait", "0.00", "1.00", "±", "0.00", "1.00"]
    overhead = plot_overhead_spread(runs)
    legend = overhead.axes[0].get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == [
        "stop-and-wait (expected)", "stop-and-wait (measured)"]  # the report is left out
    assert plot_goodput_spread(runs).axes[0].get_yscale() == "log"


def test_the_recovery_plot_draws_both_runs_message_by_message() -> None:
    from labchat.notebook.plots import plot_recovery

    figure = plot_recovery([0.05, 1.15, 1.25], [0.05, 0.15, 0.25])
    axes = figure.axes[0]
    lines = {line.get_label(): numpy.asarray(line.get_ydata()).tolist()
             for line in axes.get_lines()}
    assert lines == {"timeout only": [0.05, 1.15, 1.25],
                     "fast retransmit (3 duplicate ACKs)": [0.05, 0.15, 0.25]}
    assert numpy.asarray(axes.get_lines()[0].get_xdata()).tolist() == [1, 2, 3]


def test_the_utilisation_plot_and_table_set_each_mean_beside_the_formula() -> None:
    from labchat.notebook.plots import plot_utilization, utilization_table
    from labchat.sim.experiments import sweep_utilization

    # L/R = 1 ms, RTT 10 ms: the formula gives 1/11 for N = 1 and 1 for N = 16.
    runs = sweep_utilization([1, 16], [0.005], [1, 2], messages=200, rate=1e6, size=994)
    lines = utilization_table(runs, transmit=0.001).splitlines()
    assert [line.split()[:2] for line in lines[2:]] == [["10", "1"], ["10", "16"]]
    assert lines[2].split()[-1] == "0.091" and lines[3].split()[-1] == "1.000"
    figure = plot_utilization(runs, transmit=0.001)
    axes = figure.axes[0]
    assert axes.get_xscale() == "log"
    formula = [line for line in axes.get_lines() if line.get_label() == "RTT 10 ms (formula)"]
    assert len(formula) == 1
    line = numpy.asarray(formula[0].get_ydata()).tolist()
    assert (line[0], line[-1]) == pytest.approx((1 / 11, 1.0))  # at N = 1 and N = 16
    knee = numpy.asarray(formula[0].get_xdata())[line.index(1.0)]
    assert 11 <= knee < 11.2  # N (L/R) first covers RTT + L/R at N = 11, drawn there

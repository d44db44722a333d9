"""The views in Persian: right to left, in a font that shapes Persian, the words from the catalogue.

The browser tests check what Chromium draws; these check what the views hand
it: the direction classes and style, each line's direction, the chart's notes
isolated right to left, and the plots' words and font.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import ipywidgets as widgets
import pytest

from labchat import voice
from labchat.events import MessageDelivered
from labchat.notebook import plots
from labchat.notebook.build import check
from labchat.notebook.chart import render_svg
from labchat.notebook.lab import Line, line_html
from labchat.notebook.plots import counts_table, plot_overhead
from labchat.notebook.predict import Predictor
from labchat.notebook.scenario import ChartStack, Scenario, step_chart
from labchat.notebook.stepper import Stepper
from labchat.sim.simulator import sweep
from labchat.sim.stepping import StepModel

PERSIAN = "می‌خواهم -0"


@pytest.fixture
def persian() -> Iterator[None]:
    voice.set_language("fa")
    yield
    voice.set_language("en")


def style_of(root: widgets.Box) -> str:
    style = root.children[0]
    assert isinstance(style, widgets.HTML) and "labchat-style" in style._dom_classes
    return str(style.value)


@pytest.mark.usefixtures("persian")
def test_the_persian_step_through_lays_out_right_to_left_in_vazirmatn() -> None:
    stepper = Stepper("stop-and-wait", script=[f"send A {PERSIAN}", "deliver 0"])
    try:
        root = stepper.widget
        assert {"labchat-view", "labchat-stepper", "labchat-rtl"} <= set(root._dom_classes)
        css = style_of(root)
        assert "@font-face{font-family:Vazirmatn" in css and "font/woff2;base64," in css
        assert ".labchat-rtl{direction:rtl;}" in css
        html = "".join(str(child.value) for child in root.children
                       if isinstance(child, widgets.HTML))
        assert "\\u200c" not in html
    finally:
        stepper.close()


def test_the_english_step_through_stays_left_to_right() -> None:
    stepper = Stepper("stop-and-wait", script=["send A hi"])
    try:
        assert "labchat-ltr" in stepper.widget._dom_classes
        assert "labchat-rtl" not in stepper.widget._dom_classes
    finally:
        stepper.close()


@pytest.mark.usefixtures("persian")
def test_a_panel_line_takes_the_direction_of_the_language_and_isolates_the_user_text() -> None:
    line = Line(kind="new", text=voice.user_text(PERSIAN))
    assert 'dir="rtl"' in line_html(line)
    voice.set_language("en")
    assert 'dir="ltr"' in line_html(line)


@pytest.mark.usefixtures("persian")
def test_the_chart_isolates_its_persian_notes_right_to_left() -> None:
    stepper = Stepper("stop-and-wait", script=[f"send A {PERSIAN}", "deliver 0"])
    try:
        svg = render_svg(stepper.network.wire, stepper.network.events)
        note = voice.narration(MessageDelivered(at=0.0, text=PERSIAN, seq=0))
        assert note.startswith(f"«{voice.user_text(PERSIAN)}»")
        # The note (wrapped to lines) opens right to left, the message isolated inside.
        assert f">{voice.RLI}«{voice.user_text(PERSIAN)}»" in svg
        assert voice.FONT_STACK.split(",")[0] in svg
    finally:
        stepper.close()


@pytest.mark.usefixtures("persian")
def test_a_persian_plot_has_persian_words_in_vazirmatn_and_renders() -> None:
    figure = plot_overhead(sweep(["stop-and-wait"], [0.0, 0.2], 20, seed=1))
    axes = figure.axes[0]
    assert axes.get_title() == "هزینهٔ اطمینان‌پذیری: اندازه‌گیری در برابر کتاب درسی"
    assert axes.title.get_fontfamily()[0] == "Vazirmatn"
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")  # drawn, with no missing glyph logged


def test_a_check_s_verdict_reads_right_to_left_in_persian_only() -> None:
    assert '<div class="labchat-check" dir="ltr">' in check("gbn_receiver", None)._repr_html_()
    voice.set_language("fa")
    try:
        verdict = check("gbn_receiver", None)._repr_html_()
    finally:
        voice.set_language("en")
    assert verdict.startswith('<div class="labchat-check" dir="rtl"><p><b>تمرین 3 · ')


@pytest.mark.usefixtures("persian")
def test_the_text_a_persian_notebook_shows_for_a_view_is_persian() -> None:
    # Where no widget or chart is drawn, and what nbval compares: text/plain.
    chart = step_chart(StepModel("stop-and-wait", script=["send A m1", "drop 0", "timer"]))
    stack = ChartStack([("report", chart), ("stop-and-wait", chart)])
    stepper = Stepper("go-back-n", script=["send A m1"])
    figure = Predictor("3.16a")
    try:
        texts = [repr(chart), repr(stack), stepper._repr_mimebundle_()["text/plain"],
                 figure._repr_mimebundle_()["text/plain"]]
    finally:
        stepper.close()
        figure.close()
    assert texts == [
        "نمودار توالی: 2 دیتاگرام (1 داده، 1 ارسال دوباره)، 1 گم‌شده، 1 در راه",
        "نمودارهای توالی: report / stop-and-wait",
        "گام‌به‌گامِ go-back-n: 1 گام، t=0.000، 1 در راه",
        "شکل 3.16a: گام 0 از 9، 0 از 0 پیش‌بینی درست بود",
    ]


def column_ends(line: str) -> list[int]:
    """Where each cell of a text table line ends, in monospace cells: an isolated
    heading is one cell (with its spaces), isolates and non-joiners take no room."""
    ends, shown = [], 0
    for part in re.findall("\u2068[^\u2069]*\u2069|[^ \u2068]+| +", line):
        shown += plots.cells(part)
        if not part.startswith(" "):
            ends.append(shown)
    return ends


@pytest.mark.usefixtures("persian")
def test_a_persian_table_keeps_each_heading_over_its_own_column() -> None:
    runs = {}
    for protocol in ("report", "stop-and-wait"):
        run = Scenario(protocol)
        run.send_together(("A", f"m{i}") for i in range(1, 3))
        runs[protocol] = run.network
    header, rule, *rows = counts_table(runs).splitlines()
    headings = [voice.column(key) for key in ("protocol", "data", "resends", "acks", "seconds")]
    # Each heading isolated: a run of Persian words would read right to left as one phrase.
    assert header.split("  ")[0].strip().startswith(voice.user_text(headings[0]))
    for heading in [*headings, voice.label("delivered_by_b")]:
        assert voice.user_text(heading) in header
    # The numbers are right-aligned under their headings, however wide the Persian words.
    assert len(rule) == plots.cells(header) and len(headings[2]) > 7
    for row in rows:
        assert column_ends(row)[1:5] == column_ends(header)[1:5], (header, row)

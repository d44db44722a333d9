"""The lab in Persian, as a Persian-speaking student sees it in JupyterLab and Voilà.

A message with a zero-width non-joiner must read as written (no ``\\u200c``
escape), a count such as ``-0`` beside English text must not flip to ``0-``,
and the panels, buttons and sliders must lay out right to left (computed
``direction: rtl``). The screenshots are the README's Persian pictures: a
person looks at them (shaped letters, direction, nothing overlapping).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser import lab_ui as ui
from tests.browser.jupyterlab_ui import open_notebook, run_all_cells, run_cell
from tests.browser.servers import Server

pytestmark = pytest.mark.timeout(420)

#: "Can you hear me?": the verb's prefix is joined by a zero-width non-joiner.
PERSIAN = "صدایم را می‌شنوی؟"
assert "\u200c" in PERSIAN
ENGLISH_WITH_COUNT = "hello client 2"


def direction(locator: Locator) -> str:
    return str(locator.evaluate("element => getComputedStyle(element).direction"))


def minus_left_of_zero(text_element: Locator, label: str) -> bool:
    """Whether, in ``text_element`` (an SVG ``<text>``), the ``-`` of ``label``'s
    ``-0`` is drawn left of its ``0``, as an English reader expects."""
    return bool(text_element.evaluate(
        """(element, label) => {
             const at = element.textContent.indexOf(label) + label.length - 2;
             return element.getStartPositionOfChar(at).x
                    < element.getStartPositionOfChar(at + 1).x;
           }""", label))


def check_persian_lab(lab: Locator) -> None:
    """Chat in the Persian lab, and check what a reader of Persian sees."""
    expect(ui.peer(lab, "A").locator(".labchat-send")).to_have_text("بفرست")
    for part in (ui.peer(lab, "A"), ui.peer(lab, "B"), lab.locator(".labchat-loss"),
                 lab.locator(".labchat-drop-a-b")):
        assert direction(part) == "rtl"
    # The peers keep A left and B right, over their lifelines in the chart.
    a_box, b_box = ui.peer(lab, "A").bounding_box(), ui.peer(lab, "B").bounding_box()
    assert a_box is not None and b_box is not None and a_box["x"] < b_box["x"]
    # A slider's label stands right of its track.
    loss = lab.locator(".labchat-loss")
    label_box = loss.locator(".widget-label").bounding_box()
    track_box = loss.locator(".slider-container, .widget-slider").first.bounding_box()
    assert label_box is not None and track_box is not None
    assert label_box["x"] > track_box["x"]

    ui.send(lab, "A", ENGLISH_WITH_COUNT)
    expect(ui.messages(lab, "B")).to_contain_text(ENGLISH_WITH_COUNT,
                                                  timeout=ui.UPDATE_TIMEOUT)
    ui.send(lab, "B", PERSIAN)
    expect(ui.messages(lab, "A")).to_contain_text(PERSIAN, timeout=ui.UPDATE_TIMEOUT)
    line = ui.messages(lab, "A").locator(".labchat-msg").last
    assert direction(line) == "rtl"
    shown = lab.inner_text()
    assert "\\u200c" not in shown and "\\u2068" not in shown
    # On the chart, A's datagram carries its count: "-0" reads as written.
    label = lab.locator(".labchat-chart text").filter(has_text=f"{ENGLISH_WITH_COUNT} -0")
    expect(label.first).to_be_visible()
    assert minus_left_of_zero(label.first, f"{ENGLISH_WITH_COUNT} -0")
    expect(lab.locator(".labchat-chart").get_by_text("را تحویل داد").first).to_be_visible()

    # The loss slider's track grows left to right, as a number line does in
    # Persian too (labchat/notebook/ui.py says why): a click near its right
    # end asks for a high loss. Home puts it back to 0.
    track = loss.locator(".noUi-target")
    box = track.bounding_box()
    assert box is not None
    track.click(position={"x": box["width"] * 0.9, "y": box["height"] / 2})
    readout = loss.locator(".widget-readout")
    expect(readout).not_to_have_text("0.00", timeout=ui.UPDATE_TIMEOUT)
    assert float(readout.inner_text()) > 0.5
    loss.locator(".noUi-handle").press("Home")
    expect(readout).to_have_text("0.00", timeout=ui.UPDATE_TIMEOUT)


def test_the_persian_lab_in_jupyterlab(
    jupyterlab: Server, page: Page, screenshots: Path
) -> None:
    open_notebook(page, jupyterlab, "fa/01_report_chat_live.ipynb")
    run_all_cells(page)
    run_cell(page, "lab = ChatLab(")
    expect(page.locator(".labchat-lab")).to_have_count(1, timeout=ui.DISPLAY_TIMEOUT)
    lab = ui.lab(page)
    lab.scroll_into_view_if_needed()
    check_persian_lab(lab)
    ui.snapshot(lab, screenshots / "lab-chat-fa.png")


def test_the_persian_step_through_in_jupyterlab(
    jupyterlab: Server, page: Page, screenshots: Path
) -> None:
    open_notebook(page, jupyterlab, "fa/03_from_counts_to_windows.ipynb")
    run_all_cells(page)
    stepper = page.locator(".labchat-stepper").first
    expect(stepper).to_be_visible(timeout=ui.DISPLAY_TIMEOUT)
    stepper.scroll_into_view_if_needed()
    for part in (ui.peer(stepper, "A"), ui.peer(stepper, "B")):
        assert direction(part) == "rtl"
    ui.send(stepper, "A", PERSIAN)
    first = stepper.locator(".labchat-inflight").filter(has_text=PERSIAN)
    expect(first).to_have_count(1, timeout=ui.UPDATE_TIMEOUT)
    expect(first.locator(".labchat-deliver")).to_have_text("تحویل")
    assert direction(first) == "rtl"
    first.locator(".labchat-deliver").click()
    expect(ui.messages(stepper, "B")).to_contain_text(PERSIAN, timeout=ui.UPDATE_TIMEOUT)
    expect(first).to_have_count(0)
    expect(stepper.locator(".labchat-chart").get_by_text("را تحویل داد").first).to_be_visible()
    shown = stepper.inner_text()
    assert "\\u200c" not in shown and "\\u2068" not in shown
    states = stepper.locator(".labchat-state-A").inner_text() + stepper.locator(
        ".labchat-state-B").inner_text()
    assert "خیر" in states and not {"None", "True", "False"} & set(states.split())
    ui.snapshot(stepper, screenshots / "stepper-fa.png")


def test_the_persian_app_in_voila(
    voila_app_fa: Server, page: Page, screenshots: Path
) -> None:
    page.goto(voila_app_fa.url)
    lab = ui.lab(page)
    expect(lab).to_be_visible(timeout=ui.DISPLAY_TIMEOUT)
    expect(page.get_by_role("heading", level=1)).to_contain_text("گفت‌وگوی دو نفر")
    check_persian_lab(lab)
    page.screenshot(path=str(screenshots / "voila-app-fa.png"), full_page=True)

"""A person in JupyterLab: open the lab's notebooks, Run All, chat, drop, step through.

These tests drive a real Chromium through JupyterLab: they check what a person
sees (text in the other peer's panel, arrows and losses on the sequence chart,
a peer's state changing), fail on any browser console error or uncaught page
error, and let no request leave 127.0.0.1. Their screenshots are the README's
pictures.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import lab_ui as ui
from tests.browser.jupyterlab_ui import open_notebook, run_all_cells, run_cell
from tests.browser.servers import Server

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CHAT_NOTEBOOK = "01_report_chat_live.ipynb"

pytestmark = pytest.mark.timeout(420)


def stepper_notebook() -> str:
    found = sorted(p.name for p in NOTEBOOKS.glob("03_*.ipynb"))
    assert found, f"no step-through notebook notebooks/03_*.ipynb in {NOTEBOOKS}"
    return found[0]


def test_chat_drop_and_resend_in_jupyterlab(
    jupyterlab: Server, page: Page, screenshots: Path
) -> None:
    open_notebook(page, jupyterlab, CHAT_NOTEBOOK)
    run_all_cells(page)  # the notebook's own story runs in the browser without an error
    # Its last cell closes the lab; a person starts afresh by running the lab's cell again.
    run_cell(page, "lab = ChatLab(")
    expect(page.locator(".labchat-lab")).to_have_count(1, timeout=ui.DISPLAY_TIMEOUT)
    lab = ui.lab(page)
    expect(lab).to_be_visible()
    lab.scroll_into_view_if_needed()
    expect(ui.arrows(lab)).to_have_count(0)  # a fresh lab: every arrow below is ours

    ui.send(lab, "A", "hello from the browser")
    expect(ui.messages(lab, "B")).to_contain_text("hello from the browser",
                                                  timeout=ui.UPDATE_TIMEOUT)
    # One click, one datagram: exactly one more data arrow from A, and it arrived.
    expect(ui.arrows(lab, source="A", kind="data")).to_have_count(1)
    expect(ui.arrows(lab, source="A", kind="data", fate="delivered").last).to_be_visible()

    ui.send(lab, "B", "hi, browser")
    expect(ui.messages(lab, "A")).to_contain_text("hi, browser", timeout=ui.UPDATE_TIMEOUT)
    expect(ui.arrows(lab, source="B", kind="data")).to_have_count(1)
    ui.snapshot(lab, screenshots / "lab-chat.png")

    # Lose A's next datagram: it is on the chart as a loss, and B never shows it...
    lab.locator(".labchat-drop-a-b").click()
    ui.send(lab, "A", "this one gets lost")
    expect(ui.arrows(lab, fate="dropped")).to_have_count(1, timeout=ui.UPDATE_TIMEOUT)
    expect(lab.locator(".labchat-chart .labchat-loss").last).to_be_visible()
    expect(ui.messages(lab, "B")).not_to_contain_text("this one gets lost")

    # ...until B speaks: its count is one behind, A sees the mismatch and resends all.
    ui.send(lab, "B", "anyone there?")
    expect(ui.messages(lab, "A")).to_contain_text("anyone there?", timeout=ui.UPDATE_TIMEOUT)
    expect(ui.arrows(lab, source="A", kind="resend").first).to_be_visible(
        timeout=ui.UPDATE_TIMEOUT)
    expect(ui.messages(lab, "B")).to_contain_text("this one gets lost",
                                                  timeout=ui.UPDATE_TIMEOUT)
    expect(ui.messages(lab, "B").locator(".labchat-msg-resent").first).to_be_visible()
    ui.snapshot(lab, screenshots / "lab-drop-resend.png")


def test_step_through_deliver_and_drop_in_jupyterlab(
    jupyterlab: Server, page: Page, screenshots: Path
) -> None:
    open_notebook(page, jupyterlab, stepper_notebook())
    run_all_cells(page)
    stepper = page.locator(".labchat-stepper").first
    expect(stepper).to_be_visible(timeout=ui.DISPLAY_TIMEOUT)
    stepper.scroll_into_view_if_needed()
    state_b = stepper.locator(".labchat-state-B")
    losses = stepper.locator(".labchat-chart .labchat-loss").count()

    # A sends: the datagram waits in flight until a person decides its fate.
    ui.send(stepper, "A", "step one")
    first = stepper.locator(".labchat-inflight").filter(has_text="step one")
    expect(first).to_have_count(1, timeout=ui.UPDATE_TIMEOUT)
    expect(ui.messages(stepper, "B")).not_to_contain_text("step one")
    state_before = state_b.text_content() or ""
    first.locator(".labchat-deliver").click()
    expect(ui.messages(stepper, "B")).to_contain_text("step one", timeout=ui.UPDATE_TIMEOUT)
    expect(state_b).not_to_have_text(state_before)
    expect(first).to_have_count(0)

    # A sends again and the person drops it: a loss on the chart, nothing new at B.
    ui.send(stepper, "A", "step two")
    second = stepper.locator(".labchat-inflight").filter(has_text="step two")
    expect(second).to_have_count(1, timeout=ui.UPDATE_TIMEOUT)
    state_before = state_b.text_content() or ""
    second.locator(".labchat-drop").click()
    expect(second).to_have_count(0, timeout=ui.UPDATE_TIMEOUT)
    expect(stepper.locator(".labchat-chart .labchat-loss")).to_have_count(losses + 1)
    expect(ui.messages(stepper, "B")).not_to_contain_text("step two")
    expect(state_b).to_have_text(state_before)
    ui.snapshot(stepper, screenshots / "stepper.png")

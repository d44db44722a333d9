"""The classroom app (`make app`): the lab served by Voilà, chatted through in Chromium.

Voilà's page asks a CDN for an icon font; the guard refuses it and the page
must work anyway, with no console error of its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import lab_ui as ui
from tests.browser.servers import Server

pytestmark = pytest.mark.timeout(300)


def test_chat_through_the_voila_app(
    voila_app: Server, page: Page, screenshots: Path
) -> None:
    page.goto(voila_app.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("labchat",
                                                                  timeout=ui.DISPLAY_TIMEOUT)
    lab = ui.lab(page)
    expect(lab).to_be_visible(timeout=ui.DISPLAY_TIMEOUT)
    # The app shows the lab, not the code that makes it.
    expect(page.get_by_text("from labchat.notebook.lab import ChatLab")).to_have_count(0)

    ui.send(lab, "A", "hello, class")
    expect(ui.messages(lab, "B")).to_contain_text("hello, class", timeout=ui.UPDATE_TIMEOUT)
    expect(ui.arrows(lab, source="A", kind="data").first).to_be_visible()
    ui.send(lab, "B", "hello, teacher")
    expect(ui.messages(lab, "A")).to_contain_text("hello, teacher", timeout=ui.UPDATE_TIMEOUT)
    page.screenshot(path=str(screenshots / "voila-app.png"), full_page=True)

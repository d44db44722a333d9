"""The lab's widgets as a person sees them, found by the CSS classes of the UI contract.

This module owns the selectors (``notes/ui-contract.md``) and the moves a
person makes: type into a peer's box and click Send, click a control. Each
move is followed by a bounded wait in the test, never by a sleep. It must not
know whether the page is JupyterLab or Voilà.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page

#: Ceiling (ms) for a datagram to cross the relay and the widget update to reach the page.
UPDATE_TIMEOUT = 20_000
#: Ceiling (ms) for a notebook cell to display the lab after Run All / page load.
DISPLAY_TIMEOUT = 120_000


def lab(page: Page) -> Locator:
    return page.locator(".labchat-lab").first


def peer(root: Locator, side: str) -> Locator:
    return root.locator(f".labchat-peer-{side}")


def messages(root: Locator, side: str) -> Locator:
    return peer(root, side).locator(".labchat-messages")


def arrows(root: Locator, **attributes: str) -> Locator:
    """Arrows on ``root``'s sequence chart, e.g. ``arrows(root, source="A", kind="data")``."""
    selector = ".labchat-chart .labchat-arrow" + "".join(
        f'[data-{name}="{value}"]' for name, value in attributes.items())
    return root.locator(selector)


def send(root: Locator, side: str, text: str) -> None:
    """Type ``text`` into ``side``'s box and click its Send button."""
    box = peer(root, side).locator(".labchat-input input")
    box.fill(text)
    peer(root, side).locator(".labchat-send").click()


def snapshot(locator: Locator, path: Path) -> None:
    """A picture of ``locator`` for the README (the element only, not the browser chrome)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page = locator.page
    viewport = page.viewport_size
    box = locator.bounding_box()
    if viewport and box and box["height"] + 120 > viewport["height"]:
        # JupyterLab scrolls the notebook inside its own panel: an element
        # taller than the window would be cut off, so make the window taller.
        page.set_viewport_size({"width": viewport["width"], "height": int(box["height"]) + 200})
        locator.scroll_into_view_if_needed()
    locator.screenshot(path=str(path), animations="disabled")

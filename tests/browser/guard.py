"""What a browser page may do in a test: talk to 127.0.0.1 only, and never log an error.

``PageGuard`` watches one browser context: every request (and web socket) not
addressed to 127.0.0.1 is refused and counted, and every console error and
uncaught page error is recorded. ``problems()`` lists what should fail the
test. The only console errors let through are those the guard caused itself,
by refusing a request: the page must survive a missing CDN, and that is what
the count of refused requests shows. This module must not start or stop
anything; the fixtures do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Route,
    WebSocketRoute,
)

LOCAL_HOST = "127.0.0.1"


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    # data: and blob: URLs never leave the browser.
    return parts.scheme in ("data", "blob", "about") or parts.hostname == LOCAL_HOST


@dataclass
class PageGuard:
    refused: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    #: Console errors that only report a request this guard refused (kept to show them).
    allowed: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        """Route every request and web socket of ``context`` through the guard."""
        context.route("**/*", self._on_request)
        context.route_web_socket(lambda url: not is_local(url), self._on_web_socket)
        context.on("page", self.watch)

    def watch(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)

    def problems(self) -> list[str]:
        return [f"console error: {e}" for e in self.console_errors] + [
            f"page error: {e}" for e in self.page_errors
        ]

    def assert_clean(self) -> None:
        problems = self.problems()
        assert problems == [], "the page reported errors:\n" + "\n".join(problems)

    # -- handlers (called by Playwright on its dispatch thread) ----------------

    def _on_request(self, route: Route) -> None:
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            self.refused.append(url)
            route.abort("blockedbyclient")

    def _on_web_socket(self, ws: WebSocketRoute) -> None:
        self.refused.append(ws.url)
        ws.close()

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        text = f"{message.text} (at {where})" if where else message.text
        # Reason for the allow-list: Chromium logs "Failed to load resource" for a
        # request the guard aborted; the refusal is already counted in ``refused``.
        if where in self.refused or any(url in message.text for url in self.refused):
            self.allowed.append(text)
        else:
            self.console_errors.append(text)

    def _on_page_error(self, error: Error) -> None:
        self.page_errors.append(f"{error.name}: {error.message}")

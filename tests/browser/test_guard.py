"""The page guard itself: it refuses the internet, and it sees errors a test must fail on.

The other browser tests pass only if the guard saw nothing wrong; these tests
show that it would have seen it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.guard import PageGuard


@pytest.fixture
def guarded(browser: Browser) -> Iterator[tuple[PageGuard, Page]]:
    # Its own context: these tests provoke errors on purpose, which the shared
    # ``page`` fixture would (rightly) turn into a failure.
    guard = PageGuard()
    context = browser.new_context(service_workers="block")
    try:
        guard.attach(context)
        yield guard, context.new_page()
    finally:
        context.close()


def test_a_request_to_a_cdn_is_refused_counted_and_does_not_break_the_page(
    guarded: tuple[PageGuard, Page],
) -> None:
    guard, page = guarded
    page.set_content(
        '<link rel="stylesheet" href="https://fonts.example.org/font.css">'
        '<img src="https://cdn.example.org/logo.png"><p id="text">still here</p>'
    )
    expect(page.locator("#text")).to_have_text("still here")
    assert sorted(guard.refused) == [
        "https://cdn.example.org/logo.png", "https://fonts.example.org/font.css"]
    assert guard.problems() == []  # "Failed to load resource" for them is our doing


def test_a_console_error_and_an_uncaught_exception_are_problems(
    guarded: tuple[PageGuard, Page],
) -> None:
    guard, page = guarded
    page.set_content("<p>page</p>")
    page.evaluate("console.error('the widget failed to render')")
    page.evaluate("setTimeout(() => { throw new TypeError('model is undefined') }, 0)")
    for _ in range(50):  # events arrive asynchronously: a bounded wait for both
        if len(guard.problems()) >= 2:
            break
        page.wait_for_timeout(100)
    problems = guard.problems()
    assert any("console error: the widget failed to render" in p for p in problems), problems
    assert any("TypeError: model is undefined" in p for p in problems), problems

"""Fixtures every labchat test gets: nothing a test opens may outlive it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from labchat.udp import registry


def labchat_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("labchat-") and t.is_alive()]


@pytest.fixture(autouse=True)
def nothing_left_open() -> Iterator[None]:
    """Fail a test that leaves a peer, relay or lab (or their threads) open."""
    yield
    leaked = registry.open_resources()
    registry.close_all()  # so one leak does not fail every later test too
    assert leaked == [], f"left open: {leaked}"
    assert labchat_threads() == [], f"threads still running: {labchat_threads()}"

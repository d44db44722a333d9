"""Everything with a socket or a thread that is still open, so it can be closed.

A notebook cell that starts two peers may be run again; before it starts new
ones it calls ``close_all()`` and the old threads and ports are gone. Objects
register themselves when they open and unregister when they close.
"""

from __future__ import annotations

import threading
from typing import Protocol


class Closeable(Protocol):
    def close(self) -> None: ...


_open: list[Closeable] = []
_lock = threading.Lock()


def register(resource: Closeable) -> None:
    with _lock:
        _open.append(resource)


def unregister(resource: Closeable) -> None:
    with _lock:
        if resource in _open:
            _open.remove(resource)


def open_resources() -> list[Closeable]:
    """What is open now, oldest first."""
    with _lock:
        return list(_open)


def close_all() -> int:
    """Close every open peer, relay and lab, newest first; return how many."""
    resources = open_resources()
    for resource in reversed(resources):
        resource.close()
    return len(resources)

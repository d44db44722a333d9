"""What every socket owner of labchat shares: one thread, one lock, subscribers.

``Worker`` is the base of ``UdpPeer`` and ``UdpRelay``: a re-entrant lock
with a condition (``wait_for`` blocks until a predicate holds, checked under
the lock), subscribers called with the lock held whose exceptions are kept in
``subscriber_errors`` rather than kill the thread, a daemon thread that runs
``_run`` until ``_stop`` is set, registration in ``registry`` so a notebook can
close everything on re-run, and the first half of ``close()`` (stop, join).

Subscribers run under the worker's lock, from whichever thread produced the
item: they only record, and never call into another object that takes its
own lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from labchat.udp import registry

Item = TypeVar("Item")

#: The longest a worker's thread sleeps before it looks at the stop flag.
POLL_INTERVAL = 0.05


class Worker(Generic[Item]):
    """One daemon thread named ``labchat-<name>``, one lock, subscribers of ``Item``."""

    def __init__(self, name: str, subscribers: Iterable[Callable[[Item], None]] = ()) -> None:
        """``subscribers``: called for every item from the first on (``subscribe`` after
        construction may miss what the thread produced before it)."""
        self.name = name
        self.subscriber_errors: list[BaseException] = []
        self._subscribers: list[Callable[[Item], None]] = list(subscribers)
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"labchat-{name}", daemon=True)

    def _start(self) -> None:
        """Start the thread and register; call at the end of a subclass's ``__init__``."""
        self._thread.start()
        registry.register(self)

    def _run(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # -- any thread --------------------------------------------------------------------

    def subscribe(self, subscriber: Callable[[Item], None]) -> Callable[[], None]:
        """Call ``subscriber(item)`` for every future item; returns an unsubscribe.

        Called with this worker's lock held, from its thread or a caller's:
        keep it short, and never make it wait for another peer or relay.
        """
        with self._lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return unsubscribe

    def wait_for(self, condition: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Block until ``condition()`` holds (checked under the lock) or ``timeout``.

        Returns whether it holds: tests and notebook cells end on this
        instead of sleeping, so they are as fast as the network allows.
        """
        with self._changed:
            return self._changed.wait_for(condition, timeout)

    @property
    def closed(self) -> bool:
        return self._closed

    # -- for subclasses ----------------------------------------------------------------

    def _stop_thread(self) -> bool:
        """Stop and join the thread; False if already closed (``close`` does nothing)."""
        if self._closed:
            return False
        self._closed = True
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2 * POLL_INTERVAL + 1.0)
        return True

    def _closed_for_good(self) -> None:
        """The last step of ``close``, once the sockets are closed."""
        registry.unregister(self)

    def _notify(self, item: Item) -> None:
        """Give ``item`` to every subscriber and wake the waiters (lock held)."""
        self._pass_on(item)
        self._wake()

    def _pass_on(self, item: Item) -> None:
        """Give ``item`` to every subscriber (lock held); the waiters are woken by ``_wake``."""
        for subscriber in list(self._subscribers):
            try:
                subscriber(item)
            except Exception as error:  # a broken display must not kill the thread
                self.subscriber_errors.append(error)

    def _wake(self) -> None:
        """Wake every ``wait_for`` caller to check its condition again (lock held)."""
        self._changed.notify_all()

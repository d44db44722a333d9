"""Lines from a pipe on stdin, each as soon as it arrives, and Ctrl-C wakes the wait.

A plain ``sys.stdin.readline()`` can sleep through Ctrl-C: Python's signal
handler only sets a flag, checked between bytecodes, so a SIGINT that lands
after the last check and before the read starts is noticed only when a line
arrives, perhaps never. Here the main thread waits in ``select()`` on stdin
and on the signal wakeup fd (``signal.set_wakeup_fd``), which the handler
writes to whenever it runs: the wait always ends, and ``KeyboardInterrupt``
is raised at once. Input that cannot be watched (a regular file, or a call
from another thread) is read with ``readline``, which never waits long.
"""

from __future__ import annotations

import codecs
import os
import selectors
import signal
import sys
from collections.abc import Iterator

CHUNK = 65536


def pipe_lines() -> Iterator[str]:
    """Lines typed or piped into stdin, without their line ends, until end of input."""
    try:
        fd = sys.stdin.fileno()
        selector = selectors.DefaultSelector()
        selector.register(fd, selectors.EVENT_READ)
    except (OSError, ValueError, AttributeError):  # a regular file, or no real stdin
        yield from _readline_lines()
        return
    wake_read, wake_write = os.pipe()
    for end in (wake_read, wake_write):
        os.set_blocking(end, False)
    try:
        previous = signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    except ValueError:  # not the main thread: its signals are not ours to watch
        for end in (wake_read, wake_write):
            os.close(end)
        selector.close()
        yield from _readline_lines()
        return
    try:
        selector.register(wake_read, selectors.EVENT_READ)
        yield from _selected_lines(selector, fd, wake_read)
    finally:
        signal.set_wakeup_fd(previous)
        selector.close()
        for end in (wake_read, wake_write):
            os.close(end)


def _selected_lines(selector: selectors.BaseSelector, fd: int, wake: int) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(sys.stdin.encoding or "utf-8")(errors="replace")
    pending = ""
    while True:
        ready = {key.fd for key, _ in selector.select()}
        if wake in ready:
            os.read(wake, CHUNK)  # the handler has run; KeyboardInterrupt follows
        if fd not in ready:
            continue
        chunk = os.read(fd, CHUNK)
        pending += decoder.decode(chunk, final=not chunk)
        *lines, pending = pending.split("\n")
        for line in lines:
            yield line.rstrip("\r")
        if not chunk:  # end of input: a last line without its newline still counts
            if pending:
                yield pending.rstrip("\r")
            return


def _readline_lines() -> Iterator[str]:
    # readline, not iteration, so each line is handled as soon as it arrives.
    while line := sys.stdin.readline():
        yield line.rstrip("\r\n")

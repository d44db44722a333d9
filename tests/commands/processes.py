"""Child processes for CLI tests: started, read and always stopped, with bounded waits.

A ``Child`` runs a command with pipes; one reader thread per output stream
collects its lines, so a test never blocks on a pipe and can wait (with a
timeout) for the line it expects. On timeout the failure shows everything
the child printed. ``close()`` ends the child and joins the readers; the
``children`` fixture-style context manager closes every child even when the
test fails.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
#: How long a test waits for a line it expects before it fails.
WAIT = 10.0


def child_environment() -> dict[str, str]:
    """The test's environment, with UTF-8 pipes whatever the locale.

    PYTHONUNBUFFERED is removed: a user's shell rarely sets it, and with it a
    child that forgets to flush its output would still pass.
    """
    environment = {key: value for key, value in os.environ.items()
                   if key != "PYTHONUNBUFFERED"}
    return {**environment, "PYTHONUTF8": "1", "PYTHONIOENCODING": "utf-8"}


@contextmanager
def udp_socket() -> Iterator[socket.socket]:
    """A UDP socket bound to a port of 127.0.0.1 the system chose; closed on the way out.

    Its port is known at once and held for the whole test, so no other
    process can take it. As a destination nobody answers, it is never read:
    what arrives there waits, then overflows, unseen. Handed to a child
    (``Child(..., handed=...)``, ``LabchatChat``) it is the child's socket;
    closing it here again is harmless.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(("127.0.0.1", 0))
        yield sock
    finally:
        sock.close()


def port_of(sock: socket.socket) -> int:
    port: int = sock.getsockname()[1]
    return port


def wait_until_adopted(sock: socket.socket, timeout: float = WAIT) -> None:
    """Wait until the child a copy of ``sock`` was handed to made it non-blocking.

    That is labchat's code taking the socket over (``UdpPeer`` and
    ``UdpRelay`` make their sockets non-blocking): the flag belongs to the
    open socket, shared by every descriptor of it, so this copy sees it.
    """
    deadline = time.monotonic() + timeout
    while not fcntl.fcntl(sock.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK:
        if time.monotonic() > deadline:
            pytest.fail(f"the socket on port {port_of(sock)} was not taken over "
                        f"within {timeout} s")
        time.sleep(0.01)


def udp_ports_by_descriptor(pid: int) -> dict[int, int]:
    """The bound UDP sockets process ``pid`` holds: descriptor -> port (Linux /proc)."""
    inodes: dict[str, int] = {}
    for entry in Path(f"/proc/{pid}/fd").iterdir():
        with suppress(OSError):  # closed meanwhile
            target = os.readlink(entry)
            if target.startswith("socket:["):
                inodes[target[len("socket:["):-1]] = int(entry.name)
    found: dict[int, int] = {}
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        with suppress(OSError):
            for row in Path(table).read_text().splitlines()[1:]:
                fields = row.split()  # local address is field 1, the inode field 9
                if fields[9] in inodes:
                    found[inodes[fields[9]]] = int(fields[1].rsplit(":", 1)[1], 16)
    return found


def udp_port_bound(port: int) -> bool:
    """Whether some socket is bound to UDP ``port`` (Linux /proc, without touching it)."""
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local = row.split()[1]  # "0100007F:FFCE"
            if int(local.rsplit(":", 1)[1], 16) == port:
                return True
    return False


def wait_until_udp_bound(port: int, timeout: float = WAIT) -> None:
    _wait_port(port, bound=True, timeout=timeout)


def wait_until_udp_unbound(port: int, timeout: float = WAIT) -> None:
    _wait_port(port, bound=False, timeout=timeout)


def _wait_port(port: int, *, bound: bool, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while udp_port_bound(port) != bound:
        if time.monotonic() > deadline:
            state = "bound" if bound else "freed"
            pytest.fail(f"UDP port {port} was not {state} within {timeout} s")
        time.sleep(0.01)


class Lines:
    """The lines of one stream, filled by a reader thread; wait on them with a timeout."""

    def __init__(self, stream: IO[str], name: str) -> None:
        self._stream = stream
        self._lines: list[str] = []
        self._ended = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, name=f"reader-{name}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for line in self._stream:
                with self._changed:
                    self._lines.append(line.rstrip("\n"))
                    self._changed.notify_all()
        except (OSError, ValueError):
            pass  # the pipe was closed under us: the child is gone
        finally:
            with self._changed:
                self._ended = True
                self._changed.notify_all()

    @property
    def lines(self) -> list[str]:
        with self._changed:
            return list(self._lines)

    def wait_for(self, found: Callable[[list[str]], bool], timeout: float) -> bool:
        """Block until ``found(lines)`` holds, the stream ends, or ``timeout``."""
        with self._changed:
            self._changed.wait_for(lambda: found(self._lines) or self._ended, timeout)
            return found(self._lines)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


class Child:
    """One child process with line-oriented stdin, stdout and stderr."""

    def __init__(self, command: Sequence[str], name: str,
                 handed: Sequence[socket.socket] = ()) -> None:
        """``handed``: sockets the child inherits on their descriptor numbers
        (named ``fd:N`` in ``command``); the test's copies are closed once it started."""
        self.name = name
        try:
            self.process = subprocess.Popen(
                list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
                cwd=REPOSITORY, env=child_environment(),
                pass_fds=[sock.fileno() for sock in handed],
            )
        finally:
            for sock in handed:
                sock.close()
        assert self.process.stdout is not None and self.process.stderr is not None
        self.stdout = Lines(self.process.stdout, f"{name}-out")
        self.stderr = Lines(self.process.stderr, f"{name}-err")

    def type(self, *lines: str) -> None:
        """Write lines to the child's stdin, as if typed."""
        assert self.process.stdin is not None
        for line in lines:
            self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def end_input(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()

    def interrupt(self) -> None:
        self.process.send_signal(signal.SIGINT)

    def wait_exit(self, timeout: float = WAIT) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.fail(f"did not exit within {timeout} s")
            raise  # unreachable: fail() raises

    def wait_line(self, pattern: str, *, count: int = 1, stream: str = "stdout",
                  timeout: float = WAIT) -> list[str]:
        """The first ``count`` lines matching ``pattern`` (re.search), waiting if needed."""
        lines = self.stdout if stream == "stdout" else self.stderr
        regex = re.compile(pattern)

        def matching(current: list[str]) -> list[str]:
            return [line for line in current if regex.search(line)]

        if not lines.wait_for(lambda current: len(matching(current)) >= count, timeout):
            self.fail(f"expected {count} {stream} line(s) matching {pattern!r}")
        return matching(lines.lines)[:count]

    def fail(self, message: str) -> None:
        pytest.fail(f"{self.name}: {message}\n{self.transcript()}", pytrace=False)

    def transcript(self) -> str:
        out = "\n".join(f"  | {line}" for line in self.stdout.lines)
        err = "\n".join(f"  ! {line}" for line in self.stderr.lines)
        return f"--- {self.name} stdout:\n{out}\n--- {self.name} stderr:\n{err}"

    def close(self) -> None:
        """End the child whatever state it is in, and join the reader threads."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(WAIT)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                # stdin of a killed child: its pipe may be broken already.
                with suppress(OSError, ValueError):
                    stream.close()
        self.stdout.join(WAIT)
        self.stderr.join(WAIT)


class LabchatChat(Child):
    """``python -m labchat chat --jsonl`` with helpers to read its events."""

    def __init__(self, name: str, listen: socket.socket, peer: int, *extra: str) -> None:
        """The chat listens on ``listen``, handed over (``--listen fd:N``): its port is
        known before the chat starts, and no other process can take it meanwhile."""
        self.port = port_of(listen)
        super().__init__(
            [sys.executable, "-m", "labchat", "chat", "--name", name,
             "--listen", f"fd:{listen.fileno()}", "--peer", f"127.0.0.1:{peer}", *extra],
            name=f"labchat {name}", handed=[listen],
        )

    def events(self, name: str) -> list[dict[str, Any]]:
        """The JSON events so far called ``name`` (other lines are ignored)."""
        found = []
        for line in self.stdout.lines:
            record = _json_or_none(line)
            if record is not None and record.get("event") == name:
                found.append(record)
        return found

    def wait_events(self, name: str, count: int = 1, timeout: float = WAIT) -> list[dict[str, Any]]:
        """The first ``count`` events called ``name``, waiting for them if needed."""
        if not self.stdout.wait_for(lambda _: len(self.events(name)) >= count, timeout):
            self.fail(f"expected {count} {name!r} event(s)")
        return self.events(name)[:count]

    def texts(self, name: str, count: int) -> list[str]:
        return [event["text"] for event in self.wait_events(name, count)]


def _json_or_none(line: str) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


@contextmanager
def children() -> Iterator[list[Child | TerminalChild]]:
    """Collect children in the yielded list; all are closed on the way out."""
    started: list[Child | TerminalChild] = []
    try:
        yield started
    finally:
        for child in reversed(started):
            child.close()


class TerminalChild:
    """A child whose stdin, stdout and stderr are one pseudo-terminal (Linux ``pty``).

    A reader thread collects what the child writes to the terminal. Cursor
    position requests (prompt_toolkit asks for one before each prompt) are
    answered as a terminal would, so the child never waits for them.
    """

    def __init__(self, command: Sequence[str], name: str) -> None:
        self.name = name
        self._master, slave = pty.openpty()
        # A real size: prompt_toolkit lays out the prompt by the window's width.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        try:
            self.process = subprocess.Popen(
                list(command), stdin=slave, stdout=slave, stderr=slave, cwd=REPOSITORY,
                env={**child_environment(), "TERM": "xterm"}, start_new_session=True,
            )
        except OSError:
            os.close(self._master)
            raise
        finally:
            os.close(slave)
        self._output = bytearray()
        self._changed = threading.Condition()
        self._ended = False
        self._thread = threading.Thread(target=self._read, name=f"reader-{name}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            while True:
                data = os.read(self._master, 4096)  # EIO once the child has gone
                if not data:
                    break
                if b"\x1b[6n" in data:
                    os.write(self._master, b"\x1b[1;1R")
                with self._changed:
                    self._output += data
                    self._changed.notify_all()
        except OSError:
            pass
        finally:
            with self._changed:
                self._ended = True
                self._changed.notify_all()

    @property
    def text(self) -> str:
        """Everything shown so far, with terminal escape sequences removed."""
        with self._changed:
            raw = bytes(self._output).decode("utf-8", errors="replace")
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw)

    def keys(self, data: str) -> None:
        os.write(self._master, data.encode("utf-8"))

    def wait_text(self, fragment: str, timeout: float = WAIT) -> None:
        with self._changed:
            self._changed.wait_for(lambda: fragment in self.text or self._ended, timeout)
        if fragment not in self.text:
            pytest.fail(f"{self.name}: {fragment!r} never appeared on the terminal:\n"
                        f"{self.text!r}", pytrace=False)

    def wait_exit(self, timeout: float = WAIT) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self.name}: did not exit within {timeout} s:\n{self.text!r}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(WAIT)
        self._thread.join(WAIT)
        os.close(self._master)

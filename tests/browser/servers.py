"""Jupyter servers as subprocesses for browser tests: start, wait until ready, stop.

This module owns the server processes a browser test starts (JupyterLab,
Voilà): each runs in its own session on 127.0.0.1, on a port the system
chose (port 0) and read back from the server's own listening socket, its
Jupyter and IPython state in a temporary directory, and its output in a log
file whose tail is shown when it fails. It must not touch the user's Jupyter
directories, the repository's notebooks, or any process it did not start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

#: /proc/net/tcp's state of a listening socket, and 127.0.0.1 as it writes it.
LISTEN = "0A"
LOOPBACK_HEX = "0100007F"

#: Bounded waits: a cold JupyterLab start takes a few seconds; these are ceilings.
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


def listening_ports(pid: int) -> list[int]:
    """The TCP ports on 127.0.0.1 that process ``pid`` listens on (Linux /proc).

    A server told to listen on port 0 gets a port from the system; Voilà does
    not print it, so it is read from the sockets the process holds.
    """
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        for fd in fd_dir.iterdir():
            with suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:["):-1])
    except OSError:
        return []
    ports = []
    for row in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = row.split()
        local, state, inode = fields[1], fields[3], fields[9]
        address, port = local.split(":")
        if state == LISTEN and inode in inodes and address == LOOPBACK_HEX:
            ports.append(int(port, 16))
    return sorted(ports)


def jupyter_environment(state_dir: Path) -> dict[str, str]:
    """The environment for a server whose Jupyter/IPython state lives under ``state_dir``."""
    dirs = {
        "JUPYTER_CONFIG_DIR": state_dir / "config",
        "JUPYTER_DATA_DIR": state_dir / "data",
        "JUPYTER_RUNTIME_DIR": state_dir / "runtime",
        "IPYTHONDIR": state_dir / "ipython",
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    # JupyterLab's news toast covers the notebook and asks a server that fetches
    # from the internet; a person can dismiss it, a test should never see it.
    labconfig = dirs["JUPYTER_CONFIG_DIR"] / "labconfig"
    labconfig.mkdir(exist_ok=True)
    (labconfig / "page_config.json").write_text(
        '{"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": true}}\n'
    )
    env = dict(os.environ)
    env.update({name: str(path) for name, path in dirs.items()})
    env.pop("JUPYTER_PATH", None)  # only the venv's extensions, not a user's extra ones
    env["PYTHONUNBUFFERED"] = "1"  # the log shows what happened up to a crash
    return env


def running_as_root() -> bool:
    return os.geteuid() == 0


@dataclass
class Server:
    """A started server: where it listens and where its output goes."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def assert_running(self) -> None:
        code = self.process.poll()
        assert code is None, f"{self.name} exited with {code}:\n{self.log_tail()}"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2.0) as response:
            status: int = response.status
            return status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500  # it answers; 404 still means "up"
    except OSError:
        return False


def _wait_until_ready(name: str, process: subprocess.Popen[bytes], log_path: Path,
                      probe_path: str) -> Server:
    """The server once one of its listening ports answers ``probe_path``."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        for port in listening_ports(process.pid):
            server = Server(name, port, process, log_path)
            if _answers(server.url + probe_path):
                return server
        Server(name, 0, process, log_path).assert_running()
        time.sleep(0.2)
    raise AssertionError(
        f"{name} did not answer on 127.0.0.1 within {START_TIMEOUT:.0f} s:\n"
        f"{Server(name, 0, process, log_path).log_tail()}"
    )


def _stop(server: Server) -> None:
    """SIGTERM to the server's own process group, then SIGKILL if it will not go.

    On SIGTERM Jupyter servers shut their kernels down (each kernel runs in a
    session of its own, so waiting for a clean exit is what stops them too).
    """
    process = server.process
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)  # the group this module created: pgid == pid
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def serve(name: str, command: Sequence[str], *, env: dict[str, str], cwd: Path,
          log_path: Path, probe_path: str = "/") -> Iterator[Server]:
    """Run ``command`` (which must listen on 127.0.0.1, port 0) until the block ends."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(command), env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            server = _wait_until_ready(name, process, log_path, probe_path)
            yield server
        finally:
            _stop(Server(name, 0, process, log_path))

"""Fixtures for tests that drive a real Chromium through JupyterLab and Voilà.

Everything here is started by a fixture and stopped in its teardown, also when
the test fails: the servers (in their own process group, with bounded waits),
Playwright and the browser. The notebooks are copied to a temporary directory
first, so a test never modifies the repository's notebooks, and Jupyter's and
IPython's state live in a temporary directory too. Every page is watched by a
``PageGuard``: requests not addressed to 127.0.0.1 are refused and counted,
and a console error or uncaught page error fails the test.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.guard import PageGuard
from tests.browser.servers import (
    Server,
    jupyter_environment,
    running_as_root,
    serve,
)

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
CHROMIUM = Path("/usr/bin/chromium")
#: Where the screenshots go: a temporary directory, unless LABCHAT_SCREENSHOTS names
#: one (``make screenshots`` names the README's ``docs/images``), so that running
#: the tests leaves a clone as it found it.
SCREENSHOTS = os.environ.get("LABCHAT_SCREENSHOTS")

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test in this folder is a browser test, so `pytest -m "not browser"` skips them all.
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    # Lets the page fixture know in its teardown whether the test body failed.
    report = yield
    if call.when == "call":
        item.stash[_failed_key] = bool(getattr(report, "failed", False))
    return report


_failed_key = pytest.StashKey[bool]()


# -- the browser -----------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> Path:
    executable = CHROMIUM if CHROMIUM.exists() else None
    found = shutil.which("chromium")
    if executable is None and found:
        executable = Path(found)
    if executable is None:
        pytest.fail("Chromium not found: run `apt-get install chromium` "
                    "(or `make test` as root, which installs it)", pytrace=False)
    return executable


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page_guard() -> PageGuard:
    return PageGuard()


@pytest.fixture
def page(browser: Browser, page_guard: PageGuard, request: pytest.FixtureRequest,
         tmp_path: Path) -> Iterator[Page]:
    """A fresh page that may only talk to 127.0.0.1 and must log no error."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 1000},
        service_workers="block",  # so every request goes through the guard's route
    )
    try:
        page_guard.attach(context)
        opened = context.new_page()
        opened.set_default_timeout(30_000)
        yield opened
        if request.node.stash.get(_failed_key, False):
            # What the page looked like when the test failed, for whoever reads the log.
            shot = tmp_path / "failure.png"
            opened.screenshot(path=str(shot), full_page=True)
            print(f"screenshot at failure: {shot}")
        print(f"refused {len(page_guard.refused)} request(s) not to 127.0.0.1: "
              f"{page_guard.refused}")
    finally:
        context.close()
    page_guard.assert_clean()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if SCREENSHOTS is None:
        return tmp_path_factory.mktemp("screenshots")
    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# -- the servers -----------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the notebooks (the servers run there) next to Jupyter's state."""
    base = tmp_path_factory.mktemp("jupyter")
    shutil.copytree(NOTEBOOKS, base / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return base


@pytest.fixture(scope="module")
def jupyterlab(workdir: Path) -> Iterator[Server]:
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0", "--ServerApp.port_retries=0",
        "--ServerApp.token=", "--ServerApp.password=",
        f"--ServerApp.root_dir={workdir / 'notebooks'}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if running_as_root():
        command.append("--allow-root")
    with serve("JupyterLab", command, env=jupyter_environment(workdir / "state-lab"),
               cwd=workdir, log_path=workdir / "jupyterlab.log",
               probe_path="/api/status") as server:
        yield server
        server.assert_running()


@pytest.fixture(scope="module")
def voila_app(workdir: Path) -> Iterator[Server]:
    """The classroom app, started exactly as `make app` starts it (but on a free port)."""
    command = [
        sys.executable, "-m", "voila", str(workdir / "notebooks" / "app.ipynb"),
        "--no-browser", "--Voila.ip=127.0.0.1", "--port=0", "--Voila.port_retries=0",
        # Voilà keeps kernel connection files in the system temp dir unless told.
        f"--Voila.connection_dir_root={workdir / 'state-voila'}",
    ]
    # The probe asks for a static file: asking for "/" would run the notebook.
    with serve("Voila", command, env=jupyter_environment(workdir / "state-voila"),
               cwd=workdir, log_path=workdir / "voila.log",
               probe_path="/voila/static/favicon.ico") as server:
        yield server
        server.assert_running()


@pytest.fixture(scope="module")
def voila_app_fa(workdir: Path) -> Iterator[Server]:
    """The Persian classroom app, as `make app LABCHAT_LANG=fa` starts it (on a free port)."""
    command = [
        sys.executable, "-m", "voila", str(workdir / "notebooks" / "fa" / "app.ipynb"),
        "--no-browser", "--Voila.ip=127.0.0.1", "--port=0", "--Voila.port_retries=0",
        f"--Voila.connection_dir_root={workdir / 'state-voila-fa'}",
    ]
    env = {**jupyter_environment(workdir / "state-voila-fa"), "LABCHAT_LANG": "fa"}
    with serve("Voila", command, env=env, cwd=workdir,
               log_path=workdir / "voila-fa.log",
               probe_path="/voila/static/favicon.ico") as server:
        yield server
        server.assert_running()

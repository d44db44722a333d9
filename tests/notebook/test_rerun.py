"""Re-running a handout's cells fifty times leaves nothing more open than one run did.

The handouts' own cells run in an IPython shell that names each cell's code
as ipykernel does (a hash of the source), in a process of its own: first
every code cell of the handout once, in order, then each cell that makes or
shows a view (the chat lab, the step-through, a prediction, a progress bar)
once more and 49 times after that. Widget models, threads and file descriptors are counted
after its one run and after its fifty; they must be the same.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]

RERUN = r"""
import json, os, sys, threading, warnings
from pathlib import Path

from ipykernel.compiler import XCachingCompiler
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config
import ipywidgets

config = Config()
config.HistoryManager.enabled = False
shell = InteractiveShell.instance(config=config, compiler_class=XCachingCompiler,
                                  ipython_dir=sys.argv[3])
notebook = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
times = int(sys.argv[2])

def run(cell):
    result = shell.run_cell("".join(cell["source"]), store_history=True)
    result.raise_error()

VIEWS = ("ChatLab(", "Stepper(", "Predictor(", "progress_bar(")

def makes_widgets(cell):
    return (any(view in "".join(cell["source"]) for view in VIEWS)
            or any("application/vnd.jupyter.widget-view+json" in out.get("data", {})
                   for out in cell.get("outputs", [])))

def counts():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        models = len(ipywidgets.Widget.widgets)
    return {"widget models": models, "threads": threading.active_count(),
            "fds": len(os.listdir("/proc/self/fd"))}

code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
for cell in code:
    run(cell)
rerun = [cell for cell in code if makes_widgets(cell)]
found = []
for cell in rerun:
    run(cell)
    once = counts()
    for _ in range(times - 1):
        run(cell)
    found.append({"once": once, "again": counts()})
print("RESULT " + json.dumps(found))
"""


@pytest.mark.parametrize("handout", ["01_report_chat_live", "03_from_counts_to_windows",
                                     "08_textbook_figures", "app"])
def test_fifty_runs_of_each_widget_cell_leave_what_one_run_left(
        handout: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", RERUN, str(REPOSITORY / "notebooks" / f"{handout}.ipynb"), "50",
         str(tmp_path / "ipython")],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert result.returncode == 0 and lines, result.stderr[-2000:]
    cells = json.loads(lines[-1].removeprefix("RESULT "))
    assert cells
    assert [cell["again"] for cell in cells] == [cell["once"] for cell in cells]


def test_a_progress_bar_cell_run_fifty_times_leaves_one_bar(tmp_path: Path) -> None:
    cell = {"cell_type": "code", "source": [
        "from IPython.display import display\n",
        "from labchat.notebook.plots import progress_bar\n",
        "bar, update = progress_bar(3)\n", "display(bar)\n", "update(3)\n"],
        "outputs": [{"data": {"application/vnd.jupyter.widget-view+json": {}}}]}
    notebook = tmp_path / "bar.ipynb"
    notebook.write_text(json.dumps({"cells": [cell]}), encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", RERUN, str(notebook), "50",
                             str(tmp_path / "ipython")],
                            capture_output=True, text=True, timeout=600, cwd=tmp_path)
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert result.returncode == 0 and lines, result.stderr[-2000:]
    [cell] = json.loads(lines[-1].removeprefix("RESULT "))
    assert cell["again"] == cell["once"]

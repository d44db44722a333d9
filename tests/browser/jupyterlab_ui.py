"""What a person does in JupyterLab before using the lab: open a notebook, Run All.

This module owns the JupyterLab-specific steps (URLs, the status bar, the Run
menu, cell prompts), so the tests read as the lab's story. It must not know
about labchat's widgets.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.servers import Server

#: Ceilings for bounded waits (ms): a cold kernel start, and a whole notebook's run.
KERNEL_TIMEOUT = 90_000
RUN_ALL_TIMEOUT = 180_000


def open_notebook(page: Page, server: Server, name: str) -> None:
    """Open ``name`` and wait until its kernel exists and is idle.

    The toolbar's kernel indicator says idle before a kernel exists; the status
    bar's "Python 3 (ipykernel) | Idle" appears only once the kernel answered.
    """
    # ?reset: a fresh workspace, so tabs an earlier test opened do not come back.
    page.goto(f"{server.url}/lab/tree/{name}?reset")
    expect(page.locator("#jp-main-statusbar")).to_contain_text("| Idle", timeout=KERNEL_TIMEOUT)


def run_all_cells(page: Page) -> None:
    """Run ▸ Run All Cells, as a person does, and wait until every cell has run.

    A cell waiting or running shows "[*]:"; when none does and the kernel is
    idle, the run is over. Then no cell may show a traceback.
    """
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt")
    expect(prompts.first).not_to_have_text("[ ]:", timeout=KERNEL_TIMEOUT)
    expect(prompts.filter(has_text="[*]")).to_have_count(0, timeout=RUN_ALL_TIMEOUT)
    expect(page.locator("#jp-main-statusbar")).to_contain_text("| Idle", timeout=KERNEL_TIMEOUT)
    errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')
    expect(errors).to_have_count(0)


def run_cell(page: Page, containing: str) -> None:
    """Select the one code cell whose source contains ``containing`` and press Shift+Enter."""
    cell = page.locator(".jp-Notebook .jp-CodeCell").filter(
        has=page.locator(".jp-InputArea-editor", has_text=containing))
    expect(cell).to_have_count(1)
    prompt = cell.locator(".jp-InputArea-prompt")
    before = prompt.inner_text()
    prompt.click()  # selects the cell without entering its editor
    page.keyboard.press("Shift+Enter")
    expect(prompt).not_to_have_text(before, timeout=KERNEL_TIMEOUT)
    expect(prompt).not_to_have_text("[*]:", timeout=RUN_ALL_TIMEOUT)

"""Every number a handout quotes from an output equals the output it quotes.

Convention: in a notebook's markdown, a quoted result is written
``<span class="out">TEXT</span>`` (it renders as plain text). ``TEXT`` must
appear, verbatim, in the stored text output of a code cell of the same
notebook, so re-executing a notebook that changes a result makes the
handout's sentence fail here instead of silently going stale.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

HANDOUTS = Path(__file__).parents[2] / "notebooks"
#: The English handouts and their Persian counterparts in notebooks/fa.
NOTEBOOKS = sorted([*HANDOUTS.glob("*.ipynb"), *HANDOUTS.glob("fa/*.ipynb")])
QUOTE = re.compile(r'<span class="out">(.*?)</span>')
ISOLATES = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069"))


def text_of(output: dict[str, object]) -> str:
    if "text" in output:
        text = output["text"]
    else:
        data = output.get("data", {})
        text = data.get("text/plain", "") if isinstance(data, dict) else ""
    return ("".join(text) if isinstance(text, list) else str(text)).translate(ISOLATES)


def quotes_and_outputs(path: Path) -> list[tuple[str, str]]:
    """(quoted text, every text output of the notebook) for each quote in it."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    outputs = "\n".join(text_of(o) for c in cells if c["cell_type"] == "code"
                        for o in c.get("outputs", []))
    return [(quote, outputs) for c in cells if c["cell_type"] == "markdown"
            for quote in QUOTE.findall("".join(c["source"]))]


def test_the_handouts_quote_some_results() -> None:
    assert sum(len(quotes_and_outputs(path)) for path in NOTEBOOKS) >= 5


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(HANDOUTS)))
def test_every_quoted_result_is_in_an_output_of_its_notebook(path: Path) -> None:
    missing = [quote for quote, outputs in quotes_and_outputs(path) if quote not in outputs]
    assert missing == []


def test_the_persian_handouts_quote_some_results() -> None:
    persian = [path for path in NOTEBOOKS if path.parent.name == "fa"]
    assert sum(len(quotes_and_outputs(path)) for path in persian) >= 5


def test_a_quote_that_no_output_shows_is_found_missing(tmp_path: Path) -> None:
    cells = [{"cell_type": "code", "source": [], "outputs": [{"text": ["gave up 2\n"]}]},
             {"cell_type": "markdown", "source": ['<span class="out">gave up 3</span>']}]
    notebook = tmp_path / "x.ipynb"
    notebook.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    assert [q for q, out in quotes_and_outputs(notebook) if q not in out] == ["gave up 3"]

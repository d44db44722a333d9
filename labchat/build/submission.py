"""A student's submission: the code of a ``.py`` file or a notebook, and its checks.

``read_code`` takes a ``.py`` file as it is, or joins a notebook's code cells.
``definitions`` keeps only what a submission *defines* (imports, classes,
functions, assignments), cell by cell, so grading a notebook never re-runs
its checks, its chat lab or anything else a student left in it; a cell that
does not parse (a typo, an IPython ``%magic``) is skipped and noted.
``reports`` runs every exercise's check on the classes found and yields one
report per exercise as it finishes (``result`` makes it a JSON line), so a
grader that must stop a submission (a loop that never ends) keeps what was
already graded.

Running a student's code is the caller's risk: ``labchat grade`` does it in a
separate process with a time limit.
"""

from __future__ import annotations

import ast
import json
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labchat import voice
from labchat.build.exercises import EXERCISES, Report, check
from labchat.protocols.base import Engine

#: What a submission may define; anything else in it (a call, a loop, an
#: assignment of a call's result such as ``result = check(...)``) is left out.
_KEPT = (ast.Import, ast.ImportFrom, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef,
         ast.Assign, ast.AnnAssign)
SUFFIXES = (".py", ".ipynb")


@dataclass
class Code:
    """The definitions of a submission, and the notes about what was left out."""

    source: str
    notes: list[str] = field(default_factory=list)


def read_code(path: Path) -> Code:
    """The definitions in ``path`` (``.py`` or ``.ipynb``); a ``ValueError`` if unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(voice.error("unreadable_submission", name=path.name,
                                     error=error)) from None
    if path.suffix == ".ipynb":
        try:
            notebook = json.loads(text)
            cells = [cell for cell in notebook["cells"] if cell.get("cell_type") == "code"]
            sources = ["".join(cell["source"]) if isinstance(cell["source"], list)
                       else str(cell["source"]) for cell in cells]
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(voice.error("not_a_notebook", name=path.name, error=error)) from None
        return definitions(sources, "cell")
    return definitions([text], "file")


def definitions(sources: list[str], unit: str) -> Code:
    """The kept statements of each source, in order; a source that does not parse is noted."""
    kept: list[str] = []
    notes: list[str] = []
    for number, source in enumerate(sources, start=1):
        try:
            tree = ast.parse(source)
        except SyntaxError as error:
            notes.append(voice.grade_skipped_source(number if unit == "cell" else None,
                                                    error.lineno, error.msg))
            continue
        body = [node for node in tree.body if _is_definition(node)]
        kept.append(ast.unparse(ast.Module(body=body, type_ignores=[])))
    return Code("\n\n".join(kept), notes)


def _is_definition(node: ast.stmt) -> bool:
    if not isinstance(node, _KEPT):
        return False
    if isinstance(node, ast.Assign | ast.AnnAssign):  # a constant, not a result
        return node.value is None or not any(isinstance(n, ast.Call)
                                             for n in ast.walk(node.value))
    return True


def engine_classes(code: Code, name: str = "submission") -> dict[str, type[Engine]]:
    """Run the definitions and return the engine classes they define, by name.

    An exception while they run (an import that fails, say) is a ``ValueError``
    of one line.
    """
    module = types.ModuleType(name)
    try:
        # Running the student's code is the point; labchat grade isolates it in a process.
        exec(compile(code.source, name, "exec"), module.__dict__)
    except Exception as error:
        raise ValueError(voice.grade_definitions_failed(f"{type(error).__name__}: {error}")) \
            from None
    return {key: value for key, value in vars(module).items()
            if isinstance(value, type) and issubclass(value, Engine)}


def reports(classes: dict[str, type[Engine]]) -> Iterator[Report]:
    """Check every exercise in turn on the classes found, one report as each finishes."""
    for exercise in EXERCISES:
        yield check(exercise, classes.get(exercise.class_name))


def result(report: Report) -> dict[str, Any]:
    """A report as the JSON line a grader keeps: the exercise, its score and its feedback."""
    return {"exercise": report.exercise.key, "score": round(report.score, 3),
            "passed": report.passed, "total": report.total, "feedback": report.lines()}

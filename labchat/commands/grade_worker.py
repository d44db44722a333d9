"""One submission's checks, in a process of its own (started by ``labchat grade``).

Usage: ``python -m labchat.commands.grade_worker SUBMISSION RESULT_FILE``.
It reads the submission's definitions, then appends one JSON line per
finished exercise to RESULT_FILE (flushed each time; with the HTML the
notebook would show for it, charts included), so the grader keeps
what was graded even if it has to stop this process. The student's own
prints are discarded: only the result file speaks.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

from labchat.build.submission import engine_classes, read_code, reports, result
from labchat.notebook.build import CheckResult


def main(argv: list[str]) -> int:
    submission, result_file = Path(argv[0]), Path(argv[1])
    with result_file.open("w", encoding="utf-8") as out:
        def write(record: dict[str, object]) -> None:
            out.write(json.dumps(record) + "\n")
            out.flush()

        with contextlib.redirect_stdout(io.StringIO()):
            try:
                code = read_code(submission)
                write({"notes": code.notes})
                classes = engine_classes(code)
            except ValueError as error:
                write({"error": str(error)})
                return 0
            for report in reports(classes):
                # The same page the notebook shows: the verdict and a chart per mistake.
                write({**result(report), "html": CheckResult(report)._repr_html_()})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

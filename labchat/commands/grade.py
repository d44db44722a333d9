"""``labchat grade SUBMISSIONS_DIR``: every exercise's checks on every student's file.

Each ``.py`` or ``.ipynb`` at the top of the folder is one student (named by
the file). Each runs in a process of its own (``grade_worker``) with a time
limit, a few at a time: a submission that crashes or never ends is stopped
and reported, and the others are graded all the same. The results go to
``scores.csv`` (one row per student, one column per exercise: the fraction
of its scenarios that pass), ``feedback/STUDENT.txt`` (what the checks said)
and ``feedback/STUDENT.html`` (the same, with the notebook's charts), in
``--out`` (default ``SUBMISSIONS_DIR/grades``). A progress bar goes to stderr
and the summary table to stdout, both from the main thread.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import html
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from labchat import voice
from labchat.build.exercises import EXERCISES
from labchat.build.submission import SUFFIXES

#: How often the grader looks at its running workers.
POLL = 0.05
#: Width of the progress bar, in characters.
BAR = 30
#: The status of a submission whose checks ran out of time, as scores.csv spells it.
TIMED_OUT = "timed out"


def add_parser(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "grade", help=voice.cli("grade"), description=voice.cli("grade_description"))
    parser.add_argument("submissions", metavar="SUBMISSIONS_DIR", type=Path)
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help=voice.cli("out"))
    parser.add_argument("--timeout", type=_positive(float), default=60.0, metavar="SECONDS",
                        help=voice.cli("timeout"))
    parser.add_argument("--jobs", type=_positive(int), default=min(4, os.cpu_count() or 1),
                        help=voice.cli("jobs"))
    parser.set_defaults(run=run)


def _positive(kind: type[int] | type[float]) -> Any:
    def convert(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(voice.cli("above_zero",
                                                         text=voice.shown(text))) from None
        if not value > 0:
            raise argparse.ArgumentTypeError(voice.cli("above_zero", text=voice.shown(text)))
        return value
    return convert


@dataclass
class Graded:
    """One student's result."""

    student: str
    file: Path
    status: str = "graded"  # "graded", TIMED_OUT, "failed" (a key in scores.csv, not words)
    scores: dict[str, float] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)  # one HTML report per exercise graded

    @property
    def total(self) -> float:
        return sum(self.scores.values())


def run(args: argparse.Namespace) -> int:
    folder: Path = args.submissions
    if not folder.is_dir():
        print(voice.command_error("grade", voice.cli("no_folder", folder=folder)),
              file=sys.stderr)
        return 2
    files = sorted(p for p in folder.iterdir()
                   if p.is_file() and p.suffix in SUFFIXES and not p.name.startswith("."))
    if not files:
        print(voice.command_error("grade", voice.cli("no_submissions", folder=folder)),
              file=sys.stderr)
        return 2
    out: Path = args.out if args.out is not None else folder / "grades"
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    names = _student_names(files)
    graded = grade_all([(names[f], f) for f in files], timeout=args.timeout, jobs=args.jobs)
    write_scores(out / "scores.csv", graded)
    for result in graded:
        (out / "feedback" / f"{result.student}.txt").write_text(
            "\n".join(feedback_text(result)) + "\n", encoding="utf-8")
        (out / "feedback" / f"{result.student}.html").write_text(feedback_page(result),
                                                                  encoding="utf-8")
    print(summary(graded))
    print(f"scores: {out / 'scores.csv'}; feedback: {out / 'feedback'}")
    return 0


def _student_names(files: list[Path]) -> dict[Path, str]:
    stems = [f.stem for f in files]
    # alice.py and alice.ipynb are two submissions: keep the suffix then.
    return {f: f.stem if stems.count(f.stem) == 1 else f.name for f in files}


@dataclass
class _Running:
    graded: Graded
    process: subprocess.Popen[bytes]
    result: Path
    errors: IO[bytes]
    started: float


def grade_all(submissions: list[tuple[str, Path]], *, timeout: float, jobs: int,
              progress: IO[str] | None = None) -> list[Graded]:
    """Grade each (student, file) in its own process, ``jobs`` at a time."""
    stream = sys.stderr if progress is None else progress
    waiting = list(submissions)
    running: list[_Running] = []
    done: list[Graded] = []
    with tempfile.TemporaryDirectory(prefix="labchat-grade-") as scratch:
        _draw(stream, 0, len(submissions), "")
        try:
            while waiting or running:
                while waiting and len(running) < jobs:
                    student, path = waiting.pop(0)
                    running.append(_start(Graded(student, path), Path(scratch)))
                time.sleep(POLL)
                for job in list(running):
                    finished = job.process.poll() is not None
                    late = time.monotonic() - job.started > timeout
                    if not (finished or late):
                        continue
                    if not finished:
                        _stop(job.process)
                    running.remove(job)
                    done.append(_collect(job, timed_out=not finished, timeout=timeout))
                    _draw(stream, len(done), len(submissions), job.graded.student)
        finally:
            # Ctrl-C (or a bug) here: the workers have sessions of their own, so
            # no signal reaches them; stop every one still running.
            for job in running:
                _stop(job.process)
                job.errors.close()
            _finish(stream)
    order = {student: i for i, (student, _) in enumerate(submissions)}
    return sorted(done, key=lambda g: order[g.student])


def _start(graded: Graded, scratch: Path) -> _Running:
    result = scratch / f"{graded.student}.jsonl"
    errors = (scratch / f"{graded.student}.err").open("w+b")
    process = subprocess.Popen(
        [sys.executable, "-m", "labchat.commands.grade_worker", str(graded.file), str(result)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors,
        start_new_session=True)  # its own group: stopping it stops what it started
    return _Running(graded, process, result, errors, time.monotonic())


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # it may have ended just now
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _collect(job: _Running, *, timed_out: bool, timeout: float) -> Graded:
    graded = job.graded
    records = []
    if job.result.exists():
        for line in job.result.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                break  # a line cut short when the worker was stopped
    for record in records:
        if "notes" in record:
            graded.lines += [f"note: {note}" for note in record["notes"]]
        elif "error" in record:  # unreadable, or its definitions raised
            graded.status = "failed"
            graded.lines.append(record["error"])
        else:
            graded.scores[record["exercise"]] = float(record["score"])
            graded.lines += record["feedback"]
            graded.pages.append(record["html"])
    job.errors.seek(0)
    tail = job.errors.read().decode("utf-8", errors="replace").strip().splitlines()
    job.errors.close()
    if timed_out:
        graded.status = TIMED_OUT
        graded.lines.append(voice.grade_timed_out(timeout))
    elif job.process.returncode != 0 or not records:
        graded.status = "failed"
        reason = tail[-1] if tail else voice.cli("exit_status", status=job.process.returncode)
        graded.lines.append(voice.grade_worker_failed(reason))
    for exercise in EXERCISES:
        if exercise.key not in graded.scores:
            graded.scores[exercise.key] = 0.0
            if graded.status == TIMED_OUT:
                graded.lines.append(voice.grade_not_graded(exercise.number, exercise.title))
    return graded


def _draw(stream: IO[str], done: int, total: int, last: str) -> None:
    filled = BAR * done // total
    bar = f"[{'#' * filled}{'.' * (BAR - filled)}] {done}/{total}"
    if stream.isatty():
        stream.write(f"\r{bar} {last[:30]:<30}")
    elif done:  # a log, not a terminal: one line per graded submission
        stream.write(f"{bar} {last}\n")
    stream.flush()


def _finish(stream: IO[str]) -> None:
    if stream.isatty():
        stream.write("\n")
        stream.flush()


def write_scores(path: Path, graded: list[Graded]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["student", "file", "status", *(ex.key for ex in EXERCISES), "total"])
        for result in graded:
            writer.writerow([result.student, result.file.name, result.status,
                             *(f"{result.scores[ex.key]:.3f}" for ex in EXERCISES),
                             f"{result.total:.3f}"])


def feedback_text(result: Graded) -> list[str]:
    title = voice.grade_feedback_title(result.student, result.file.name)
    return [title, "=" * len(title), *result.lines, "",
            voice.grade_total(result.total, len(EXERCISES))]


def feedback_page(result: Graded) -> str:
    """The feedback as one HTML page: each exercise as the notebook shows it, with charts."""
    title = html.escape(voice.grade_feedback_title(result.student, result.file.name))
    notes = "".join(f"<p>{html.escape(line)}</p>" for line in result.lines
                    if not line.startswith(("Exercise ", "- ", "  ")))
    total = html.escape(voice.grade_total(result.total, len(EXERCISES)))
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title>'
            f"</head><body><h1>{title}</h1>{notes}{''.join(result.pages)}"
            f"<p><b>{total}</b></p></body></html>\n")


def summary(graded: list[Graded]) -> str:
    """A table: one row per student, one column per exercise, then the class average."""
    width = max(7, *(len(g.student) for g in graded))
    head = f"{voice.cli('student'):<{width}}  " + " ".join(f"{ex.number:>5}" for ex in EXERCISES)
    rows = [f"{head}  {voice.cli('total'):>5}  {voice.cli('status')}"]
    for result in graded:
        cells = " ".join(f"{result.scores[ex.key]:>5.2f}" for ex in EXERCISES)
        rows.append(f"{result.student:<{width}}  {cells}  {result.total:>5.2f}  {result.status}")
    averages = " ".join(f"{sum(g.scores[ex.key] for g in graded) / len(graded):>5.2f}"
                        for ex in EXERCISES)
    mean = sum(g.total for g in graded) / len(graded)
    rows.append(f"{voice.cli('average'):<{width}}  {averages}  {mean:>5.2f}")
    return "\n".join(rows)

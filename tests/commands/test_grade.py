"""``labchat grade``: a folder of good, partial, wrong, crashing, looping and broken submissions."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from labchat.commands.cli import main
from tests.build.answers import ANSWERS

HEADER = "from labchat.protocols.student import StudentEngine\n\n"
#: Long enough for a good submission on a slow machine, short enough for the test.
TIMEOUT = "20"


def model(*keys: str) -> str:
    """The model answers of ``keys``, as one student's file."""
    bodies = []
    for key in keys:
        source = (ANSWERS / f"{key}.py").read_text(encoding="utf-8")
        bodies.append(source.replace("from labchat.protocols.student import StudentEngine\n", ""))
    return HEADER + "\n\n".join(bodies)


ALL = ("stop_and_wait", "gbn_sender", "gbn_receiver", "sr_receiver", "selective_repeat")


def notebook(*cells: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "source": cell, "metadata": {},
                                  "outputs": [], "execution_count": None} for cell in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture
def submissions(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "good.py").write_text(model(*ALL), encoding="utf-8")
    # A notebook: the definitions are graded; the check call, a magic and a
    # print are left out (and the magic is noted, the rest runs as it is).
    (folder / "nina.ipynb").write_text(notebook(
        "%matplotlib inline", model("stop_and_wait"),
        "result = check('stop_and_wait', StopAndWait)", "print('hello')"), encoding="utf-8")
    wrong = model("gbn_receiver").replace("if seq == self.expected:", "if True:")
    (folder / "wrong.py").write_text(wrong, encoding="utf-8")
    crashing = model("stop_and_wait").replace(
        "    def on_message(self, text):\n",
        "    def on_message(self, text):\n        import os\n        os._exit(3)\n")
    (folder / "crashing.py").write_text(crashing, encoding="utf-8")
    looping = model(*ALL).replace(
        "    def on_data(self, seq, text):\n        offset = (seq - self.receive_base)",
        "    def on_data(self, seq, text):\n        while True:\n            pass\n"
        "        offset = (seq - self.receive_base)")
    (folder / "looping.py").write_text(looping, encoding="utf-8")
    (folder / "broken.ipynb").write_text("{not json", encoding="utf-8")
    (folder / "notes.txt").write_text("not a submission", encoding="utf-8")
    return folder


def test_grading_a_class_writes_the_scores_and_one_feedback_file_each(
        submissions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grade", str(submissions), "--timeout", TIMEOUT, "--jobs", "6"]) == 0
    out = capsys.readouterr()
    with (submissions / "grades" / "scores.csv").open(encoding="utf-8") as scores_file:
        rows = {row["student"]: row for row in csv.DictReader(scores_file)}
    assert sorted(rows) == ["broken", "crashing", "good", "looping", "nina", "wrong"]

    def scores(student: str) -> list[float]:
        return [float(rows[student][key]) for key in (*ALL, "total")]

    assert scores("good") == [1, 1, 1, 1, 1, 5]
    assert rows["good"]["status"] == "graded"
    assert scores("nina") == [1, 0, 0, 0, 0, 1]
    assert 0 < float(rows["wrong"]["gbn_receiver"]) < 1
    assert rows["crashing"]["status"] == "failed"
    assert scores("crashing") == [0, 0, 0, 0, 0, 0]
    # The loop is in the last exercise: the four before it keep their scores.
    assert rows["looping"]["status"] == "timed out"
    assert scores("looping") == [1, 1, 1, 1, 0, 4]
    assert rows["broken"]["status"] == "failed"

    def said(student: str) -> str:
        return (submissions / "grades" / "feedback" / f"{student}.txt").read_text("utf-8")

    assert "Exercise 1 · Stop-and-wait (rdt 3.0), sender and receiver: all 32 scenarios pass." \
        in said("good")
    assert "note: cell 1, line 1: invalid syntax; this part was left out" in said("nina")
    assert "delivered a duplicate: B handed" in said("wrong")
    assert "the checks stopped: exit status 3" in said("crashing")
    assert ("Exercise 5 · Selective Repeat, sender and receiver: not graded (the checks "
            "stopped before it).") in said("looping")
    assert "broken.ipynb is not a notebook" in said("broken")
    # The same feedback as a page, with the chart of the shortest failing scenario.
    page = (submissions / "grades" / "feedback" / "wrong.html").read_text("utf-8")
    assert "delivered a duplicate: B handed" in page
    assert page.count("<svg") >= 1
    # The summary: one row per student, then the average; the bar went to stderr.
    table = out.out.splitlines()
    assert table[0].split() == ["student", "1", "2", "3", "4", "5", "total", "status"]
    assert table[1].split() == ["broken", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00",
                                "failed"]
    assert table[7].startswith("average")
    assert out.err.splitlines()[-1].startswith("[##############################] 6/6 ")


@pytest.mark.parametrize(("arguments", "message"), [
    (["grade", "/no/such/folder"], "labchat grade: error: no such folder: /no/such/folder"),
    (["grade", "."], "labchat grade: error: no .py or .ipynb file in ."),
])
def test_a_folder_without_submissions_is_one_line_and_status_2(
        arguments: list[str], message: str, capsys: pytest.CaptureFixture[str],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(arguments) == 2
    assert capsys.readouterr().err.splitlines() == [message]


def test_a_bad_timeout_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["grade", ".", "--timeout", "0"])
    assert exit_info.value.code == 2
    assert ("argument --timeout: expected a number above 0, got “\u20680\u2069”"
            in capsys.readouterr().err)

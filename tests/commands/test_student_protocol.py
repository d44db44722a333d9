"""A student's engine, named as FILE.py:CLASS, runs in ``labchat simulate`` and ``labchat chat``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labchat.commands.cli import main
from tests.build.answers import ANSWERS

from .processes import LabchatChat, children, port_of, udp_socket

STOP_AND_WAIT = f"{ANSWERS / 'stop_and_wait.py'}:StopAndWait"


def test_simulate_runs_a_students_engine_from_its_file(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["simulate", "--protocol", STOP_AND_WAIT, "--messages", "30", "--loss", "0.2",
                   "--both-ways", "--json"])
    assert status == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["protocol"] == "StopAndWait"
    assert stats["delivered"] == stats["messages"] == 60
    assert stats["duplicates_delivered"] == 0
    assert stats["resends"] > 0


def write(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "mine.py"
    path.write_text(source, encoding="utf-8")
    return path


@pytest.mark.parametrize(("source", "suffix", "message"), [
    (None, ":Mine", "no such file: "),
    ("x = 1\n", ":Mine", "has no class “\u2068Mine\u2069”"),
    ("class Mine:\n    pass\n", ":Mine", "mine.py:Mine is not a protocol engine"),
    ("def broken(:\n", ":Mine", "mine.py, line 1: syntax error"),
    ("raise RuntimeError('oops')\n", ":Mine", "failed while loading: RuntimeError: oops"),
    ("x = 1\n", "", "defines 0 engine classes (none): name one as"),
])
def test_a_bad_protocol_file_is_one_line_and_status_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str | None, suffix: str,
        message: str) -> None:
    path = tmp_path / "mine.py" if source is None else write(tmp_path, source)
    with pytest.raises(SystemExit) as exit_info:
        main(["simulate", "--protocol", f"{path}{suffix}"])
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("labchat simulate: error: argument --protocol: ")
    assert message in lines[0]


def test_a_students_stop_and_wait_chats_with_the_reference_over_udp() -> None:
    with udp_socket() as listen_a, udp_socket() as listen_b, children() as started:
        port_a, port_b = port_of(listen_a), port_of(listen_b)
        student = LabchatChat("A", listen_a, port_b, "--jsonl", "--protocol", STOP_AND_WAIT)
        started.append(student)
        reference = LabchatChat("B", listen_b, port_a, "--jsonl", "--protocol", "stop-and-wait")
        started.append(reference)
        [ready] = student.wait_events("listening")
        assert ready["protocol"] == "StopAndWait"
        reference.wait_events("listening")
        student.type("hello from my own engine", "and a second one")
        assert reference.texts("delivered", 2) == ["hello from my own engine",
                                                   "and a second one"]
        reference.type("the reference answers")
        assert student.texts("delivered", 1) == ["the reference answers"]

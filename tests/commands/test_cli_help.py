"""``labchat --help`` and each command's help are plain text a person reads in a terminal."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import pytest

from labchat import voice
from labchat.commands.cli import main


@pytest.mark.parametrize("command", [[], ["chat"], ["relay"], ["simulate"], ["wireshark"]],
                         ids=["labchat", "chat", "relay", "simulate", "wireshark"])
def test_help_is_plain_text(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    help_text = capsys.readouterr().out
    assert help_text.startswith("usage: labchat")
    assert "`" not in help_text  # no reStructuredText literals such as ``labchat``
    assert ":class:" not in help_text and ":func:" not in help_text


def labchat_in_persian(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "labchat", *arguments], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "LABCHAT_LANG": "fa"})


def test_a_commands_help_is_persian_under_labchat_lang_fa() -> None:
    shown = labchat_in_persian("chat", "--help")
    assert shown.returncode == 0
    assert shown.stdout.startswith("کاربرد: labchat chat")
    # (ruff takes the plural suffix, after its non-joiner, for Latin look-alikes)
    assert "\nگزینه‌ها:\n" in shown.stdout  # noqa: RUF001
    assert "این راهنما را نشان بده و بیرون برو" in shown.stdout  # argparse's own -h
    assert "نام این طرف، برای اعلان ورودی" in shown.stdout  # labchat's --name
    assert "پیش از پیام‌هایش" in shown.stdout and "usage:" not in shown.stdout
    assert "options:" not in shown.stdout and "this side's name" not in shown.stdout


def test_a_usage_error_in_persian_is_one_line_and_status_2() -> None:
    missing = labchat_in_persian("chat")
    assert missing.returncode == 2
    assert missing.stderr == "labchat chat: خطا: این آرگومان‌ها لازم‌اند: --peer\n"  # noqa: RUF001
    bad = labchat_in_persian("relay", "--a", "nowhere", "--b", "127.0.0.1:9")
    assert bad.returncode == 2
    assert bad.stderr == ("labchat relay: خطا: آرگومان --a: انتظار HOST:PORT با درگاهی از 0 "
                          "تا 65535 می‌رفت، ولی «\u2068nowhere\u2069» داده شد\n")


def test_argparse_speaks_english_again_after_a_persian_parse(
        capsys: pytest.CaptureFixture[str]) -> None:
    try:
        with pytest.raises(SystemExit):
            main(["--lang", "fa", "simulate", "--help"])
        assert capsys.readouterr().out.startswith("کاربرد: labchat simulate")
        # labchat still speaks Persian, but argparse is argparse again for other programs.
        assert voice.language() == "fa"
        assert argparse.ArgumentParser(prog="other").format_usage() == "usage: other [-h]\n"
    finally:
        voice.set_language("en")

"""``labchat --help`` and each command's help are plain text a person reads in a terminal."""

from __future__ import annotations

import pytest

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

"""``--setting NAME=VALUE`` on ``chat`` and ``simulate``: a bad one is one line and status 2."""

from __future__ import annotations

import pytest

from labchat.commands.cli import main

#: (protocol, flag, what the one line must say)
BAD = [
    ("go-back-n", "window=abc", "window (messages in flight at most) must be a whole number "
                                "from 1 to 32768, got abc"),
    ("go-back-n", "seq_bits=2.0", "seq_bits (bits of a sequence number on the wire) must be "
                                  "a whole number from 1 to 16, got 2.0"),
    ("stop-and-wait", "timeout=abc", "timeout (initial retransmission timeout, seconds) must "
                                     "be a number from 0.001 to 3600, got abc"),
    ("selective-repeat", "max_retries=abc", "max_retries (resends of a message before giving "
                                            "up) must be a whole number from 0 to 1000, got abc"),
    ("report", "max_datagram=big", "max_datagram (largest datagram in bytes sent or accepted) "
                                   "must be a whole number from 1 to 65507, got big"),
    ("go-back-n", "window=2.5", "window (messages in flight at most) must be a whole number "
                                "from 1 to 32768, got 2.5"),
    ("go-back-n", "window=0", "window (messages in flight at most) must be a whole number "
                              "from 1 to 32768, got 0"),
    ("stop-and-wait", "seq_bits=17", "seq_bits (bits of a sequence number on the wire, 1: "
                                     "alternating bit) must be a whole number from 1 to 16, "
                                     "got 17"),
    ("go-back-n", "window=16", "Go-Back-N needs window < 2**seq_bits: window 16 with "
                               "seq_bits=4 gives only 16 numbers"),
    ("go-back-n", "windw=8", "go-back-n has no setting “\u2068windw\u2069”; its settings: "
                             "max_datagram, timeout, max_timeout, max_retries, seq_bits, "
                             "checksum, adaptive_timeout, "
                             "min_timeout, window, allow_unsafe_window, fast_retransmit"),
    ("report", "window=4",
     "report has no setting “\u2068window\u2069”; its settings: max_datagram"),
]


def _flags(protocol: str, flag: str) -> list[str]:
    extra = ["--setting", "seq_bits=4"] if flag == "window=16" else []
    return ["--protocol", protocol, *extra, "--setting", flag]


@pytest.mark.parametrize(("protocol", "flag", "message"), BAD)
def test_simulate_refuses_a_bad_setting_in_one_line(
    protocol: str, flag: str, message: str, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["simulate", "--messages", "1", *_flags(protocol, flag)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [f"labchat simulate: error: {message}"]


@pytest.mark.parametrize(("protocol", "flag", "message"), BAD)
def test_chat_refuses_a_bad_setting_in_one_line_before_binding(
    protocol: str, flag: str, message: str, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["chat", "--peer", "127.0.0.1:9", *_flags(protocol, flag)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [f"labchat chat: error: bad --setting for {protocol}: {message}"]


def test_good_settings_reach_the_engine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--protocol", "go-back-n", "--messages", "20", "--loss", "0.2",
                 "--setting", "window=8", "--setting", "timeout=0.3", "--json"]) == 0
    assert capsys.readouterr().err == ""

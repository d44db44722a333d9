"""Each rung declares its settings once; engines and ``create_engine`` check through it."""

from __future__ import annotations

from pathlib import Path

import pytest

from labchat.protocols import PROTOCOLS, SettingError, create_engine, parse_settings
from labchat.protocols.arq import DEFAULT_WINDOW
from labchat.protocols.go_back_n import GoBackNEngine
from labchat.protocols.selective_repeat import SelectiveRepeatEngine
from labchat.protocols.settings import REPORT_RECV_BUFFER
from labchat.protocols.stop_and_wait import StopAndWaitEngine


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_every_setting_has_a_type_a_default_in_range_and_one_line_of_meaning(
    protocol: str,
) -> None:
    described = PROTOCOLS[protocol].Settings.described()
    assert "max_datagram" in {info.name for info in described}
    for info in described:
        assert info.kind in (int, float, bool, str)
        assert info.check(info.default) == info.default  # the default is in range
        assert info.meaning and "\n" not in info.meaning
    engine = create_engine(protocol)
    assert {info.name: getattr(engine.settings, info.name) for info in described} == \
        {info.name: info.default for info in described}


def test_the_rungs_declare_what_they_have() -> None:
    names = {protocol: {info.name for info in engine.Settings.described()}
             for protocol, engine in PROTOCOLS.items()}
    assert names["report"] == names["repaired"] == {"max_datagram"}
    assert names["stop-and-wait"] == {"timeout", "max_timeout", "max_retries", "seq_bits",
                                      "max_datagram", "checksum", "adaptive_timeout",
                                      "min_timeout"}
    assert names["go-back-n"] == names["stop-and-wait"] | {"window", "allow_unsafe_window",
                                                          "fast_retransmit"}
    assert names["selective-repeat"] == \
        names["stop-and-wait"] | {"window", "allow_unsafe_window", "acks"}
    assert create_engine("report").max_datagram == REPORT_RECV_BUFFER
    assert StopAndWaitEngine().settings.window == 1 and StopAndWaitEngine().settings.seq_bits == 1
    assert GoBackNEngine().settings.window == SelectiveRepeatEngine().settings.window \
        == DEFAULT_WINDOW


def test_keyword_values_are_checked_by_type_and_range() -> None:
    engine = GoBackNEngine(window=8, timeout=1)
    assert engine.settings.window == 8
    assert engine.settings.timeout == 1.0 and isinstance(engine.settings.timeout, float)
    for bad in ({"window": 2.5}, {"window": "8"}, {"window": True}, {"window": 0},
                {"timeout": float("nan")}, {"timeout": 0}, {"seq_bits": 17},
                {"max_datagram": 70_000}, {"max_retries": -1}):
        with pytest.raises(SettingError, match=next(iter(bad))):
            create_engine("go-back-n", **bad)


def test_an_unknown_setting_lists_the_real_ones() -> None:
    with pytest.raises(SettingError) as refused:
        create_engine("selective-repeat", windw=8)
    assert str(refused.value) == (
        "selective-repeat has no setting “\u2068windw\u2069”; its settings: max_datagram, timeout, "
        "max_timeout, max_retries, seq_bits, checksum, adaptive_timeout, min_timeout, window, "
        "allow_unsafe_window, acks"
    )


def test_settings_that_depend_on_each_other_are_checked_together() -> None:
    with pytest.raises(SettingError, match=r"max_timeout .* must be at least timeout"):
        create_engine("stop-and-wait", timeout=2.0, max_timeout=1.0)
    with pytest.raises(SettingError, match="window < 2\\*\\*seq_bits"):
        create_engine("go-back-n", seq_bits=2, window=4)
    with pytest.raises(SettingError, match="at most half the sequence space"):
        create_engine("selective-repeat", seq_bits=2, window=3)


def test_text_is_converted_through_the_declaration() -> None:
    assert parse_settings("go-back-n", {"window": "8", "timeout": "0.5", "seq_bits": "4"}) == \
        {"window": 8, "timeout": 0.5, "seq_bits": 4}
    assert parse_settings("stop-and-wait", {"timeout": "1"}) == {"timeout": 1.0}
    for name, text in (("window", "abc"), ("seq_bits", "2.0"), ("window", "2.5"),
                       ("timeout", "abc"), ("timeout", "inf"), ("max_retries", "abc"),
                       ("max_datagram", "big")):
        with pytest.raises(SettingError, match=f"^{name} .* must be a"):
            parse_settings("go-back-n", {name: text})


def test_the_readme_settings_table_matches_the_declarations() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    rows = {line.split("|")[1].strip(" `"): line.split("|")[3:5] for line in readme.splitlines()
            if line.startswith("| `") and line.count("|") == 6}
    declared = {info.name: info for engine in PROTOCOLS.values()
                for info in engine.Settings.described()}
    assert set(rows) == set(declared)
    for name, (kind_and_range, default) in rows.items():
        info = declared[name]
        if info.kind is bool:
            assert "on or off" in kind_and_range
            assert ("on" if info.default else "off") in default
            continue
        accepted = (" or ".join(f"`{name}`" for name in info.choices) if info.kind is str
                    else f"{info.low:g}-{info.high:g}")
        assert accepted in kind_and_range
        assert ("whole number" in kind_and_range) == (info.kind is int)
        assert format(info.default, "" if info.kind is str else "g") in default


def test_a_choice_setting_accepts_only_its_names() -> None:
    assert parse_settings("selective-repeat", {"acks": "selective"}) == {"acks": "selective"}
    with pytest.raises(SettingError) as refused:
        parse_settings("selective-repeat", {"acks": "bitmap"})
    assert str(refused.value) == (
        "acks (what an ACK names: one message (the textbook's) or everything held "
        "(selective)) must be one of individual, selective, got bitmap"
    )

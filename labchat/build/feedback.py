"""What a check says about each finding: the judge's facts handed to ``labchat.voice``.

A finding (``labchat.build.judge``) holds facts; the sentences (what went
wrong, where and when, and the textbook rule it breaks, Kurose & Ross ch. 3)
are written in ``labchat.voice``, like every sentence labchat says. This
module only picks the sentence for a failure class and passes it the facts.
"""

from __future__ import annotations

from collections.abc import Callable

from labchat import voice
from labchat.build.judge import Failure, Finding


def _who(finding: Finding) -> str:
    return finding.side or voice.build_the_run()


def _not_written(f: Finding) -> str:
    return voice.build_hook_not_written(str(f.facts.get("hook") or ""))


def _crashed(f: Finding) -> str:
    return voice.build_crashed(_who(f), f.facts["error"], f.facts.get("hook") or "",
                               f.facts.get("line"))


def _window(f: Finding) -> str:
    return voice.build_window_accepted(f.facts["window"], f.facts["seq_bits"],
                                       f.facts["modulus"])


def _duplicate(f: Finding) -> str:
    return voice.build_duplicate(_who(f), f.facts["text"], f.facts["first_at"], f.at)


def _out_of_order(f: Finding) -> str:
    return voice.build_out_of_order(_who(f), f.facts["text"], f.facts["after"], f.at)


def _ack_beyond_gap(f: Finding) -> str:
    return voice.build_ack_beyond_gap(_who(f), f.facts["ack"], f.at, f.facts["delivered"],
                                      f.facts.get("missing") or "",
                                      cumulative=bool(f.facts.get("cumulative")))


def _no_retransmit(f: Finding) -> str:
    return voice.build_no_retransmit(_who(f), f.facts["text"], f.at)


def _sent_after_give_up(f: Finding) -> str:
    return voice.build_sent_after_give_up(_who(f), f.facts["text"], f.facts["gave_up_at"],
                                          f.at)


def _too_soon(f: Finding) -> str:
    return voice.build_gave_up_too_soon(_who(f), f.facts["text"], f.at, f.facts["tries"],
                                        f.facts["max_retries"])


def _never_quiet(f: Finding) -> str:
    return voice.build_never_quiet(f.facts["datagrams"])


def _lost(f: Finding) -> str:
    return voice.build_lost(_who(f), f.facts["text"], arrived=bool(f.facts.get("arrived")),
                            sent=bool(f.facts.get("tries")))


_SENTENCES: dict[Failure, Callable[[Finding], str]] = {
    Failure.NOT_WRITTEN: _not_written,
    Failure.CRASHED: _crashed,
    Failure.WINDOW_TOO_LARGE: _window,
    Failure.DUPLICATE: _duplicate,
    Failure.OUT_OF_ORDER: _out_of_order,
    Failure.ACK_BEYOND_GAP: _ack_beyond_gap,
    Failure.NO_RETRANSMIT: _no_retransmit,
    Failure.SENT_AFTER_GIVE_UP: _sent_after_give_up,
    Failure.GAVE_UP_TOO_SOON: _too_soon,
    Failure.NEVER_QUIET: _never_quiet,
    Failure.LOST: _lost,
}


def title(failure: Failure) -> str:
    """The failure class's name as a student reads it ("delivered a duplicate")."""
    return voice.failure_title(failure.value)


def explain(finding: Finding) -> str:
    """What went wrong, where and when, and the rule it breaks."""
    return voice.build_finding(title(finding.failure), _SENTENCES[finding.failure](finding))

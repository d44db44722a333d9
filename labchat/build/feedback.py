"""Every sentence a student reads about a check: one place, one function per failure class.

A finding (``labchat.build.judge``) holds facts; this module turns them into
what went wrong, where and when, and what the textbook rule is (Kurose & Ross
ch. 3). Message texts are the scenario's own ("A0", "A1", ...), shown as
they are. When ``labchat.voice`` exists, these sentences move there.
"""

from __future__ import annotations

from collections.abc import Callable

from labchat.build.judge import Failure, Finding

NOT_WRITTEN_YET = "not written yet: fill in the hooks of the class and run the check again."
ALL_PASS = "all {total} scenarios pass."
SOME_FAIL = "{passed} of {total} scenarios pass."
NO_CLASS = "no class {name} found: define it (a subclass of StudentEngine) and run again."
WINDOW_ACCEPTED = ("your engine accepted window={window} with seq_bits={seq_bits} "
                   "({modulus} numbers). Refuse it in setup() with a ValueError: "
                   "Selective Repeat needs window <= 2**seq_bits / 2 (K&R 3.4.4).")
SHORTEST = "shortest scenario: {name}"

# -- grading a submission (labchat grade) --
SKIPPED_SOURCE = "{where}line {line}: {message}; this part was left out"
DEFINITIONS_FAILED = "the submission's code failed while it ran: {error}"
FEEDBACK_TITLE = "Feedback for {student} ({file})"
TIMED_OUT = ("the checks did not finish within {seconds:g} s (an endless loop?); "
             "exercises not graded by then score 0.")
WORKER_FAILED = "the checks stopped: {reason}"
NOT_GRADED = "Exercise {number} · {title}: not graded (the checks stopped before it)."
TOTAL = "Total: {total:.2f} of {out_of} exercises."
SCENARIOS_WITH = "{count} scenario(s) show it; the shortest: {name}"


def _when(finding: Finding) -> str:
    return f" at t={finding.at:.3f} s" if finding.at is not None else ""


def _who(finding: Finding) -> str:
    return finding.side or "the run"


def _not_written(f: Finding) -> str:
    hook = f.facts.get("hook") or "a hook"
    return f"{hook} is not written yet (it raised NotImplementedError)."


def _crashed(f: Finding) -> str:
    where = f" in {f.facts['hook']}" if f.facts.get("hook") else ""
    line = f", line {f.facts['line']}" if f.facts.get("line") else ""
    return f"{_who(f)}'s engine raised {f.facts['error']}{where}{line}."


def _window(f: Finding) -> str:
    return WINDOW_ACCEPTED.format(**f.facts)


def _duplicate(f: Finding) -> str:
    return (f"{_who(f)} handed {f.facts['text']} to its user twice (first at "
            f"t={f.facts['first_at']:.3f} s, again{_when(f)}). A copy (a resend whose ACK was "
            "lost, or a duplicate made by the network) must be recognised by its number, "
            "discarded, and acknowledged again.")


def _out_of_order(f: Finding) -> str:
    return (f"{_who(f)} delivered {f.facts['text']} after {f.facts['after']}{_when(f)}. "
            "Messages are handed to the user in the order they were sent: a message "
            "beyond a gap waits (Selective Repeat buffers it) or is discarded (Go-Back-N).")


def _ack_beyond_gap(f: Finding) -> str:
    missing = f" but not {f.facts['missing']}" if f.facts.get("missing") else ""
    if f.facts.get("cumulative"):
        return (f"{_who(f)} sent ACK {f.facts['ack']}{_when(f)} when it had delivered "
                f"{f.facts['delivered']} message(s){missing}. A cumulative ACK names the last "
                "message received in order; the sender then never resends the missing one.")
    return (f"{_who(f)} sent ACK {f.facts['ack']}{_when(f)} for a message it never "
            f"received{missing}. A Selective Repeat ACK names one message the receiver has.")


def _no_retransmit(f: Finding) -> str:
    return (f"the last copy of {f.facts['text']} was lost{_when(f)} and {_who(f)} never sent it "
            "again. Start a timer when a message goes out and resend on timeout (rdt 3.0).")


def _sent_after_give_up(f: Finding) -> str:
    return (f"{_who(f)} gave up on {f.facts['text']} at t={f.facts['gave_up_at']:.3f} s, then "
            f"sent it again{_when(f)}. Once you give a message up, stop its timer and never "
            "send it again.")


def _too_soon(f: Finding) -> str:
    return (f"{_who(f)} gave up on {f.facts['text']}{_when(f)} after {f.facts['tries']} "
            f"transmission(s); with max_retries={f.facts['max_retries']} it must try "
            f"{f.facts['max_retries'] + 1} times (the first send and max_retries resends).")


def _never_quiet(f: Finding) -> str:
    return (f"the run was still busy after {f.facts['datagrams']} datagrams: a timer that is "
            "never stopped, or resends that never end.")


def _lost(f: Finding) -> str:
    if f.facts.get("arrived"):
        return (f"{f.facts['text']} from {_who(f)} reached the peer, which never delivered "
                "it nor did the sender give it up.")
    if not f.facts.get("tries"):
        return (f"{_who(f)} never sent {f.facts['text']}: a message that waits for the window "
                "to open must go out when an ACK opens it.")
    return f"{f.facts['text']} from {_who(f)} was neither delivered nor given up."


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


def explain(finding: Finding) -> str:
    """What went wrong, where and when, and the rule it breaks."""
    return f"{finding.failure.value}: {_SENTENCES[finding.failure](finding)}"

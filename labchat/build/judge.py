"""Read one scenario run and find what went wrong, by failure class.

Each finding names its class (``Failure``), the side it happened at, when,
and the facts a sentence needs (which message, which ACK). The judge accepts
any correct behaviour, not only the reference's: it checks what the users see
(each message delivered once, in order, or given up after enough tries) and
what the wire shows (an ACK names a message the receiver has; a message whose
last copy was lost is sent again; nothing is sent after its give-up). It
never compares a student's datagrams with the reference's one by one.

Wording belongs to ``labchat.voice`` (through ``labchat.build.feedback``); this
module only finds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from labchat.build.scenarios import Run
from labchat.events import GaveUp, MessageDelivered, MessageRetransmitted, MessageSent
from labchat.protocols.arq import AckDatagram, DataDatagram, SeqSpace
from labchat.trace import SIDES, Side, other


class Failure(Enum):
    """The failure classes, most telling first (a report lists them in this order)."""

    # Each value is its key in ``labchat.voice.FAILURE_TITLES``, which names it.
    NOT_WRITTEN = "not_written"
    CRASHED = "crashed"
    WINDOW_TOO_LARGE = "window_too_large"
    DUPLICATE = "duplicate"
    OUT_OF_ORDER = "out_of_order"
    ACK_BEYOND_GAP = "ack_beyond_gap"
    NO_RETRANSMIT = "no_retransmit"
    SENT_AFTER_GIVE_UP = "sent_after_give_up"
    GAVE_UP_TOO_SOON = "gave_up_too_soon"
    NEVER_QUIET = "never_quiet"
    LOST = "lost"


@dataclass(frozen=True)
class Finding:
    """One failure in one run: its class, where and when, and the facts to word it."""

    failure: Failure
    side: Side | None
    at: float | None
    facts: dict[str, Any] = field(default_factory=dict)


def judge(run: Run, *, cumulative: bool) -> list[Finding]:
    """Every failure ``run`` shows (at most one finding per class, the earliest).

    ``cumulative``: ACKs name the last message received in order (stop-and-wait,
    Go-Back-N); otherwise they name one message each (Selective Repeat).
    """
    if run.error:
        failure = (Failure.NOT_WRITTEN if isinstance(run.exception, NotImplementedError)
                   else Failure.CRASHED)
        return [Finding(failure, run.error_side, run.network.now,
                        {"error": run.error, "hook": run.error_hook, "line": run.error_line})]
    findings: list[Finding] = []
    for side in SIDES:
        findings += _deliveries(run, side)
        findings += _acks(run, side, cumulative)
        findings += _sender(run, side)
    if run.busy:
        findings.append(Finding(Failure.NEVER_QUIET, None, run.network.now,
                                {"datagrams": len(run.network.wire)}))
    earliest: dict[Failure, Finding] = {}
    for finding in sorted(findings, key=lambda f: (list(Failure).index(f.failure),
                                                   f.at if f.at is not None else 0.0)):
        earliest.setdefault(finding.failure, finding)
    return list(earliest.values())


def _deliveries(run: Run, side: Side) -> list[Finding]:
    """The receiver's user sees each offered message at most once, in order."""
    offered = run.scenario.offered(other(side))
    position = {text: i for i, text in enumerate(offered)}
    findings = []
    seen: dict[str, float] = {}
    highest = -1
    for event in run.network.events[side]:
        if not isinstance(event, MessageDelivered):
            continue
        if event.text in seen:
            findings.append(Finding(Failure.DUPLICATE, side, event.at,
                                    {"text": event.text, "first_at": seen[event.text]}))
            continue
        seen[event.text] = event.at
        index = position.get(event.text, -1)
        if index < highest:
            findings.append(Finding(Failure.OUT_OF_ORDER, side, event.at,
                                    {"text": event.text, "after": offered[highest]}))
        highest = max(highest, index)
    return findings


def _acks(run: Run, side: Side, cumulative: bool) -> list[Finding]:
    """An ACK names a message its sender has (cumulative: all up to it, in order)."""
    space = SeqSpace(int(run.settings.get("seq_bits", 16)))
    offered = run.scenario.offered(other(side))
    findings = []
    for sent in run.sent:
        if sent.side != side or not isinstance(sent.datagram, AckDatagram):
            continue
        ack = sent.datagram.ack
        if ack is None:  # only a selective ACK names no cumulative point
            continue
        if cumulative:
            named = space.nearest(ack, sent.delivered - 1)
            if named > sent.delivered - 1:
                findings.append(Finding(Failure.ACK_BEYOND_GAP, side, sent.at, {
                    "ack": ack, "delivered": sent.delivered,
                    "missing": offered[sent.delivered] if sent.delivered < len(offered) else "",
                    "cumulative": True}))
        else:
            named = space.nearest(ack, sent.delivered)
            text = offered[named] if 0 <= named < len(offered) else ""
            if text not in sent.arrived:
                findings.append(Finding(Failure.ACK_BEYOND_GAP, side, sent.at, {
                    "ack": ack, "delivered": sent.delivered, "missing": text,
                    "cumulative": False}))
    return findings


def _sender(run: Run, side: Side) -> list[Finding]:
    """Every offered message is delivered or given up after enough tries, and then left alone."""
    offered = run.scenario.offered(side)
    if not offered:
        return []
    peer = other(side)
    delivered = {e.text for e in run.network.events[peer] if isinstance(e, MessageDelivered)}
    max_retries = int(run.settings.get("max_retries", 8))
    findings: list[Finding] = []
    transmissions: dict[str, int] = {}
    given_up: dict[str, float] = {}
    give_ups: dict[float, list[tuple[str, int]]] = {}
    for event in run.network.events[side]:
        if isinstance(event, MessageSent | MessageRetransmitted):
            if event.text in given_up:
                findings.append(Finding(Failure.SENT_AFTER_GIVE_UP, side, event.at,
                                        {"text": event.text, "gave_up_at": given_up[event.text]}))
            transmissions[event.text] = transmissions.get(event.text, 0) + 1
        elif isinstance(event, GaveUp):
            given_up.setdefault(event.text, event.at)
            group = give_ups.setdefault(event.at, [])
            group.append((event.text, transmissions.get(event.text, 0)))
    # Messages given up together (a Go-Back-N window) share the oldest one's
    # tries: the most-tried of them must have had them all.
    for at, group in give_ups.items():
        text, tries = max(group, key=lambda item: item[1])
        if tries < max_retries + 1 and all(t not in delivered for t, _ in group):
            findings.append(Finding(Failure.GAVE_UP_TOO_SOON, side, at, {
                "text": text, "tries": tries, "max_retries": max_retries}))
    last_copy = _last_copies(run, side)
    for text in offered:
        if text in delivered or text in given_up:
            continue
        record = last_copy.get(text)
        if record is not None and (record.fate == "dropped" or record.kind == "garbage"):
            findings.append(Finding(Failure.NO_RETRANSMIT, side, record.sent_at, {
                "text": text, "tries": transmissions.get(text, 0)}))
        elif not run.busy:
            findings.append(Finding(Failure.LOST, side, run.network.now, {
                "text": text, "tries": transmissions.get(text, 0),
                "arrived": record is not None and record.fate == "delivered"}))
    return findings


def _last_copies(run: Run, side: Side) -> dict[str, Any]:
    """Each message text -> the wire record of its last transmission by ``side``."""
    by_record = {sent.record: sent for sent in run.sent if sent.side == side}
    last: dict[str, Any] = {}
    for record in run.network.wire:
        sent = by_record.get(record.id)
        if record.copy_of is None and sent is not None and isinstance(sent.datagram, DataDatagram):
            last[sent.datagram.text] = record
    return last

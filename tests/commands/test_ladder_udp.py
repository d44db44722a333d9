"""Issue 3 end to end: two real ``labchat chat`` processes through a real ``labchat relay``.

Every test here starts processes (bounded waits, all killed on the way out)
and asserts what a user or a script sees in the ``--jsonl`` output: which
messages were delivered, in which order, what was given up, and what the chat
says at exit about messages still unacknowledged after ``--linger``.

The relay is the ``labchat relay`` command (a third process), so the whole
path is the one a student runs in three terminals. Its decisions are seeded:
the k-th datagram the relay sees meets the same fate on every run, but which
datagram comes k-th depends on timing, so each assertion must hold for any
interleaving.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from .processes import (
    WAIT,
    Child,
    LabchatChat,
    children,
    port_of,
    udp_socket,
    wait_until_udp_unbound,
)

#: Loss, duplication, reordering and jitter together, at rates a lab would call
#: bad but usable. Seed 3 drops, duplicates and holds back one of its first five
#: datagrams, so every run sees all three whatever the timing.
BAD_NETWORK = ("--loss", "0.1", "--duplicate", "0.1", "--reorder", "0.1",
               "--delay", "5", "--jitter", "10", "--seed", "3")

#: Comfortably longer than any run needs: a bound, the chat leaves as soon as
#: everything it sent is acknowledged.
LINGER = 10.0

#: Stop-and-wait's default sequence space is one bit (the alternating bit),
#: which assumes a network that does not reorder: through this relay a stale
#: ACK would complete a lost message (see test_stop_and_wait). So these chats
#: number its messages with 16 bits, as the README advises for such a network.
WIDE_NUMBERS = {"stop-and-wait": ("--setting", "seq_bits=16")}

TIMER_RUNGS = ("stop-and-wait", "go-back-n", "selective-repeat")

_SAMPLES = (
    "hello - how are you?",
    "سلام - خوبی؟ این پیام فارسی است",
    "room -3",
    "x -resend",
    "D 1 0 looks like a header",
    "A 7",
    "نیم - half -0 -1",
)


def typed_by(side: str, count: int = 20) -> list[str]:
    """What one side types: dashes, Persian, trailing digits, text that looks like a header."""
    return [f"{side}{i} {_SAMPLES[i % len(_SAMPLES)]}" for i in range(count)]


# -- helpers ---------------------------------------------------------------------------


def start_relay(port_a: int, port_b: int, *flags: str) -> Child:
    """``labchat relay --jsonl`` between chats listening on ``port_a`` and ``port_b``."""
    return Child([sys.executable, "-m", "labchat", "relay", "--jsonl",
                  "--a", f"127.0.0.1:{port_a}", "--b", f"127.0.0.1:{port_b}", *flags],
                 name="labchat relay")


def relay_ports(relay: Child) -> tuple[int, int]:
    """Where A and B must send, from the relay's first line on stderr."""
    pattern = r"^relay: A sends to 127\.0\.0\.1:(\d+), B sends to 127\.0\.0\.1:(\d+)$"
    [line] = relay.wait_line(pattern, stream="stderr")
    found = re.match(pattern, line)
    assert found is not None
    return int(found[1]), int(found[2])


@contextmanager
def chats_through_relay(
    protocol: str, *relay_flags: str, linger: float = LINGER,
) -> Iterator[tuple[Child, LabchatChat, LabchatChat]]:
    """Chats A and B (``--jsonl``), each knowing only its side of a relay, all listening.

    After a body that did not fail, every port the three processes bound must be free.
    """
    with udp_socket() as listen_a, udp_socket() as listen_b, children() as started:
        # The chats' sockets are bound first, so the relay can be told their ports.
        port_a, port_b = port_of(listen_a), port_of(listen_b)
        relay = start_relay(port_a, port_b, *relay_flags)
        started.append(relay)  # before any wait, so a failure still stops it
        relay_a, relay_b = relay_ports(relay)
        chat_flags = ("--jsonl", "--protocol", protocol, "--linger", str(linger),
                      *WIDE_NUMBERS.get(protocol, ()))
        a = LabchatChat("A", listen_a, relay_a, *chat_flags)
        started.append(a)
        b = LabchatChat("B", listen_b, relay_b, *chat_flags)
        started.append(b)
        for chat in (a, b):
            chat.wait_events("listening")  # nothing typed is lost to an unbound port
        yield relay, a, b
    for port in (port_a, port_b, relay_a, relay_b):
        wait_until_udp_unbound(port)


def exited(child: Child, timeout: float = WAIT) -> int:
    """Wait (bounded) for the exit status, then for the last lines the child printed."""
    status = child.wait_exit(timeout)
    child.stdout.join(WAIT)
    child.stderr.join(WAIT)
    return status


def stop_relay(relay: Child) -> list[dict[str, Any]]:
    """End the relay's input (it exits 0) and return every decision it logged."""
    relay.end_input()
    assert exited(relay) == 0, relay.transcript()
    return [json.loads(line) for line in relay.stdout.lines]


def delivered(chat: LabchatChat) -> list[str]:
    return [event["text"] for event in chat.events("delivered")]


def settled(chat: LabchatChat) -> set[int]:
    """Numbers of this side's messages acknowledged or given up so far."""
    numbers = {seq for event in chat.events("acked") for seq in event["acked"]}
    return numbers | {event["seq"] for event in chat.events("gave_up")}


def wait_settled(chat: LabchatChat, count: int, timeout: float = 30.0) -> None:
    """Block until each of the first ``count`` messages is acknowledged or given up."""
    wanted = set(range(count))
    if not chat.stdout.wait_for(lambda _: wanted <= settled(chat), timeout):
        chat.fail(f"messages {sorted(wanted - settled(chat))} neither acknowledged "
                  f"nor given up within {timeout} s")


def assert_impaired(decisions: list[dict[str, Any]]) -> None:
    """The relay really lost, duplicated, held back and jittered datagrams."""
    actions = Counter(decision["action"] for decision in decisions)
    assert actions["drop"] > 0 and actions["duplicate"] > 0, actions
    assert any(any(decision["held"]) for decision in decisions), "nothing was reordered"
    delays = {delay for decision in decisions for delay in decision["delays"]}
    assert len(delays) > 1, "every copy had the same delay: no jitter"


# -- exactly once, in order, on every rung with a timer --------------------------------


@pytest.mark.parametrize("protocol", TIMER_RUNGS)
def test_both_ways_every_message_arrives_exactly_once_in_order_over_a_bad_network(
    protocol: str,
) -> None:
    sent_a, sent_b = typed_by("a"), typed_by("b")
    with chats_through_relay(protocol, *BAD_NETWORK) as (relay, a, b):
        a.type(*sent_a)
        b.type(*sent_b)
        # The chats have no closing handshake: a chat that has left cannot
        # repeat an ACK the network lost, and the other side would then
        # (rightly) report an unacknowledged message that did arrive. So A
        # leaves only once everything B sent is confirmed, and B after A.
        wait_settled(b, len(sent_b))
        a.end_input()  # A's own messages may still be in flight: it lingers
        assert exited(a, LINGER + WAIT) == 0
        b.end_input()
        assert exited(b, LINGER + WAIT) == 0
        decisions = stop_relay(relay)

    assert_impaired(decisions)
    assert delivered(b) == sent_a, b.transcript()
    assert delivered(a) == sent_b, a.transcript()
    for chat in (a, b):
        assert chat.events("gave_up") == [], chat.transcript()
        assert chat.events("unacknowledged") == [], chat.transcript()
        assert chat.stderr.lines == []


# -- the bridge rung: no timer, so it owns up at exit ----------------------------------


def test_the_repaired_rung_delivers_a_prefix_once_in_order_and_reports_the_rest() -> None:
    """``repaired`` has no timer: a loss is repaired only when the peer's next
    two fresh messages show its count stalled (its docstring's lesson). A
    talks, B mostly listens, so few counts come back and A's losses mostly
    stay lost (measured: B misses some of A's messages on every run). What
    the rung must still do over any network: deliver nothing twice and
    nothing out of order, and lose nothing silently: at exit the sender
    reports what is still unacknowledged."""
    sent_a, sent_b = typed_by("a"), typed_by("b", 3)
    with chats_through_relay("repaired", *BAD_NETWORK, linger=0.5) as (relay, a, b):
        a.type(*sent_a)
        b.type(*sent_b)
        a.end_input()
        b.end_input()
        assert exited(a) == 0 and exited(b) == 0
        decisions = stop_relay(relay)

    assert_impaired(decisions)
    for sender, receiver, typed in ((a, b, sent_a), (b, a, sent_b)):
        got = delivered(receiver)
        assert got == typed[:len(got)], receiver.transcript()
        missing = len(typed) - len(got)
        # The sender's count of unacknowledged messages can only be larger
        # than what is missing: an ACK never covers a message not received.
        reported = sender.events("unacknowledged")
        if missing:
            assert len(reported) == 1, sender.transcript()
            assert missing <= reported[0]["messages"] <= len(typed)
            assert reported[0]["linger"] == 0.5
        assert sender.events("gave_up") == []  # this rung never gives up
        assert sender.stderr.lines == []


# -- --linger -------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [*TIMER_RUNGS, "repaired"])
def test_with_a_silent_peer_the_chat_lingers_then_reports_what_is_unacknowledged(
    protocol: str,
) -> None:
    """Nobody answers: after --linger the chat exits 0 and says 2 messages are
    unconfirmed. With the engines' defaults (timeout 0.2 s doubling to 3.2 s,
    8 retries) a timer rung gives up only after about 15 s, far beyond the
    0.5 s linger, so "unacknowledged", not "gave_up", is the outcome."""
    with udp_socket() as listen, udp_socket() as silent, children() as started:
        port = port_of(listen)
        silent.settimeout(WAIT)  # bound and never answering: no one else gets the port
        a = LabchatChat("A", listen, port_of(silent),
                        "--jsonl", "--protocol", protocol, "--linger", "0.5")
        started.append(a)
        a.wait_events("listening")
        a.type("anyone there?", "سلام - hello?")
        a.end_input()
        assert exited(a) == 0
        first, _ = silent.recvfrom(2048)

    assert b"anyone there?" in first  # it was sent; only the answer is missing
    assert a.events("unacknowledged") == [
        {"event": "unacknowledged", "messages": 2, "linger": 0.5}
    ], a.transcript()
    assert a.events("gave_up") == []
    assert a.stderr.lines == []
    wait_until_udp_unbound(port)


@pytest.mark.parametrize("protocol", TIMER_RUNGS)
def test_at_end_of_input_the_chat_waits_for_its_acks_then_exits_quietly(protocol: str) -> None:
    """Input ends right after two lines, while they cross a 100 ms relay: the
    ACKs can only come back 200 ms later, so the chat showing them proves it
    waited; it leaves without an "unacknowledged" report."""
    typed = ["last words - بدرود", "room -3"]
    with chats_through_relay(protocol, "--delay", "100") as (relay, a, b):
        a.type(*typed)
        a.end_input()
        assert exited(a, LINGER + WAIT) == 0
        assert b.texts("delivered", 2) == typed
        b.end_input()
        assert exited(b) == 0
        stop_relay(relay)

    assert settled(a) == {0, 1} and a.events("gave_up") == [], a.transcript()
    assert a.events("unacknowledged") == []
    assert a.stderr.lines == []

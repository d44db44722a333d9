"""A chat lab with a shared secret: a forged datagram is shown rejected, never delivered.

The forgery reaches B the way a stranger on the path would make it: through
the relay, which forwards it as A's (its check of the source is turned off
with ``accept_from_anyone``, as the attack needs). Real UDP on 127.0.0.1,
system-chosen ports.
"""

from __future__ import annotations

import socket

import pytest

from labchat.notebook.lab import ChatLab
from labchat.notebook.lab_model import LabModel, Line
from labchat.protocols.arq import seal
from labchat.protocols.envelope import mac_of
from labchat.udp.peer import UdpPeer
from labchat.udp.relay import UdpRelay
from labchat.voice import user_text

SECRET = b"a secret of 16 bytes or more"


def forge(model: LabModel, text: str) -> None:
    """A's next message as a stranger makes it: right numbers and sessions, wrong key."""
    b, relay = model.peer("B"), model.relay
    assert isinstance(b, UdpPeer) and isinstance(relay, UdpRelay)
    relay.accept_from_anyone = True
    inner = b" " + seal(f"D 1 - {text}".encode())  # the checksum is no secret: it is made
    if model.secret is None:
        payload = inner[1:]
    else:
        state = b.snapshot()
        head = f"@{state['partner session']}/{state['session']}/7".encode()
        wrong = mac_of(b"not the shared secret", head + inner).hex().encode()
        payload = head + b"#" + wrong + inner
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as forger:
        forger.sendto(payload, relay.listen_a_address)
    # The lab's own accounting cannot know of a datagram no peer sent: wait on B.
    if model.secret is None:
        assert b.wait_for_events("delivered", 2)
    else:
        assert b.wait_for_events("rejected", 1)
    relay.accept_from_anyone = False


def send_and_settle(model: LabModel, text: str) -> None:
    """A sends ``text``; wait until A has it acknowledged (B took it, or thinks it had it)."""
    model.send("A", text)
    a = model.peer("A")
    assert a.wait_for(lambda: a.unfinished() == 0)


def new_lines(model: LabModel) -> list[str]:
    return [line.text for line in model.state().lines["B"] if line.kind == "new"]


def said(text: str) -> str:
    return f"{user_text('A')}: {user_text(text)}"


@pytest.mark.parametrize("protocol", ["go-back-n", "selective-repeat", "stop-and-wait"])
def test_with_a_secret_a_forgery_is_rejected_and_the_real_message_still_arrives(
        protocol: str) -> None:
    with LabModel(protocol, secret=SECRET) as model:
        model.send("A", "hello")
        assert model.wait_until_quiet()
        forge(model, "FORGED")
        send_and_settle(model, "world")
        assert new_lines(model) == [said("hello"), said("world")]
        rejected = [line for line in model.state().lines["B"] if line.kind == "rejected"]
        assert len(rejected) == 1
        assert "the MAC does not match" in rejected[0].text


def test_without_a_secret_the_same_forgery_is_delivered_and_the_real_message_lost() -> None:
    with LabModel("go-back-n") as model:
        model.send("A", "hello")
        assert model.wait_until_quiet()
        forge(model, "FORGED")
        send_and_settle(model, "world")
        assert new_lines(model) == [said("hello"), said("FORGED")]


def test_the_lab_keeps_its_secret_across_a_protocol_change() -> None:
    with ChatLab("go-back-n", secret=SECRET.decode()) as lab:
        lab.protocol_chooser.value = "selective-repeat"
        model = lab.model
        assert model.protocol == "selective-repeat"
        lab.send("A", "hello")
        assert lab.wait_until_quiet()
        forge(model, "FORGED")
        send_and_settle(model, "world")
        assert new_lines(model) == [said("hello"), said("world")]


def test_the_reports_rung_keeps_the_reports_wire_even_with_a_secret() -> None:
    with LabModel("report", secret=SECRET) as model:
        model.send("A", "hello")
        assert model.wait_until_quiet()
        assert [r.payload for r in model.records()] == [b"hello -0"]
        assert model.state().lines["B"] == [Line("new", said("hello"))]


def test_a_short_secret_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match=r"^the secret has 5 bytes; use at least 16$"):
        LabModel("go-back-n", secret=b"short")

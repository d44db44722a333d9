"""K&R Figure 3.27: a Selective Repeat window of 3 in a space of 4 numbers.

The rungs refuse such a window unless ``allow_unsafe_window`` is on; with it
on, the manual network replays the figure step by step. In (a) every ACK is
lost, the resent packet 0 falls inside the receiver's new window (3, 0, 1)
and is taken as the next packet 0; once packet 3 arrives, the old text is
handed over as a new message. In (b) the network works and the receiver sees
exactly the same numbers: it cannot tell the two apart.
"""

from __future__ import annotations

import pytest

from labchat.events import DuplicateDiscarded, MessageBuffered, MessageDelivered
from labchat.protocols import create_engine, parse_settings
from labchat.protocols.settings import SettingError
from labchat.sim.network import ManualNetwork
from labchat.trace import WireRecord

FIGURE = {"seq_bits": 2, "window": 3, "allow_unsafe_window": True, "max_retries": 8,
          "timeout": 1.0, "max_timeout": 1.0}


def manual(**overrides: object) -> ManualNetwork:
    settings = {**FIGURE, **overrides}
    return ManualNetwork(create_engine("selective-repeat", **settings),
                         create_engine("selective-repeat", **settings), transit=0.0)


def flying(network: ManualNetwork, label_start: str) -> WireRecord:
    (record,) = [r for r in network.in_flight() if r.label.startswith(label_start)]
    return record


def delivered(network: ManualNetwork) -> list[tuple[int, str]]:
    return [(e.seq, e.text) for e in network.events["B"] if isinstance(e, MessageDelivered)]


def test_the_unsafe_window_is_refused_unless_asked_for() -> None:
    with pytest.raises(SettingError, match="at most half the sequence space: window 3 > 2"):
        create_engine("selective-repeat", seq_bits=2, window=3)
    with pytest.raises(SettingError, match=r"window < 2\*\*seq_bits: window 4"):
        create_engine("go-back-n", seq_bits=2, window=4)
    assert create_engine("go-back-n", seq_bits=2, window=4, allow_unsafe_window=True)
    with pytest.raises(SettingError, match=r"allow_unsafe_window .* must be on or off"):
        create_engine("selective-repeat", allow_unsafe_window=1)


def send_three(network: ManualNetwork) -> None:
    """pkt0, pkt1, pkt2 leave 0.1 s apart, so their timers fire in that order."""
    for text in ("pkt0", "pkt1", "pkt2"):
        network.send("A", text)
        network.advance(0.1)


def test_figure_3_27_a_all_acks_lost_the_old_packet_0_is_delivered_as_new() -> None:
    network = manual()
    send_three(network)
    for number in (0, 1, 2):  # the receiver gets all three and acknowledges each
        network.deliver(flying(network, f"D{number} ").id)
    assert delivered(network) == [(0, "pkt0"), (1, "pkt1"), (2, "pkt2")]
    for record in network.in_flight():  # ... and every ACK is lost
        network.drop(record.id)
    network.advance_to_next_timer()  # "pkt0 timeout, retransmit pkt0"
    old_zero = flying(network, "D0 ")
    assert old_zero.kind == "resend" and old_zero.payload.endswith(b"pkt0")
    network.deliver(old_zero.id)
    # "receive packet with seq number 0": inside the window 3, 0, 1, so new.
    buffered = [e for e in network.events["B"] if isinstance(e, MessageBuffered)]
    assert [(e.seq, e.expected) for e in buffered] == [(4, 3)]
    assert not [e for e in network.events["B"] if isinstance(e, DuplicateDiscarded)]
    network.deliver(flying(network, "ACK 0").id)  # A's pkt0 is acknowledged at last
    for number in (1, 2):  # pkt1 and pkt2 time out too: 1 is inside the window, 2 is not
        network.advance_to_next_timer()
        network.deliver(flying(network, f"D{number} ").id)
        network.deliver(flying(network, f"ACK {number}").id)
    network.send("A", "pkt3")
    network.deliver(flying(network, "D3 ").id)
    assert [e.seq for e in network.events["B"] if isinstance(e, DuplicateDiscarded)] == [2]
    # The receiver hands over pkt3, then the OLD pkt0 and pkt1 as messages 4 and 5.
    assert delivered(network)[3:] == [(3, "pkt3"), (4, "pkt0"), (5, "pkt1")]


def test_figure_3_27_b_the_receiver_sees_the_same_numbers_when_all_goes_well() -> None:
    network = manual()
    send_three(network)
    for number in (0, 1, 2):
        network.deliver(flying(network, f"D{number} ").id)
    for number in (0, 1, 2):
        network.deliver(flying(network, f"ACK {number}").id)
    network.send("A", "pkt3")
    network.send("A", "pkt4")
    assert [r.label for r in network.in_flight()] == ["D3 ack- pkt3", "D0 ack- pkt4"]
    network.drop(flying(network, "D3 ").id)  # pkt3 is lost
    network.deliver(flying(network, "D0 ").id)  # the NEW pkt0: same number as in (a)
    buffered = [e for e in network.events["B"] if isinstance(e, MessageBuffered)]
    assert [(e.seq, e.expected) for e in buffered] == [(4, 3)]


def test_with_a_safe_window_the_old_packet_0_is_a_duplicate() -> None:
    network = manual(window=2, seq_bits=2, allow_unsafe_window=False)
    for text in ("pkt0", "pkt1"):
        network.send("A", text)
    for number in (0, 1):
        network.deliver(flying(network, f"D{number} ").id)
    for record in network.in_flight():
        network.drop(record.id)
    network.advance_to_next_timer()
    network.deliver(flying(network, "D0 ").id)
    assert [e.seq for e in network.events["B"] if isinstance(e, DuplicateDiscarded)] == [0]
    assert delivered(network) == [(0, "pkt0"), (1, "pkt1")]


def test_the_command_line_spells_the_switch_on_or_off() -> None:
    assert parse_settings("selective-repeat", {"allow_unsafe_window": "on"}) == \
        {"allow_unsafe_window": True}
    assert parse_settings("go-back-n", {"allow_unsafe_window": "off"}) == \
        {"allow_unsafe_window": False}
    with pytest.raises(SettingError, match=r"^allow_unsafe_window .* must be on or off, got maybe"):
        parse_settings("go-back-n", {"allow_unsafe_window": "maybe"})

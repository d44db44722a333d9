"""``--pcap FILE`` on ``relay``, ``chat`` and ``simulate``: what Wireshark then shows.

Real processes on 127.0.0.1 (bounded waits, all stopped on the way out);
each capture is decoded by the real tshark with labchat's dissector and
compared with what the processes reported: the texts typed, the datagrams
each chat says it sent and received, the relay's decisions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labchat.commands.cli import main
from labchat.protocols.arq import unseal
from labchat.sim.simulator import run_simulation
from tests.wireshark.tshark import decode

from .processes import LabchatChat, children, port_of, udp_socket, wait_until_udp_unbound
from .test_ladder_udp import (
    BAD_NETWORK,
    LINGER,
    exited,
    relay_ports,
    start_relay,
    stop_relay,
    wait_settled,
)

ZWNJ = "\u200c"
TYPED = {"A": [f"می{ZWNJ}روم - خداحافظ", "a -1 -2", "D 5 - header?"], "B": ["باشه", "ok"]}


def test_relay_and_chats_write_captures_that_tshark_reads_back(tmp_path: Path) -> None:
    files = {name: tmp_path / f"{name}.pcapng" for name in ("relay", "A", "B")}
    with udp_socket() as listen_a, udp_socket() as listen_b, children() as started:
        port_a, port_b = port_of(listen_a), port_of(listen_b)
        relay = start_relay(port_a, port_b, *BAD_NETWORK, "--pcap", str(files["relay"]))
        started.append(relay)
        relay_a, relay_b = relay_ports(relay)
        chats = {}
        for side, listen, target in (("A", listen_a, relay_a), ("B", listen_b, relay_b)):
            chats[side] = LabchatChat(side, listen, target, "--jsonl", "--protocol", "go-back-n",
                                      "--linger", str(LINGER), "--pcap", str(files[side]))
            started.append(chats[side])
            chats[side].wait_events("listening")
        for side, chat in chats.items():
            chat.type(*TYPED[side])
        for side, chat in chats.items():
            wait_settled(chat, len(TYPED[side]))
        for chat in chats.values():
            chat.end_input()
            assert exited(chat, LINGER + 10) == 0, chat.transcript()
        decisions = stop_relay(relay)
    for port in (port_a, port_b, relay_a, relay_b):
        wait_until_udp_unbound(port)

    relay_packets = decode(files["relay"], tmp_path)
    dropped = [p for p in relay_packets if "lost by the network" in p["frame.comment"]]
    assert len(relay_packets) == sum(max(len(d["delays"]), 1) for d in decisions)
    assert len(dropped) == sum(d["action"] == "drop" for d in decisions) > 0
    assert {p["labchat.text"] for p in relay_packets if p["labchat.kind"] == "data"} == (
        set(TYPED["A"]) | set(TYPED["B"]))
    assert relay.stderr.lines[-1] == f"relay: capture written to {files['relay']}"

    for side, chat in chats.items():
        packets = decode(files[side], tmp_path)
        sent = [p for p in packets if p["frame.comment"].startswith(f"sent by {side}")]
        received = [p for p in packets if p["frame.comment"] == f"received by {side}"]
        assert len(sent) == len(chat.events("datagram_sent"))
        assert len(received) == len(chat.events("datagram_received"))
        assert len(sent) + len(received) == len(packets)
        assert [p["labchat.rung"] for p in packets] == ["go-back-n"] * len(packets)
        assert {p["labchat.text"] for p in sent if p["labchat.kind"] == "data"} == set(
            TYPED[side])
        assert chat.stderr.lines[-1] == f"chat: capture written to {files[side]}"


def test_simulate_writes_the_run_it_counted(tmp_path: Path) -> None:
    capture = tmp_path / "sim.pcapng"
    flags = ["--protocol", "selective-repeat", "--messages", "5", "--loss", "0.3",
             "--seed", "4", "--json", "--pcap", str(capture)]
    assert main(["simulate", *flags]) == 0
    expected = run_simulation("selective-repeat", 5, loss=0.3, seed=4)
    packets = decode(capture, tmp_path)
    assert len(packets) == len(expected.wire)
    assert sum("lost by the network" in p["frame.comment"] for p in packets) == sum(
        r.fate == "dropped" for r in expected.wire)
    assert [p["labchat.text"] for p in packets if p["labchat.kind"] == "data"] == [
        unseal(r.payload).decode().split(" ", 3)[3] for r in sorted(
            expected.wire, key=lambda r: (r.sent_at, r.id)) if r.kind != "ack"]


def test_a_capture_that_cannot_be_written_is_one_line_and_status_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    missing = tmp_path / "no such folder" / "x.pcapng"
    assert main(["simulate", "--messages", "1", "--pcap", str(missing)]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("labchat simulate: error: cannot write the capture: ")

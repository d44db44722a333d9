"""The chat lab and the step-through save what they showed as a capture tshark reads back.

The lab runs real UDP through its relay (wall-clock times, real ports); the
step-through runs on the manual network (virtual time), where a datagram
still in flight is in the capture too, marked as such.
"""

from __future__ import annotations

from pathlib import Path

from labchat.notebook.lab import ChatLab
from labchat.notebook.stepper import Stepper
from tests.wireshark.test_dissector import expected_fields
from tests.wireshark.tshark import decode

ZWNJ = "\u200c"


def test_the_chat_labs_capture_tells_what_the_relay_did(tmp_path: Path) -> None:
    with ChatLab("stop-and-wait") as lab:
        lab.send("A", f"می{ZWNJ}آیی؟")
        assert lab.wait_until_quiet()
        lab.drop_next("A->B")
        lab.send("A", "two - 2")
        assert lab.wait_until_quiet(timeout=10.0)
        lab.send("B", "بله")
        assert lab.wait_until_quiet()
        records = sorted(lab.records(), key=lambda r: (r.sent_at, r.id))
        ports = {"A": lab.a.address[1], "B": lab.b.address[1]}
        capture = lab.save_pcap(tmp_path / "lab.pcapng")
    shown = decode(capture, tmp_path)
    assert len(shown) == len(records)
    assert [p["labchat.kind"] for p in shown] == [
        "data" if r.kind == "resend" else r.kind for r in records]
    assert [p["labchat.text"] for p in shown if p["labchat.kind"] == "data"] == [
        f"می{ZWNJ}آیی؟", "two - 2", "two - 2", "بله"]
    assert [("lost by the network" in p["frame.comment"]) for p in shown] == [
        r.fate == "dropped" for r in records]
    assert [int(p["udp.srcport"]) for p in shown] == [ports[r.source] for r in records]
    assert {p["labchat.rung"] for p in shown} == {"stop-and-wait"}


def test_a_step_through_saves_every_datagram_even_those_in_flight(tmp_path: Path) -> None:
    stepper = Stepper("go-back-n", script=["send A hello", "send A دو", "drop 0", "deliver 1",
                                           "timer", "deliver 3"])
    try:
        wire = sorted(stepper.network.wire, key=lambda r: (r.sent_at, r.id))
        capture = stepper.save_pcap(tmp_path / "steps.pcapng")
    finally:
        stepper.close()
    shown = decode(capture, tmp_path)
    modulus = 1 << 16
    assert [{name: p[name] for name in expected_fields("go-back-n", r, modulus)}
            for p, r in zip(shown, wire, strict=True)] == [
        expected_fields("go-back-n", r, modulus) for r in wire]
    assert [p["frame.comment"].split("; ")[-1] for p in shown] == [
        "lost by the network (manual)" if r.fate == "dropped"
        else "still in flight" if r.fate == "in_flight"
        else f"arrived at {r.arrived_at:.6f} s" for r in wire]
    assert {"dropped", "in_flight", "delivered"} <= {r.fate for r in wire}

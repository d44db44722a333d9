"""tshark decodes every datagram of every rung exactly as the engines meant it.

Each test exports a capture of a lossy run (Persian text with a zero-width
non-joiner, text containing `` -``), has the real tshark decode it with
``labchat.lua``, and compares every field with the run's wire records and
the rung's own decoder: kind, sequence number, ACK, skip mark, count, text,
addresses, times, and the comments that say what the network lost or
duplicated.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from labchat.events import DatagramRejected, MessageSent
from labchat.pcap import SIMULATED_ADDRESSES, Packet, describe_interface, write_pcapng
from labchat.protocols import (
    PROTOCOLS,
    arq,
    create_engine,
    create_enveloped,
    envelope,
    repaired,
    report,
)
from labchat.protocols.arq import ArqEngine
from labchat.protocols.student import StudentEngine
from labchat.sim.channel import Impairment
from labchat.sim.recording import Recording
from labchat.sim.simulator import run_simulation
from labchat.trace import WireRecord
from tests.build.answers import ANSWERS
from tests.wireshark.tshark import decode

ZWNJ = "\u200c"
TEXTS = {"A": [f"می{ZWNJ}خواهم بیایم", "سلام - خوبی؟", "a -1 -2"],
         "B": [f"نمی{ZWNJ}دانم", "ok -resend"]}


def lossy_run(protocol: str) -> Recording:
    """Both sides talk over a network that loses and duplicates, then one scripted loss."""
    recording = Recording(protocol, Impairment(loss=0.25, duplicate=0.2, delay=0.05), seed=3)
    recording.drop_next("A->B")
    for a_text, b_text in zip(TEXTS["A"], TEXTS["B"], strict=False):
        recording.send_together([("A", a_text), ("B", b_text)])
    recording.send("A", TEXTS["A"][-1])
    recording.wait(30.0)  # every timer has run out
    return recording


def expected_fields(protocol: str, record: WireRecord, modulus: int) -> dict[str, str]:
    """What tshark must show for ``record``, from the record and the rung's own decoder."""
    wire_kind = record.kind
    if record.kind == "resend" and protocol != "report":
        wire_kind = "data"  # only the report's resend is marked on the wire
    fields = {"labchat.kind": wire_kind, "labchat.seq": "", "labchat.ack": "",
              "labchat.first": "", "labchat.count": "", "labchat.text": "",
              "labchat.checksum": ""}
    if protocol == "report":
        datagram = report.decode(record.payload)
        fields["labchat.text"] = datagram.text
        fields["labchat.count"] = "" if datagram.count is None else str(datagram.count)
    elif protocol == "repaired":
        message = repaired.decode(record.payload)
        fields.update({"labchat.seq": str(record.seq), "labchat.count": str(message.count),
                       "labchat.text": message.text})
    else:
        body = record.payload
        if record.payload[4:5] == b" ":  # the checksum in front, which tshark shows checked
            body = arq.unseal(record.payload)
            fields["labchat.checksum"] = f"0x{arq.internet_checksum(body):04x}"
        parsed = arq.decode(body, modulus)
        if isinstance(parsed, arq.AckDatagram):
            fields["labchat.ack"] = str(parsed.ack)
        else:
            assert record.seq is not None
            fields.update({
                "labchat.seq": str(record.seq % modulus),
                "labchat.ack": "" if parsed.ack is None else str(parsed.ack),
                "labchat.first": "" if parsed.first is None else str(parsed.first),
                "labchat.text": parsed.text,
            })
    return fields


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_tshark_decodes_every_datagram_of_a_lossy_run(protocol: str, tmp_path: Path) -> None:
    recording = lossy_run(protocol)
    capture = recording.save_pcap(tmp_path / f"{protocol}.pcapng")
    packets = decode(capture, tmp_path)
    records = sorted(recording.wire, key=lambda r: (r.sent_at, r.id))
    engine = recording.engines["A"]
    modulus = engine.space.modulus if isinstance(engine, ArqEngine) else 0

    assert len(packets) == len(records)
    assert any(r.fate == "dropped" for r in records)
    assert any(r.copy_of is not None for r in records)
    for packet, record in zip(packets, records, strict=True):
        shown = {name: packet[name] for name in expected_fields(protocol, record, modulus)}
        assert shown == expected_fields(protocol, record, modulus), packet
        assert packet["labchat.rung"] == protocol
        assert float(packet["frame.time_epoch"]) == pytest.approx(record.sent_at, abs=1e-6)
        source, destination = (SIMULATED_ADDRESSES[record.source],
                               SIMULATED_ADDRESSES[record.destination])
        assert (packet["ip.src"], int(packet["udp.srcport"])) == source
        assert (packet["ip.dst"], int(packet["udp.dstport"])) == destination
        assert packet["frame.comment"].startswith(f"#{record.id} ")
        assert ("lost by the network" in packet["frame.comment"]) == (record.fate == "dropped")
        assert (f"duplicate of #{record.copy_of}" in packet["frame.comment"]) == (
            record.copy_of is not None)
        assert "rejected" not in packet["_ws.col.Info"]


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_the_text_tshark_shows_is_what_the_sender_typed(protocol: str, tmp_path: Path) -> None:
    recording = lossy_run(protocol)
    packets = decode(recording.save_pcap(tmp_path / "run.pcapng"), tmp_path)
    typed = {e.text for side in ("A", "B") for e in recording.network.events[side]
             if isinstance(e, MessageSent)}
    shown = {p["labchat.text"] for p in packets if p["labchat.kind"] != "ack"}
    assert shown == typed
    assert f"می{ZWNJ}خواهم بیایم" in shown


#: Bytes some rung rejects, and a well-formed datagram of each rung among them.
GARBAGE = [b"hi -0", b"hi -0 -0", b"D 0 - hi", b"A 0", b"S 3 1 2 hi",
           b"\xff\xfehello", b"no count at all", b"hi -x", b"hi -1 -01", b"D 01 - hi",
           b"A 3 4", b"A", b"D 0", b"S 1 - hi", b"A -", b"X 1 2 hi", b"D 70000 - hi",
           b"S 1 - 5 hi", b"D 9 9 hi", b"S 9 9 9 hi", b"x" * 1100,
           # the selective-ACK form, well and badly made
           b"A 7:9-11,14", b"D 3 7: hi", b"A -:2", b"A 3:", b"A 1:2-", b"A 1:1,2,3,4,5,6,7,8,9",
           b"D 0 -:40000-1 x", b"A 1:5-40000", b"A -:", b"A 1:,2", b"A x:1",
           "D 0 - می".encode()[:-1]]


#: What an ARQ engine refuses by its state (``ArqEngine._check_possible``):
#: a dissector, which sees the bytes alone, cannot judge these.
BY_STATE = ("names message", "is beyond the receive window", "is not within a window of",
            "messages is more than a sender abandons")


def rejection(protocol: str, payload: bytes) -> str | None:
    """Why an engine of ``protocol`` refutes ``payload`` by its bytes alone, or None.

    The engine checks what the bytes refute before what its state does, so a
    rejection by state means the bytes alone were fine.
    """
    engine = create_engine(protocol)
    engine.receive_datagram(payload, 0.0)
    reasons = [e.reason for e in engine.pop_events() if isinstance(e, DatagramRejected)]
    if not reasons or any(words in reasons[0] for words in BY_STATE):
        return None
    return reasons[0]


def shown_rejection(packet: dict[str, str]) -> str | None:
    """The reason in tshark's "would reject it" warning, or None if it shows none."""
    for message in packet["_ws.expert.message"].split("|"):
        if " would reject it: " in message:
            assert packet["labchat.kind"] == "garbage", packet
            return message.split(" would reject it: ", 1)[1]
    return None


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_tshark_warns_exactly_where_the_rung_rejects(protocol: str, tmp_path: Path) -> None:
    engine = create_engine(protocol)
    payloads = GARBAGE
    if isinstance(engine, ArqEngine):  # behind a good checksum, then bad or missing ones
        sealed = arq.seal(b"D 0 - hi")
        payloads = [arq.seal(payload) for payload in GARBAGE] + [
            b"D 0 - hi", b"beef D 0 - hi", sealed[:-1] + b"j", b"\xff" + sealed[1:]]
    packets = [Packet(i * 0.1, SIMULATED_ADDRESSES["A"], SIMULATED_ADDRESSES["B"], payload)
               for i, payload in enumerate(payloads)]
    capture = write_pcapng(tmp_path / "garbage.pcapng", packets,
                           description=describe_interface(engine))
    shown = decode(capture, tmp_path)
    expected = [rejection(protocol, payload) for payload in payloads]
    assert [shown_rejection(packet) for packet in shown] == expected
    assert any(expected) and not all(expected)


def test_a_capture_without_its_rung_is_recognised_per_datagram(tmp_path: Path) -> None:
    """A relay forwards bytes without knowing the rung: the dissector guesses."""
    run = run_simulation("go-back-n", 3, loss=0.3, seed=1)
    packets = [Packet(r.sent_at, SIMULATED_ADDRESSES[r.source],
                      SIMULATED_ADDRESSES[r.destination], r.payload) for r in run.wire]
    capture = write_pcapng(tmp_path / "relay.pcapng", packets, description="labchat")
    shown = decode(capture, tmp_path)
    assert [p["labchat.type"] for p in shown] == [arq.unseal(r.payload)[:1].decode()
                                                  for r in run.wire]
    assert [p["labchat.checksum"] for p in shown] == [f"0x{r.payload[:4].decode()}"
                                                      for r in run.wire]
    assert all("guessed" in p["_ws.expert.message"] for p in shown)


def test_the_installed_dissector_is_found_without_being_named(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = subprocess.run([sys.executable, "-m", "labchat", "wireshark", "--install"],
                            capture_output=True, text=True, timeout=60, check=False,
                            env={"HOME": str(home), "PATH": "/usr/bin:/bin"})
    installed = home / ".local" / "lib" / "wireshark" / "plugins" / "labchat.lua"
    assert result.returncode == 0, result.stderr
    assert str(installed) in result.stdout
    capture = run_simulation("selective-repeat", 2).save_pcap(tmp_path / "sr.pcapng")
    shown = decode(capture, home, load_dissector=False)
    assert [p["labchat.text"] for p in shown if p["labchat.kind"] == "data"] == ["A0", "A1"]


def test_a_students_engine_is_decoded_as_the_arq_wire_it_speaks(tmp_path: Path) -> None:
    protocol = f"{ANSWERS / 'stop_and_wait.py'}:StopAndWait"
    run = run_simulation(protocol, 4, loss=0.3, seed=2, both_ways=True)
    shown = decode(run.save_pcap(tmp_path / "student.pcapng"), tmp_path)
    records = sorted(run.wire, key=lambda r: (r.sent_at, r.id))
    assert isinstance(run.engine, StudentEngine)
    modulus = run.engine.modulus
    assert [p["labchat.rung"] for p in shown] == ["StopAndWait"] * len(records)
    assert [{name: p[name] for name in ("labchat.kind", "labchat.seq", "labchat.ack",
                                        "labchat.first", "labchat.count", "labchat.text",
                                        "labchat.checksum")}
            for p in shown] == [expected_fields("stop-and-wait", r, modulus) for r in records]


def test_selective_acks_are_decoded_run_by_run(tmp_path: Path) -> None:
    run = run_simulation("selective-repeat", 12, loss=0.3, seed=4, both_ways=True,
                         settings={"acks": "selective"})
    shown = decode(run.save_pcap(tmp_path / "sack.pcapng"), tmp_path)
    records = sorted(run.wire, key=lambda r: (r.sent_at, r.id))
    expected = []
    for record in records:
        runs = arq.decode(arq.unseal(record.payload), 1 << 16).sack or ()
        expected.append(("|".join(str(a) for a, _ in runs), "|".join(str(b) for _, b in runs)))
    assert [(p["labchat.sack.left"], p["labchat.sack.right"]) for p in shown] == expected
    assert any(left for left, _ in expected), "the run should hold some selective ACKs"


@pytest.mark.parametrize("secret", [None, b"a shared secret, 32 bytes long.."],
                         ids=["plain", "signed"])
@pytest.mark.parametrize("protocol", ["repaired", "go-back-n"])
def test_tshark_shows_the_envelope_and_the_rung_inside_it(
    protocol: str, secret: bytes | None, tmp_path: Path
) -> None:
    a = create_enveloped(protocol, 0x1A2B3C4D, secret)
    b = create_enveloped(protocol, 0x5E6F7A8B, secret)
    a.send_message("سلام - hi", 0.0)
    (hello,) = a.pop_datagrams()
    b.receive_datagram(hello.payload, 0.0)
    b.send_message("ok", 0.0)
    replies = b.pop_datagrams()
    announcement = create_enveloped(protocol, 0x99, secret)
    announcement.receive_datagram(replies[0].payload, 0.0)  # meant for a: it answers
    (announced,) = announcement.pop_datagrams()
    sent = [hello, *replies, announced]
    packets = [Packet(i * 0.1, SIMULATED_ADDRESSES["A"], SIMULATED_ADDRESSES["B"], d.payload)
               for i, d in enumerate(sent)]
    shown = decode(write_pcapng(tmp_path / "enveloped.pcapng", packets,
                                description=describe_interface(a)), tmp_path)
    for packet, datagram in zip(shown, sent, strict=True):
        header = envelope.parse(datagram.payload)
        assert packet["labchat.session"] == header.sender
        assert packet["labchat.to"] == (header.to or "-")
        assert packet["labchat.mac"] == ("" if header.mac is None else header.mac.hex())
        assert packet["labchat.packet"] == ("" if header.number is None else str(header.number))
        assert packet["_ws.col.Info"] == datagram.label
        assert "would reject" not in packet["_ws.expert.message"]
    assert shown[0]["labchat.text"] == "سلام - hi"
    assert shown[0]["labchat.to"] == "-"
    assert shown[-1]["_ws.col.Info"] == "session 00000099"
    assert (shown[-1]["labchat.kind"], shown[-1]["labchat.text"]) == ("ack", "")

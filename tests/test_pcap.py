"""The capture writer: the same run gives the same file; no datagram breaks it.

What the packets mean is checked with the real tshark in ``tests/wireshark``.
"""

from __future__ import annotations

import struct
from pathlib import Path

from labchat.pcap import SIMULATED_ADDRESSES, Packet, pcapng
from labchat.sim.channel import Impairment
from labchat.sim.recording import Recording


def a_run(seed: int) -> Recording:
    recording = Recording("selective-repeat", Impairment(loss=0.3, duplicate=0.2), seed=seed)
    recording.send("A", "سلام")
    recording.send("B", "hi")
    recording.wait(10.0)
    return recording


def test_the_same_run_gives_the_same_capture_byte_for_byte(tmp_path: Path) -> None:
    first = a_run(5).save_pcap(tmp_path / "one.pcapng").read_bytes()
    again = a_run(5).save_pcap(tmp_path / "two.pcapng").read_bytes()
    other = a_run(6).save_pcap(tmp_path / "three.pcapng").read_bytes()
    assert first == again
    assert first != other


def test_a_datagram_too_big_for_ipv4_is_cut_to_fit_not_a_crash() -> None:
    huge = Packet(0.0, SIMULATED_ADDRESSES["A"], SIMULATED_ADDRESSES["B"], b"x" * 70_000)
    data = pcapng([huge])
    blocks = []  # (type, body) of each block, walked by their lengths
    offset = 0
    while offset < len(data):
        kind, length = struct.unpack_from("<II", data, offset)
        blocks.append((kind, data[offset + 8: offset + length - 4]))
        offset += length
    [packet] = [body for kind, body in blocks if kind == 6]  # the enhanced packet block
    captured = struct.unpack_from("<I", packet, 12)[0]
    ip_total_length = struct.unpack_from("!H", packet, 20 + 2)[0]
    assert captured == ip_total_length == 0xFFFF

"""Captures for Wireshark: labchat's datagrams as a pcapng file.

This module owns the file format and the mapping from labchat's records to
packets. It builds bytes and writes one file; it opens no socket and reads
no clock, so a simulation (virtual time) and a real chat (real time) are
exported the same way and the same run always gives the same bytes.

One UDP/IPv4 packet per datagram, with the sender's and receiver's real or
simulated addresses, stamped at the moment it was sent. Datagrams the
network lost or duplicated stay in the capture and say so in their packet
comment (Wireshark shows it as ``frame.comment``: filter
``frame.comment contains "lost"``), so the capture tells the same story as
the sequence chart. The interface description names the rung and its
sequence space (``labchat rung=go-back-n seq_bits=16``): the dissector in
``labchat/wireshark/labchat.lua`` reads it, so a capture opens decoded
without any configuration.

Why no library: the format needs three kinds of block (section header,
interface description, enhanced packet with a comment option), about sixty
lines of ``struct``. The candidates do not fit the job: dpkt's last release
is from 2022, and scapy is a packet-crafting framework megabytes large for
what is here a few ``pack`` calls. The format is specified in
draft-ietf-opsawg-pcapng; ``LINKTYPE_RAW`` (101) means each packet starts
with its IPv4 header, no Ethernet framing to invent.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from labchat.protocols.arq import ArqEngine
from labchat.protocols.base import Engine
from labchat.protocols.envelope import Enveloped
from labchat.protocols.student import StudentEngine
from labchat.trace import Side, WireRecord
from labchat.voice import capture_comment

Address = tuple[str, int]

#: Where a simulated side "lives" when a capture needs addresses:
#: documentation addresses (RFC 5737), so they can never be mistaken for
#: a real host. Ports that no Wireshark dissector claims (5001 is CPFI's),
#: so the labchat dissector's heuristic gets them.
SIMULATED_ADDRESSES: Mapping[Side, Address] = {"A": ("192.0.2.1", 40001),
                                               "B": ("192.0.2.2", 40002)}

LINKTYPE_RAW = 101  # packets begin with the IP header
_SHB, _IDB, _EPB = 0x0A0D0D0A, 0x00000001, 0x00000006
_BYTE_ORDER_MAGIC = 0x1A2B3C4D
_OPT_END, _OPT_COMMENT = 0, 1
_SHB_USERAPPL = 4
_IF_NAME, _IF_DESCRIPTION = 2, 3
_EPB_FLAGS = 2
_FLAG_INBOUND, _FLAG_OUTBOUND = 0b01, 0b10
_IP_HEADER, _UDP_HEADER = 20, 8
_MAX_UDP_PAYLOAD = 0xFFFF - _IP_HEADER - _UDP_HEADER
_TTL = 64
_UDP = 17


@dataclass(frozen=True)
class Packet:
    """One datagram as the capture shows it."""

    at: float  # seconds since the epoch (or since the start, for virtual time)
    source: Address
    destination: Address
    payload: bytes
    comment: str = ""
    outbound: bool | None = None  # seen leaving (True) or arriving at (False) the capturer


def describe_interface(engine: Engine | None) -> str:
    """The interface description the dissector reads: ``labchat rung=... seq_bits=...``.

    ``engine`` is one side's engine (both sides of a run share the rung and
    its settings); None when the rung is unknown (a relay forwards any bytes).
    A student's engine speaks the textbook rungs' wire (``wire=arq``) under
    its own name.
    """
    words = ["labchat"]
    if isinstance(engine, Enveloped):
        engine = engine.inner  # the envelope is recognised by its own bytes
    if engine is not None:
        words.append(f"rung={engine.protocol}")
    if isinstance(engine, StudentEngine):
        words.append("wire=arq")
    if isinstance(engine, ArqEngine | StudentEngine):
        words += [f"seq_bits={engine.settings.seq_bits}", f"window={engine.settings.window}"]
        words.append(f"checksum={'on' if engine.settings.checksum else 'off'}")
    return " ".join(words)


def packets_from_wire(records: Iterable[WireRecord],
                      addresses: Mapping[Side, Address] = SIMULATED_ADDRESSES, *,
                      epoch: float = 0.0) -> list[Packet]:
    """One packet per wire record, in order of sending, each with its fate as a comment.

    ``epoch`` is added to every time (a real run's records use a monotonic
    clock: pass the wall-clock time of its zero).
    """
    ordered = sorted(records, key=lambda record: (record.sent_at, record.id))
    return [Packet(record.sent_at + epoch, addresses[record.source],
                   addresses[record.destination], record.payload, capture_comment(record))
            for record in ordered]


def pcapng(packets: Sequence[Packet], *, description: str = "labchat",
           application: str = "labchat") -> bytes:
    """A complete pcapng file: one section, one raw-IPv4 interface, the packets."""
    blocks = [_section_header(application), _interface(description)]
    blocks += [_enhanced_packet(packet, number) for number, packet in enumerate(packets)]
    return b"".join(blocks)


def write_pcapng(path: str | Path, packets: Sequence[Packet], *,
                 description: str = "labchat") -> Path:
    """Write ``packets`` to ``path`` as pcapng; returns the path."""
    target = Path(path)
    target.write_bytes(pcapng(packets, description=description))
    return target


def save_wire(path: str | Path, records: Iterable[WireRecord], engine: Engine | None, *,
              addresses: Mapping[Side, Address] = SIMULATED_ADDRESSES,
              epoch: float = 0.0) -> Path:
    """The usual export: the wire records of a run of ``engine``'s rung, to ``path``."""
    return write_pcapng(path, packets_from_wire(records, addresses, epoch=epoch),
                        description=describe_interface(engine))


# -- blocks -----------------------------------------------------------------------------


def _block(kind: int, body: bytes) -> bytes:
    length = 12 + len(body)
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


def _option(code: int, value: bytes) -> bytes:
    padding = b"\0" * (-len(value) % 4)
    return struct.pack("<HH", code, len(value)) + value + padding


def _options(options: Iterable[tuple[int, bytes]]) -> bytes:
    encoded = b"".join(_option(code, value) for code, value in options)
    return encoded + struct.pack("<HH", _OPT_END, 0) if encoded else b""


def _section_header(application: str) -> bytes:
    # Section length -1: not given, readers walk the blocks.
    fixed = struct.pack("<IHHq", _BYTE_ORDER_MAGIC, 1, 0, -1)
    return _block(_SHB, fixed + _options([(_SHB_USERAPPL, application.encode())]))


def _interface(description: str) -> bytes:
    fixed = struct.pack("<HHI", LINKTYPE_RAW, 0, 0)  # snaplen 0: no limit
    options = [(_IF_NAME, b"labchat"), (_IF_DESCRIPTION, description.encode())]
    return _block(_IDB, fixed + _options(options))


def _enhanced_packet(packet: Packet, number: int) -> bytes:
    data = _ipv4_udp(packet, identification=number & 0xFFFF)
    # Default resolution: microseconds, split in two 32-bit halves.
    micros = round(packet.at * 1_000_000)
    fixed = struct.pack("<IIIII", 0, micros >> 32, micros & 0xFFFFFFFF, len(data), len(data))
    options: list[tuple[int, bytes]] = []
    if packet.comment:
        options.append((_OPT_COMMENT, packet.comment.encode("utf-8")))
    if packet.outbound is not None:
        flags = _FLAG_OUTBOUND if packet.outbound else _FLAG_INBOUND
        options.append((_EPB_FLAGS, struct.pack("<I", flags)))
    padding = b"\0" * (-len(data) % 4)
    return _block(_EPB, fixed + data + padding + _options(options))


def _ipv4_udp(packet: Packet, *, identification: int) -> bytes:
    # A datagram longer than IPv4 can carry is cut to fit (the relay forwards
    # anything it receives); labchat's own datagrams are at most 1024 bytes.
    payload = packet.payload[:_MAX_UDP_PAYLOAD]
    source = ipaddress.IPv4Address(packet.source[0]).packed
    destination = ipaddress.IPv4Address(packet.destination[0]).packed
    udp_length = _UDP_HEADER + len(payload)
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, _IP_HEADER + udp_length, identification,
                         0, _TTL, _UDP, 0, source, destination)
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    pseudo = source + destination + struct.pack("!BBH", 0, _UDP, udp_length)
    udp = struct.pack("!HHHH", packet.source[1], packet.destination[1], udp_length, 0)
    udp_sum = _checksum(pseudo + udp + payload) or 0xFFFF  # 0 would mean "none"
    return header + udp[:6] + struct.pack("!H", udp_sum) + payload


def _checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071): one's complement of the one's complement sum."""
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF

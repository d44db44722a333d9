"""Sessions and an optional MAC around any ladder rung: restarts noticed, forgeries refused.

``Enveloped`` is a sans-IO decorator: it wraps a rung's engine, prefixes
every datagram the rung sends with a short header, and checks that header on
every datagram before the rung sees it. The rung itself is unchanged, so
the same envelope serves repaired, stop-and-wait, Go-Back-N and Selective
Repeat. The report's rung is never wrapped: its wire must stay exactly the
report's, for interoperation with the report's own client.

Wire format (ASCII header, then the rung's own datagram)::

    @<from>/<to> <rung's datagram>                 without a secret
    @<from>/<to>/<n>#<mac> <rung's datagram>       with a shared secret
    @<from>/<to>                                   an announcement (nothing inside)

``<from>`` is the sender's session identifier and ``<to>`` the receiver's
as the sender last heard it (``-`` before it has heard any), each 8 hex
digits. Example: ``@1f2e3d4c/- D 0 - hello``, answered ``@9a8b7c6d/1f2e3d4c A 0``.

Restarts. Each side draws a random 32-bit session identifier when it starts
(the driver draws it: engines hold no randomness), as each QUIC endpoint
chooses its connection ID, and as TCP's SYN carries a fresh initial sequence
number. A full handshake (TCP's three-way SYN) would cost a round trip
before the first message and a timer of its own on the repaired rung, which
has none; echoing the partner's identifier in every datagram gives the same
two facts without one:

* a datagram ``from`` an identifier other than the partner's known one means
  the partner started afresh: a ``peer_restarted`` event, the rung's state is
  replaced by a fresh one (so receive state starts again at 0), and this
  side's unacknowledged messages are sent again, renumbered, in the new
  session. The old identifier is retired: a late datagram of the old session
  is rejected instead of being read as yet another restart.
* a datagram whose ``to`` is not this side's identifier was meant for an
  earlier life of this side: its numbers and acks refer to state this side no
  longer has, so it is rejected (never acknowledged as if delivered) and
  answered with an announcement, from which the partner learns of the
  restart even if this side has nothing to say.

Across a restart delivery is at least once: a message the old partner got
but did not acknowledge is sent again to the new one (as TCP, which cannot
know either).

Authentication (optional). With a shared secret every datagram carries a
packet number ``<n>`` (from 0 in each session) and ``<mac>``: the first 16
bytes (32 hex digits) of HMAC-SHA256 keyed with the secret over the whole
datagram with the ``#<mac>`` field removed. A datagram whose MAC does not
verify is rejected (``hmac.compare_digest``), so forged text, acks and skip
marks are refused; a packet number seen before, or older than
``REPLAY_WINDOW`` numbers behind the newest, is rejected as a replay (the
sliding bitmap of IPsec, RFC 4303 section 3.4.3). 128 bits of MAC are the
truncation RFC 4868 and TLS 1.2 use for HMAC-SHA256 (128 and 96 bits).

A partner without the envelope (a student's engine, an older labchat)
speaks the bare rung. Without a secret, the first bare datagram the rung
accepts switches this side to the bare rung too, for good: the two then talk
as before, and restarts go unnoticed (a ``bare partner`` in the snapshot).
With a secret a bare datagram is rejected like any unsigned one.

What the envelope does not do: it does not hide the text (no encryption);
it cannot stop an on-path attacker from dropping, delaying or reordering
datagrams (the rung's timers and give-ups handle those visibly); without a
secret anyone who can send from the partner's address can also forge the
header. With a secret, a recording of a side's first datagrams, made before
its partner ever answered (``<to>`` is ``-``), can be replayed once to a
partner that restarted since.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import ClassVar, cast

from labchat import voice
from labchat.errors import RemoteProtocolError
from labchat.events import DatagramRejected, PeerRestarted, preview_of
from labchat.protocols.base import Engine, Outgoing

#: Bytes of HMAC-SHA256 kept on the wire (32 hex digits).
MAC_BYTES = 16
#: Packet numbers this far behind the newest are refused as possible replays.
REPLAY_WINDOW = 1024
#: Retired partner sessions remembered, so a late datagram of one is refused.
RETIRED_SESSIONS = 16
#: Session identifiers are 32 bits, written as 8 hex digits.
SESSION_BITS = 32
#: The longest header: ``@`` 8 ``/`` 8 ``/`` 20 digits ``#`` 32 hex and a space.
HEADER_ROOM = 1 + 8 + 1 + 8 + 1 + 20 + 1 + 2 * MAC_BYTES + 1
#: Keeps a MAC of labchat's from ever verifying as a MAC of anything else.
_MAC_CONTEXT = b"labchat-envelope-v1\0"

_HEADER = re.compile(
    rb"@(?P<from>[0-9a-f]{8})/(?P<to>[0-9a-f]{8}|-)"
    rb"(?:/(?P<n>0|[1-9][0-9]{0,19})#(?P<mac>[0-9a-f]{32}))?(?: (?P<inner>.*))?",
    re.DOTALL,
)


def session_text(session: int) -> str:
    return f"{session:08x}"


@dataclass(frozen=True)
class Header:
    """One parsed envelope: who sent it, to whom, and what it carries."""

    sender: str
    to: str | None
    number: int | None  # packet number, only with a MAC
    mac: bytes | None
    inner: bytes | None  # None: an announcement
    signed_part: bytes  # the datagram without ``#<mac>``: what the MAC covers


def parse(payload: bytes) -> Header:
    """Split an envelope; anything malformed raises ``RemoteProtocolError``."""
    match = _HEADER.fullmatch(payload)
    if match is None:
        raise RemoteProtocolError(voice.error("envelope_shape"))
    to = match["to"].decode("ascii")
    number = None if match["n"] is None else int(match["n"])
    mac = None if match["mac"] is None else bytes.fromhex(match["mac"].decode("ascii"))
    signed = payload
    if mac is not None:  # the MAC covers everything but its own field
        signed = payload[:match.start("mac") - 1] + payload[match.end("mac"):]
    return Header(match["from"].decode("ascii"), None if to == "-" else to, number, mac,
                  match["inner"], signed)


def mac_of(secret: bytes, signed_part: bytes) -> bytes:
    """The truncated HMAC-SHA256 of a datagram (its ``#<mac>`` field removed)."""
    return hmac.new(secret, _MAC_CONTEXT + signed_part, hashlib.sha256).digest()[:MAC_BYTES]


class ReplayWindow:
    """Packet numbers of one partner session already accepted (a sliding bitmap)."""

    def __init__(self) -> None:
        self.newest = -1
        self._seen = 0  # bit i: packet number newest - i was accepted

    def check(self, number: int) -> None:
        """Raise ``RemoteProtocolError`` for a number seen before or too old."""
        behind = self.newest - number
        if behind >= REPLAY_WINDOW:
            raise RemoteProtocolError(voice.error("replay_too_old", number=number,
                                                  window=REPLAY_WINDOW, newest=self.newest))
        if behind >= 0 and self._seen >> behind & 1:
            raise RemoteProtocolError(voice.error("replay", number=number))

    def accept(self, number: int) -> None:
        behind = self.newest - number
        if behind < 0:
            self._seen = (self._seen << -behind | 1) & ((1 << REPLAY_WINDOW) - 1)
            self.newest = number
        else:
            self._seen |= 1 << behind


class Enveloped(Engine):
    """A rung's engine inside the envelope; made by ``envelope_class(protocol)``."""

    inner_class: ClassVar[type[Engine]]

    def __init__(self, *, session: int, secret: bytes | None = None,
                 **settings: object) -> None:
        """Wrap a fresh ``inner_class(**settings)``; ``session`` is this side's identifier."""
        super().__init__(**settings)
        if not 0 <= session < 1 << SESSION_BITS:
            raise ValueError(voice.error("session_bits", bits=SESSION_BITS, session=session))
        if secret is not None and not secret:
            raise ValueError(voice.error("empty_secret"))
        self._settings_given = dict(settings)
        self.inner = self.inner_class(**settings)
        self.session = session_text(session)
        self.secret = secret
        self.partner: str | None = None
        self._retired: deque[str] = deque(maxlen=RETIRED_SESSIONS)
        self._replay = ReplayWindow()
        self._numbered = 0  # packet numbers used by this session
        self.restarts = 0
        self.bare_partner = False  # the partner speaks the bare rung: so do we

    # -- the rung's interface, forwarded ---------------------------------------------

    @property
    def max_datagram(self) -> int:
        return self.inner.max_datagram + HEADER_ROOM

    def send_message(self, text: str, now: float) -> None:
        try:
            self.inner.send_message(text, now)
        finally:
            self._drain()

    def handle_timer(self, now: float) -> None:
        self.inner.handle_timer(now)
        self._drain()

    def next_deadline(self) -> float | None:
        return self.inner.next_deadline()

    def unfinished_texts(self) -> list[str]:
        return self.inner.unfinished_texts()

    def unfinished(self) -> int:
        return self.inner.unfinished()

    def queued(self) -> int:
        return self.inner.queued()

    def snapshot(self) -> Mapping[str, object]:
        return {**self.inner.snapshot(), "session": self.session,
                voice.STATE_NAMES["partner session"]: self.partner or "-",
                voice.STATE_NAMES["partner restarts"]: self.restarts,
                voice.STATE_NAMES["bare partner"]: self.bare_partner}

    @classmethod
    def _describe(cls, payload: bytes) -> Outgoing:
        header = parse(payload)
        if header.inner is None:
            return Outgoing(payload, "ack", None, f"session {header.sender}")
        inner = cls.inner_class.describe(header.inner)
        return Outgoing(payload, inner.kind, inner.seq, inner.label)

    # -- receiving -------------------------------------------------------------------

    def _handle_datagram(self, data: bytes, now: float) -> None:
        if self.secret is None and not data.startswith(b"@"):
            self._bare(data, now)
            return
        header = parse(data)
        self._authenticate(header)
        if header.sender in self._retired:
            raise RemoteProtocolError(voice.error("retired_session", session=header.sender))
        if header.to is not None and header.to != self.session:
            self._stale_for_us(header, now)
            return
        if self.partner is None:
            self.partner = header.sender
        elif header.sender != self.partner:
            self._partner_restarted(header.sender, now)
        if header.number is not None:
            self._replay.accept(header.number)
        if header.inner is not None:
            self.inner.receive_datagram(header.inner, now, batch=self._in_batch)
        self._drain()

    def end_of_batch(self, now: float) -> None:
        self.inner.end_of_batch(now)
        self._drain()

    def _bare(self, data: bytes, now: float) -> None:
        """A datagram without an envelope: the rung's to judge; if it accepts, go bare."""
        self._drain()
        self.inner.receive_datagram(data, now, batch=self._in_batch)
        events = self.inner.pop_events()
        if not any(isinstance(event, DatagramRejected) for event in events):
            self.bare_partner = True
        for event in events:
            self._emit(event)
        self._drain()

    def _authenticate(self, header: Header) -> None:
        if self.secret is None:
            if header.mac is not None:
                raise RemoteProtocolError(voice.error("signed_without_secret"))
            return
        if header.mac is None or header.number is None:
            raise RemoteProtocolError(voice.error("unsigned"))
        if not hmac.compare_digest(header.mac, mac_of(self.secret, header.signed_part)):
            raise RemoteProtocolError(voice.error("bad_mac"))
        if header.sender == self.partner:
            self._replay.check(header.number)

    def _stale_for_us(self, header: Header, now: float) -> None:
        # Meant for an earlier life of this side: reject it, and tell the
        # partner who is here now (an announcement, smaller than what came).
        if self.partner is None:
            self.partner = header.sender
            if header.number is not None:
                self._replay.accept(header.number)
        self._emit(DatagramRejected(
            at=now, reason=voice.error("stale_session", to=header.to, session=self.session),
            size=len(header.signed_part), preview=preview_of(header.inner or b"")))
        self._send(Outgoing(b"", "ack", None, f"session {self.session}"))

    def _partner_restarted(self, session: str, now: float) -> None:
        previous = self.partner or "-"
        self._drain()
        unfinished = self.inner.unfinished_texts()
        self._retired.append(previous)
        self.partner = session
        self._replay = ReplayWindow()
        self.restarts += 1
        self.inner = self.inner_class(**self._settings_given)
        self._emit(PeerRestarted(at=now, session=session, previous=previous,
                                 resent=len(unfinished)))
        for text in unfinished:
            self.inner.send_message(text, now)
        self._drain()

    # -- sending ---------------------------------------------------------------------

    def _drain(self) -> None:
        for event in self.inner.pop_events():
            self._emit(event)
        for datagram in self.inner.pop_datagrams():
            self._send(datagram)

    def _send(self, datagram: Outgoing) -> None:
        if self.bare_partner:
            if datagram.payload:  # an announcement means nothing to a bare partner
                self._queue(datagram)
            return
        head = f"@{self.session}/{self.partner or '-'}".encode("ascii")
        inner = b" " + datagram.payload if datagram.payload else b""
        if self.secret is not None:
            head += f"/{self._numbered}".encode("ascii")
            self._numbered += 1
            mac = mac_of(self.secret, head + inner).hex().encode("ascii")
            payload = head + b"#" + mac + inner
        else:
            payload = head + inner
        self._queue(Outgoing(payload, datagram.kind, datagram.seq, datagram.label))


@cache
def envelope_class(inner: type[Engine]) -> type[Enveloped]:
    """``Enveloped`` for one rung: same protocol name and settings, enveloped wire."""
    if not inner.enveloped:
        raise ValueError(voice.error("no_envelope", protocol=inner.protocol))
    made = type(f"Enveloped{inner.__name__}", (Enveloped,),
                {"inner_class": inner, "protocol": inner.protocol, "Settings": inner.Settings,
                 "__doc__": f"{inner.protocol} inside the session envelope."})
    return cast(type[Enveloped], made)

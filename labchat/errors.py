"""The two kinds of failure in labchat, in the style of h11 and wsproto.

*Local* errors mean the caller misused the API (a message too long to send, a
command a protocol does not have): they are raised at once and leave the
engine's state unchanged. *Remote* errors mean the network handed us bytes we
cannot accept: engines catch them and report a ``DatagramRejected`` event, so
nothing a peer sends can ever raise out of an engine or kill a thread.
"""

from __future__ import annotations

from labchat import voice


class LabchatError(Exception):
    """Base class of every error labchat raises on purpose."""


class LocalProtocolError(LabchatError):
    """The caller asked for something the protocol cannot do; nothing changed."""


class MessageTooLong(LocalProtocolError, ValueError):
    """A message whose datagram would not fit in the receiver's buffer.

    The report's client reads with ``recv(1024)`` and silently cuts anything
    longer; labchat refuses at send time instead and says by how much.
    """

    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(voice.error("too_long", size=size, limit=limit))


class UnencodableText(LocalProtocolError, ValueError):
    """Text that has no UTF-8 form (lone surrogates), so it cannot be sent."""


class UnsupportedCommand(LocalProtocolError):
    """A command that this protocol rung does not offer (e.g. force a mismatch)."""


class RemoteProtocolError(LabchatError):
    """A datagram from the network that does not parse; the reason says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)

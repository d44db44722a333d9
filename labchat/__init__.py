"""labchat: a lab on getting messages through an unreliable network.

It starts from a student's two-person UDP chat (each datagram carries how many
messages its sender has received; a mismatch resends everything) and climbs
to stop-and-wait, Go-Back-N and Selective Repeat. The protocol engines are
pure state machines (``labchat.protocols``); ``labchat.transport`` runs them on
real UDP sockets; the lab's widgets and charts only render their events.
"""

from labchat.protocols import PROTOCOLS, create_engine
from labchat.registry import close_all
from labchat.transport import UdpPeer, wait_until

__version__ = "0.1.0"

__all__ = ["PROTOCOLS", "UdpPeer", "close_all", "create_engine", "wait_until"]

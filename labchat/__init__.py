"""labchat: a lab on getting messages through an unreliable network.

It starts from a student's two-person UDP chat (each datagram carries how many
messages its sender has received; a mismatch resends everything) and climbs
to stop-and-wait, Go-Back-N and Selective Repeat.

The folders are the architecture:

* ``labchat.protocols``, ``labchat.sim`` and the modules beside this one
  (``events``, ``errors``, ``trace``) are pure: a virtual clock, no sockets,
  no threads, no widgets. They run anywhere Python runs, a browser included.
* ``labchat.udp`` is the only place with sockets and threads.
* ``labchat.notebook`` draws: the chat lab, the step-through, charts, plots.
* ``labchat.commands`` is ``python -m labchat``.

``labchat.set_language("fa")`` (or ``LABCHAT_LANG=fa`` in the environment, or
``--lang fa`` on the command line) makes every view speak Persian.

Importing ``labchat`` loads the pure core only; ``UdpPeer``, ``close_all`` and
``wait_until`` are still reachable from here and load ``labchat.udp`` on first
use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from labchat.protocols import PROTOCOLS, create_engine
from labchat.voice import set_language

if TYPE_CHECKING:
    from labchat.udp.peer import UdpPeer, wait_until
    from labchat.udp.registry import close_all

__version__ = "0.1.0"

__all__ = ["PROTOCOLS", "UdpPeer", "close_all", "create_engine", "set_language", "wait_until"]

# Names that live in the socket/thread layer: imported when first asked for,
# so that ``import labchat`` stays free of ``socket`` and ``threading``.
_LAZY = {
    "UdpPeer": "labchat.udp.peer",
    "wait_until": "labchat.udp.peer",
    "close_all": "labchat.udp.registry",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'labchat' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

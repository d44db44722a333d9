"""The report's own test of its resend rule: a command only a rung with a count has.

The report tested its resend-everything rule by editing the comparison;
labchat offers the same as a command, ``force_mismatch``, which puts a wrong
count on the next datagram. Only the report's rung has such a count, so the
capability lives here and on that rung, not on every engine: drivers call
``force_mismatch(engine, now)``, which refuses other rungs with the same local
error, and views ask ``can_force_mismatch`` to grey their buttons.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from labchat import voice
from labchat.errors import UnsupportedCommand
from labchat.protocols.base import Engine


class CountFalsifying(ABC):
    """A rung whose next datagram can be made to carry a wrong count."""

    @abstractmethod
    def force_mismatch(self, now: float) -> None:
        """Make the next datagram carry a count the peer will find wrong."""


def can_force_mismatch(engine: Engine | type[Engine]) -> bool:
    """Whether ``force_mismatch`` works on this engine (or engine class)."""
    engine_class = engine if isinstance(engine, type) else type(engine)
    return issubclass(engine_class, CountFalsifying)


def force_mismatch(engine: Engine, now: float) -> None:
    """Falsify ``engine``'s next count, or raise ``UnsupportedCommand`` for other rungs."""
    if not isinstance(engine, CountFalsifying):
        raise UnsupportedCommand(voice.label("no_count_to_falsify",
                                              protocol=voice.shown(engine.protocol)))
    engine.force_mismatch(now)

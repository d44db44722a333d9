"""The soak and the flood of ``make soak``, at a size fit for ``make test``.

The full run (20,000 messages each way, 20-second floods) is ``make soak``;
here the same checks run smaller: exactly once and in order through a relay
that loses, duplicates and reorders, and a chat (the CLI, and the chat lab
drawing as it goes) that keeps talking, and shows a handful of lines, under
a garbage flood.
"""

from __future__ import annotations

import pytest

from tests.soak import RUNGS, chat_flood, lab_flood, relay_soak


@pytest.mark.parametrize("protocol", list(RUNGS))
def test_a_bad_relay_delivers_every_message_once_in_order(protocol: str) -> None:
    soak = relay_soak(protocol, 600, timeout=120)
    assert soak.messages == 600
    assert soak.datagrams > 2 * 600  # both ways, and the network's copies


@pytest.mark.parametrize("into_engine", [False, True], ids=["stranger", "accepted"])
def test_a_flooded_chat_keeps_talking_and_prints_a_handful_of_lines(into_engine: bool) -> None:
    flood = chat_flood(3.0, into_engine=into_engine)
    assert flood.sent > 1000
    assert flood.conversation >= 10
    assert flood.printed_lines < 4 * flood.conversation + 50


@pytest.mark.parametrize("into_engine", [False, True], ids=["stranger", "accepted"])
def test_a_flooded_chat_lab_keeps_talking_and_sums_the_flood_up(into_engine: bool) -> None:
    flood = lab_flood(3.0, into_engine=into_engine)
    assert flood.sent > 1000
    assert flood.conversation >= 10  # every one delivered in order, or lab_flood raised
    assert flood.summaries >= 1  # "... more datagrams from 127.0.0.1 ..." on B's panel
    assert flood.lines < 4 * flood.conversation + 50

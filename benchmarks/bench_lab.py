"""The chat lab (two peers, a relay, the widgets) against what it draws on.

* Send to text in the other panel, against the moment B's peer delivered the
  message (the lab can show nothing sooner), at message 1 and after N
  messages; the median of the per-message ratios;
* ``chart_svg`` after N messages against the same call after a few: the
  chart draws the last ``CHART_LAST`` arrows either way;
* memory per message of the lab against two bare peers carrying the same
  messages (``tracemalloc``: what Python allocated and still holds);
* widgets still alive after ``close()`` (ipywidgets keeps every open one).
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable

import ipywidgets.widgets.widget as widget_module

from benchmarks.timing import Figure, median_of
from labchat.notebook.lab import ChatLab
from labchat.protocols import create_engine
from labchat.udp.peer import UdpPeer

TIMEOUT = 30.0
PROTOCOL = "selective-repeat"


def _until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> float:
    """Seconds until ``condition()`` holds, polled as tightly as the machine allows."""
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise RuntimeError("the lab did not show the message in time")
        time.sleep(0.0002)
    return time.perf_counter() - start


def _send_ratio(lab: ChatLab, first: int, count: int) -> float:
    """Median over ``count`` messages of (seen in B's panel) / (delivered by B's peer)."""
    ratios = []
    for i in range(first, first + count):
        text = f"probe-{i}-"
        start = time.perf_counter()
        lab.send("A", text)
        _until(lambda: lab.b.count("delivered") > i)  # noqa: B023 - called at once
        delivered = time.perf_counter() - start
        _until(lambda: text in lab.panel("B").messages.value)  # noqa: B023 - called at once
        shown = time.perf_counter() - start
        ratios.append(shown / delivered)
    return statistics.median(ratios)


def _fill(lab: ChatLab, upto: int) -> None:
    """Send until B's peer has delivered ``upto`` messages in all."""
    have = lab.b.count("delivered")
    for i in range(have, upto):
        lab.send("A", f"fill {i}")
        if i % 200 == 199:
            lab.b.wait_for_events("delivered", i + 1, TIMEOUT)
    lab.b.wait_for_events("delivered", upto, TIMEOUT)
    lab.wait_until_quiet(TIMEOUT)


def lab_figures(history: int, probes: int) -> list[Figure]:
    figures = []
    alive_before = len(widget_module._instances)
    tracemalloc.start()
    lab = ChatLab(PROTOCOL)
    try:
        early = _send_ratio(lab, 0, probes)
        chart_small = median_of(lambda: _timed(lab.chart_svg), 5)
        before = tracemalloc.get_traced_memory()[0]
        _fill(lab, probes + history)
        lab_bytes = (tracemalloc.get_traced_memory()[0] - before) / history
        late = _send_ratio(lab, probes + history, probes)
        chart_large = median_of(lambda: _timed(lab.chart_svg), 5)
    finally:
        lab.close()
    tracemalloc.stop()
    alive_after = len(widget_module._instances) - alive_before
    peer_bytes = _bare_peer_bytes(history)
    figures.append(Figure("chat lab, Send to the text in the other panel / peer-level delivery, "
                          "message 1", f"{early:.2f}x", "at most 2x", early <= 2))
    figures.append(Figure(f"chat lab, the same at message {history:,}", f"{late:.2f}x",
                          "at most 2x", late <= 2))
    chart = chart_large / chart_small
    figures.append(Figure(f"chart_svg at {history:,} messages / at {probes}", f"{chart:.2f}x",
                          "at most 1.5x", chart <= 1.5,
                          f"{chart_large * 1e3:.1f} ms vs {chart_small * 1e3:.1f} ms"))
    memory = lab_bytes / peer_bytes
    figures.append(Figure("lab memory per message / two bare peers", f"{memory:.2f}x",
                          "at most 1.5x", memory <= 1.5,
                          f"{lab_bytes:,.0f} B vs {peer_bytes:,.0f} B per message"))
    figures.append(Figure("widgets alive after ChatLab.close()", str(alive_after), "0",
                          alive_after == 0))
    return figures


def _timed(job: Callable[[], object]) -> float:
    start = time.perf_counter()
    job()
    return time.perf_counter() - start


def _bare_peer_bytes(count: int) -> float:
    tracemalloc.start()
    a = UdpPeer(create_engine(PROTOCOL), name="A")
    b = UdpPeer(create_engine(PROTOCOL), name="B")
    try:
        a.connect(b.address)
        b.connect(a.address)
        before = tracemalloc.get_traced_memory()[0]
        for i in range(count):
            a.send(f"fill {i}")
            if i % 200 == 199:
                b.wait_for_events("delivered", i + 1, TIMEOUT)
        b.wait_for_events("delivered", count, TIMEOUT)
        a.wait_for(lambda: a.engine.unfinished() == 0, TIMEOUT)
        return (tracemalloc.get_traced_memory()[0] - before) / count
    finally:
        a.close()
        b.close()
        tracemalloc.stop()


def figures(quick: bool = False) -> list[Figure]:
    return lab_figures(20 if quick else 5_000, 3 if quick else 15)

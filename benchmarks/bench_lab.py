"""The chat lab (two peers, a relay, the widgets) against what it draws on.

* Send to text in the other panel, against the moment B's peer delivered the
  message (the lab can show nothing sooner), at message 1 and after N
  messages; the median of the per-message ratios (each pair is one message,
  so subject and baseline share whatever load the machine has then). Both
  moments are polled every 0.2 ms, so 1.00x means the panel showed the
  message by the time the delivery was seen;
* ``chart_svg`` of the lab after N messages against the same drawing of a
  second conversation of a few messages with at least as many records as
  the chart draws (``CHART_LAST``): both draw the same number of arrows, warm,
  interleaved, the median of several pairs (``benchmarks.timing.ratio``);
* memory per message of the lab against two bare peers carrying the same
  messages (``tracemalloc``, on only while those messages are sent: what
  Python allocated and still holds; it slows allocation, so no timing is
  taken while it runs);
* widgets still alive after ``close()`` (ipywidgets keeps every open one).
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable

import ipywidgets.widgets.widget as widget_module

from benchmarks.timing import Figure, ratio
from labchat.notebook.lab import CHART_LAST, ChatLab
from labchat.notebook.lab_model import HISTORY, LabModel
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


def _short_conversation(lab: ChatLab) -> LabModel:
    """A second conversation (no widgets) just long enough to fill a chart."""
    model = LabModel(PROTOCOL, names=lab.names)
    try:
        sent = 0
        while len(model.records()) < CHART_LAST:
            model.send("A", f"fill {sent}")
            sent += 1
            if not model.wait_until_quiet(TIMEOUT):
                raise RuntimeError("the short conversation did not settle")
    except BaseException:
        model.close()
        raise
    return model


def lab_figures(history: int, probes: int, repeats: int) -> list[Figure]:
    figures = []
    alive_before = len(widget_module._instances)
    lab = ChatLab(PROTOCOL)
    try:
        early = _send_ratio(lab, 0, probes)
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        _fill(lab, probes + history)
        lab_bytes = (tracemalloc.get_traced_memory()[0] - before) / history
        tracemalloc.stop()
        kept = len(lab.records())
        late = _send_ratio(lab, probes + history, probes)
        short = _short_conversation(lab)
        try:
            # The same drawing, the same number of arrows; only the history differs.
            chart = ratio(lab.chart_svg,
                          lambda: lab._chart_of(short.state(records=CHART_LAST), CHART_LAST),
                          repeats=repeats)
            short_records = len(short.records())
        finally:
            short.close()
    finally:
        lab.close()
    alive_after = len(widget_module._instances) - alive_before
    peer_bytes = _bare_peer_bytes(history)
    figures.append(Figure("chat lab, Send to the text in the other panel / peer-level delivery, "
                          "message 1", f"{early:.2f}x", "at most 2x", early <= 2,
                          f"median of {probes} messages"))
    figures.append(Figure(f"chat lab, the same at message {history:,}", f"{late:.2f}x",
                          "at most 2x", late <= 2, f"median of {probes} messages"))
    figures.append(Figure(f"chart_svg at {history:,} messages / at {short_records} records "
                          f"(both draw {CHART_LAST} arrows)", f"{chart.ratio:.2f}x",
                          "at most 1.5x", chart.ratio <= 1.5,
                          f"{chart.subject * 1e3:.1f} ms vs {chart.baseline * 1e3:.1f} ms"))
    memory = lab_bytes / peer_bytes
    figures.append(Figure(f"lab memory per message / two bare peers, over {history:,} messages",
                          f"{memory:.2f}x", "at most 1.5x", memory <= 1.5,
                          f"{lab_bytes:,.0f} B vs {peer_bytes:,.0f} B per message; the lab "
                          f"holds {kept:,} records (its bound: {HISTORY:,})"))
    figures.append(Figure("widgets alive after ChatLab.close()", str(alive_after), "0",
                          alive_after == 0))
    return figures


def _bare_peer_bytes(count: int) -> float:
    a = UdpPeer(create_engine(PROTOCOL), name="A")
    b = UdpPeer(create_engine(PROTOCOL), name="B")
    try:
        a.connect(b.address)
        b.connect(a.address)
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(count):
            a.send(f"fill {i}")
            if i % 200 == 199:
                b.wait_for_events("delivered", i + 1, TIMEOUT)
        b.wait_for_events("delivered", count, TIMEOUT)
        a.wait_for(lambda: a.engine.unfinished() == 0, TIMEOUT)
        return (tracemalloc.get_traced_memory()[0] - before) / count
    finally:
        tracemalloc.stop()
        a.close()
        b.close()


def figures(quick: bool = False) -> list[Figure]:
    return lab_figures(20 if quick else 5_000, 3 if quick else 15, 1 if quick else 7)

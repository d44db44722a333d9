"""Plots and tables of simulator sweeps, against the textbook expectation.

This module owns the *expected* cost of each rung under random loss (stated
once, in ``expected_overhead``), the matplotlib figures that set measured
``Stats`` beside it, the plain-text table a notebook prints (what nbval
compares: numbers, not pixels) and the progress bar for long sweeps. It runs
no simulation itself and knows nothing of engines' internals.

Figures are ``matplotlib.figure.Figure`` objects built without pyplot, so no
global figure state leaks between cells or tests, and any backend (Agg in
tests, inline in Jupyter) can render them. nbval 0.11 skips ``image/png`` when
it compares outputs and keeps the ``text/plain`` repr ("<Figure size ... with
2 Axes>"), which is deterministic; the numbers go in the table.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, TypeVar

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure

from labchat import voice
from labchat.events import Event, MessageDelivered
from labchat.protocols.arq import DEFAULT_WINDOW as GO_BACK_N_WINDOW
from labchat.sim.experiments import (
    Interval,
    LinkRun,
    pipelined_utilization,
    spread,
    utilization_spread,
)
from labchat.trace import Side

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from labchat.sim.simulator import Stats


class RanNetwork(Protocol):
    """What ``counts_table`` reads of a network that has run (virtual or manual)."""

    @property
    def sent_by_kind(self) -> Mapping[str, int]: ...
    @property
    def events(self) -> Mapping[Side, Sequence[Event]]: ...
    @property
    def now(self) -> float: ...


#: Rungs with a textbook formula (Go-Back-N's also needs its window, by
#: default the engine's own).
FORMULA_PROTOCOLS = ("stop-and-wait", "go-back-n", "selective-repeat")

_MARKERS = ("o", "s", "^", "D", "v", "P")


def expected_overhead(protocol: str, loss: float, *, window: int = GO_BACK_N_WINDOW,
                      lossy_acks: bool = True) -> float | None:
    """Expected data datagrams sent per delivered message, or None if no formula.

    Assumptions (the textbook's, not always the simulator's): each datagram is
    lost independently with probability ``p = loss``; retries never run out;
    timers never fire early; messages flow one way (A to B) and ACKs the other.

    * stop-and-wait and Selective Repeat resend one message until *its* ACK
      comes back. An attempt succeeds when the data and its ACK both arrive,
      with probability ``(1-p)^2``, so the number of attempts is geometric with
      mean ``1/(1-p)^2``; if ACKs were never lost (``lossy_acks=False``) it is
      ``1/(1-p)``.
    * Go-Back-N (Stallings' analysis): a loss costs the lost frame and the
      ``N-1`` sent after it, ``N`` frames in all, so a message costs
      ``(1 - p + N p) / (1 - p)`` transmissions. ACKs are cumulative: a lost ACK
      is covered by the next one, so the formula counts data loss only. It
      overestimates when fewer than ``N`` messages are outstanding (the end of
      a run, or a slow sender).
    * ``report`` and the bridge rung have no textbook formula: None.
    """
    if not 0.0 <= loss < 1.0:
        raise ValueError(voice.error("plot_loss", value=loss))
    if window < 1:
        raise ValueError(voice.error("plot_window", value=window))
    p = loss
    if protocol in ("stop-and-wait", "selective-repeat"):
        return 1.0 / ((1.0 - p) ** 2 if lossy_acks else 1.0 - p)
    if protocol == "go-back-n":
        return (1.0 - p + window * p) / (1.0 - p)
    return None


P = ParamSpec("P")
R = TypeVar("R")


@functools.cache
def _register_fonts() -> None:
    for name in ("Vazirmatn-Regular.ttf", "Vazirmatn-Bold.ttf"):
        font_manager.fontManager.addfont(str(voice.FONT_DIR / name))


def in_labchat_font(build: Callable[P, R]) -> Callable[P, R]:
    """Build a figure with its titles, labels and legend in labchat's font.

    matplotlib 3.11 shapes complex scripts itself, so Persian reads joined
    and right to left with no reshaping library (arabic-reshaper and
    python-bidi would shape it a second time, wrongly); it needs only a font
    that has the letters.
    """
    @functools.wraps(build)
    def built(*args: P.args, **kwargs: P.kwargs) -> R:
        _register_fonts()
        with matplotlib.rc_context({"font.family": list(voice.FIGURE_FONTS)}):
            return build(*args, **kwargs)
    return built


@in_labchat_font
def plot_overhead(stats: Sequence[Stats], *, window: int = GO_BACK_N_WINDOW) -> Figure:
    """Data datagrams per delivered message vs loss: measured points, expected lines.

    ``stats`` is what ``labchat.sim.sweep`` returns. ``window`` is Go-Back-N's
    window in that sweep, for its formula. A run that delivered nothing has
    no overhead and no point.
    """
    figure = Figure(figsize=(7.0, 4.2), layout="constrained")
    axes = figure.add_subplot()
    for index, (protocol, rows) in enumerate(_group(stats).items()):
        colour = f"C{index}"
        measured = [(row.loss, row.overhead) for row in rows if row.overhead is not None]
        axes.plot([x for x, _ in measured], [y for _, y in measured],
                  _MARKERS[index % len(_MARKERS)], color=colour,
                  label=voice.label("measured", protocol=protocol))
        expected = [(row.loss, expected_overhead(protocol, row.loss, window=window))
                    for row in rows]
        lines = [(x, y) for x, y in expected if y is not None]
        if lines:
            axes.plot([x for x, _ in lines], [y for _, y in lines], "--", color=colour,
                      label=voice.label("expected", protocol=protocol))
    _label(axes, "loss_axis", "overhead_axis", "overhead_title")
    return figure



def _label(axes: Axes, x: str, y: str, title: str, *, log_scale: bool = False) -> None:
    """Name a plot's axes and title through the voice, with the grid and legend every plot has.

    ``log_scale``: grid lines at the minor ticks too, which a log axis needs to be read.
    """
    axes.set_xlabel(voice.label(x))
    axes.set_ylabel(voice.label(y))
    axes.set_title(voice.label(title))
    axes.grid(True, which="both" if log_scale else "major", alpha=0.3)
    axes.legend(fontsize="small")

def _offsets(protocols: Sequence[str], step: float) -> dict[str, float]:
    """A small sideways shift per protocol, so that points at the same x do not hide."""
    middle = (len(protocols) - 1) / 2
    return {protocol: (index - middle) * step for index, protocol in enumerate(protocols)}


def _bars(intervals: Sequence[Interval]) -> list[list[float]]:
    """Matplotlib's error bars: the distances below and above each mean."""
    return [[i.mean - i.low for i in intervals], [i.high - i.mean for i in intervals]]


@in_labchat_font
def plot_overhead_spread(runs: Sequence[Stats], *, window: int = GO_BACK_N_WINDOW) -> Figure:
    """Overhead of the ARQ rungs over several seeds: mean, 95% interval bars, formula lines.

    ``runs`` is what ``labchat.sim.experiments.sweep_seeds`` returns. The
    report's rung has no formula and an overhead that hides what it lost, so it
    is left out here (``plot_goodput_spread`` shows it). Each protocol's points
    are shifted a little sideways so that equal values stay visible.
    """
    figure = Figure(figsize=(7.0, 4.2), layout="constrained")
    axes = figure.add_subplot()
    intervals = spread(runs, lambda run: run.overhead)
    protocols = [p for p in _group(runs) if expected_overhead(p, 0.0, window=window) is not None]
    shift = _offsets(protocols, 0.004)
    for index, protocol in enumerate(protocols):
        colour = f"C{index}"
        points = sorted((loss, i) for (p, loss), i in intervals.items() if p == protocol)
        xs = [loss + shift[protocol] for loss, _ in points]
        axes.errorbar(xs, [i.mean for _, i in points], yerr=_bars([i for _, i in points]),
                      fmt=_MARKERS[index % len(_MARKERS)], color=colour, capsize=3,
                      label=voice.label("measured", protocol=protocol))
        formula = [(loss, expected_overhead(protocol, loss, window=window)) for loss, _ in points]
        lines = [(x, y) for x, y in formula if y is not None]
        axes.plot([x for x, _ in lines], [y for _, y in lines], "--", color=colour,
                  label=voice.label("expected", protocol=protocol))
    _label(axes, "loss_axis", "overhead_axis", "overhead_spread_title")
    return figure


@in_labchat_font
def plot_goodput_spread(runs: Sequence[Stats]) -> Figure:
    """Goodput over several seeds, mean and 95% interval, on a log scale.

    The report's rung never waits for anything, so its goodput is hundreds of
    times the others': a log axis keeps every rung readable on one plot.
    """
    figure = Figure(figsize=(7.0, 4.2), layout="constrained")
    axes = figure.add_subplot()
    intervals = spread(runs, lambda run: run.goodput)
    protocols = list(_group(runs))
    shift = _offsets(protocols, 0.004)
    for index, protocol in enumerate(protocols):
        points = sorted((loss, i) for (p, loss), i in intervals.items() if p == protocol)
        xs = [loss + shift[protocol] for loss, _ in points]
        axes.errorbar(xs, [i.mean for _, i in points], yerr=_bars([i for _, i in points]),
                      fmt="-" + _MARKERS[index % len(_MARKERS)], color=f"C{index}", capsize=3,
                      label=protocol)
    axes.set_yscale("log")
    _label(axes, "loss_axis", "goodput_axis", "goodput_spread_title", log_scale=True)
    return figure


@in_labchat_font
def plot_recovery(timeout_only: Sequence[float], fast: Sequence[float]) -> Figure:
    """When the receiver delivered each message, recovering from one loss two ways.

    ``timeout_only`` and ``fast`` are the delivery times, in message order, of
    the same run without and with fast retransmit (K&R 3.5.4): one picture
    in which the wait for the timer is the gap between the two lines.
    """
    figure = Figure(figsize=(7.0, 4.2), layout="constrained")
    axes = figure.add_subplot()
    runs = (("timeout_only", timeout_only), ("fast_retransmit", fast))
    for index, (key, times) in enumerate(runs):
        axes.plot(range(1, len(times) + 1), times, "-" + _MARKERS[index], color=f"C{index}",
                  label=voice.label(key))
    _label(axes, "message_axis", "delivered_at_axis", "recovery_title")
    return figure


def _round_trips(runs: Sequence[LinkRun]) -> list[float]:
    """The sweep's one-way delays in order, each with its mean round trip."""
    return sorted({run.rtt for run in runs})


@in_labchat_font
def plot_utilization(runs: Sequence[LinkRun], *, transmit: float) -> Figure:
    """Sender utilisation vs window, one colour per round trip: measured and the formula.

    ``runs`` is what ``labchat.sim.experiments.sweep_utilization`` returns;
    ``transmit`` is L/R in seconds. Points: mean over the seeds with its 95%
    interval; dashed: ``pipelined_utilization`` (K&R 3.4.2-3.4.3).
    """
    figure = Figure(figsize=(7.0, 4.2), layout="constrained")
    axes = figure.add_subplot()
    intervals = utilization_spread(runs)
    rtt_of = {run.delay: run.rtt for run in runs}
    shown: set[int] = set()
    for index, rtt in enumerate(_round_trips(runs)):
        colour = f"C{index}"
        points = sorted((window, i) for (delay, window), i in intervals.items()
                        if rtt_of[delay] == rtt)
        windows = [window for window, _ in points]
        millis = f"{rtt * 1000:g}"
        axes.errorbar(windows, [i.mean for _, i in points], yerr=_bars([i for _, i in points]),
                      fmt=_MARKERS[index % len(_MARKERS)], color=colour, capsize=3,
                      label=voice.label("utilization_measured", rtt=millis))
        # The formula at every N in between too, so that its knee, where the window
        # first covers a round trip, shows where it is and not at the next point.
        dense = [windows[0] * (windows[-1] / windows[0]) ** (k / 200) for k in range(201)]
        axes.plot(dense, [pipelined_utilization(n, rtt, transmit) for n in dense], "--",
                  color=colour, label=voice.label("utilization_formula", rtt=millis))
        shown.update(windows)
    axes.set_xscale("log", base=2)
    axes.set_xticks(sorted(shown), [str(w) for w in sorted(shown)])
    axes.set_ylim(0.0, 1.05)
    _label(axes, "window_axis", "utilization_axis", "utilization_title", log_scale=True)
    return figure


def utilization_table(runs: Sequence[LinkRun], *, transmit: float) -> str:
    """Mean utilisation over the seeds ± its 95% half width, beside the formula, as text."""
    c = voice.column
    intervals = utilization_spread(runs)
    rtt_of = {run.delay: run.rtt for run in runs}
    columns = [(c("rtt"), 8, ">"), (c("window"), 6, ">"), (c("utilization"), 15, ">"),
               (c("formula"), 8, ">")]
    rows = []
    for (delay, window), measured in sorted(intervals.items()):
        rtt = rtt_of[delay]
        rows.append([f"{rtt * 1000:g}", str(window),
                     f"{measured.mean:.3f} ± {measured.half_width:.3f}",
                     f"{pipelined_utilization(window, rtt, transmit):.3f}"])
    return text_table(columns, rows)


def spread_table(runs: Sequence[Stats], *, window: int = GO_BACK_N_WINDOW) -> str:
    """Mean overhead and goodput over the seeds, each with its 95% interval, as fixed-width text."""
    c = voice.column
    overhead = spread(runs, lambda run: run.overhead)
    goodput = spread(runs, lambda run: run.goodput)
    columns = [(c("protocol"), 17, "<"), (c("loss"), 5, ">"), (c("overhead"), 15, ">"),
               (c("expected"), 8, ">"), (c("goodput"), 17, ">")]
    table = []
    for protocol, rows in _group(runs).items():
        for loss in sorted({row.loss for row in rows}):
            o, g = overhead.get((protocol, loss)), goodput.get((protocol, loss))
            expected = expected_overhead(protocol, loss, window=window)
            table.append([
                protocol, f"{loss:.2f}",
                "-" if o is None else f"{o.mean:.2f} ± {o.half_width:.2f}",
                _number(expected, 2),
                "-" if g is None else f"{g.mean:.1f} ± {g.half_width:.1f}"])
    return text_table(columns, table)


@in_labchat_font
def plot_goodput(stats: Sequence[Stats]) -> Figure:
    """Goodput (delivered messages per virtual second) vs loss, one line per protocol."""
    figure = Figure(figsize=(7.0, 4.2), layout="constrained")
    axes = figure.add_subplot()
    for index, (protocol, rows) in enumerate(_group(stats).items()):
        points = [(row.loss, row.goodput) for row in rows if row.goodput is not None]
        axes.plot([x for x, _ in points], [y for _, y in points],
                  marker=_MARKERS[index % len(_MARKERS)], color=f"C{index}", label=protocol)
    _label(axes, "loss_axis", "goodput_axis", "goodput_title")
    return figure


def sweep_table(stats: Sequence[Stats], *, window: int = GO_BACK_N_WINDOW) -> str:
    """A fixed-width text table of a sweep, with the expected overhead beside the measured.

    This is what a notebook prints for nbval to compare: deterministic for a
    seeded sweep, independent of fonts and matplotlib versions.
    """
    c = voice.column
    columns = [(c("protocol"), 17, "<"), (c("loss"), 5, ">"), (c("delivered"), 9, ">"),
               (c("gave_up"), 7, ">"), (c("data"), 6, ">"), (c("resends"), 7, ">"),
               (c("acks"), 6, ">"), (c("overhead"), 8, ">"), (c("expected"), 8, ">"),
               (c("goodput"), 8, ">")]
    table = []
    for protocol, rows in _group(stats).items():
        for row in rows:
            expected = expected_overhead(protocol, row.loss, window=window)
            table.append([
                protocol, f"{row.loss:.2f}", f"{row.delivered:>4}/{row.messages:<4}",
                str(row.gave_up), str(row.data_datagrams), str(row.resends), str(row.acks),
                _number(row.overhead, 2), _number(expected, 2), _number(row.goodput, 1)])
    return text_table(columns, table)


def _group(stats: Iterable[Stats]) -> dict[str, list[Stats]]:
    """Rows by protocol (in first-seen order), each sorted by loss rate."""
    grouped: dict[str, list[Stats]] = {}
    for row in stats:
        grouped.setdefault(row.protocol, []).append(row)
    for rows in grouped.values():
        rows.sort(key=lambda row: row.loss)
    return grouped


def _number(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def cells(text: str) -> int:
    """How many cells of a monospace font ``text`` takes: a zero-width non-joiner,
    a bidi isolate or a combining mark takes none (``len`` counts them)."""
    return sum(unicodedata.category(char) not in ("Mn", "Me", "Cf") for char in text)


#: A text table's column: its heading, its narrowest width, "<" (left) or ">" (right).
Column = tuple[str, int, str]


def text_table(columns: Sequence[Column], rows: Iterable[Sequence[str]],
               last: tuple[str, Sequence[str]] | None = None) -> str:
    """Fixed-width text: a heading line, a rule, one line per row.

    Each column is as wide as its widest cell, heading included, so a longer
    heading (a translation's) widens its column instead of pushing the others
    aside. ``last`` is a free column of (heading, one cell per row) after two
    spaces, never padded. In a right-to-left language each heading is isolated:
    a run of Persian headings would otherwise read as one right-to-left phrase
    and show the columns' headings in reverse order above left-to-right numbers.
    """
    table = [list(row) for row in rows]
    widths = [max([minimum, cells(heading), *(cells(row[i]) for row in table)])
              for i, (heading, minimum, _) in enumerate(columns)]
    isolate = voice.user_text if voice.direction() == "rtl" else str

    def line(texts: Sequence[str], tail: str | None) -> str:
        padded = []
        for text, width, (_, _, align) in zip(texts, widths, columns, strict=True):
            gap = " " * (width - cells(text))
            padded.append(text + gap if align == "<" else gap + text)
        return " ".join(padded) + ("" if tail is None else f"  {tail}")

    header = line([isolate(heading) for heading, _, _ in columns],
                  None if last is None else isolate(last[0]))
    tails: Sequence[str | None] = [None] * len(table) if last is None else last[1]
    body = [line(row, tail) for row, tail in zip(table, tails, strict=True)]
    return "\n".join([header, "-" * cells(header), *body])


def counts_table(networks: Mapping[str, RanNetwork]) -> str:
    """One line per run of the same scenario: what B delivered and what it cost.

    ``networks`` maps a label (usually the protocol) to a network that has
    run: a ``VirtualNetwork`` or a ``ManualNetwork``. Deterministic text, for
    a notebook to print side by side.
    """
    c = voice.column
    columns = [(c("protocol"), 17, "<"), (c("data"), 5, ">"), (c("resends"), 7, ">"),
               (c("acks"), 5, ">"), (c("seconds"), 8, ">")]
    rows, delivered = [], []
    for label, network in networks.items():
        sent = network.sent_by_kind
        texts = [str(e.to_dict()["text"]) for e in network.events["B"]
                 if isinstance(e, MessageDelivered)]
        rows.append([label, str(sent["data"] + sent["resend"]), str(sent["resend"]),
                     str(sent["ack"]), f"{network.now:.3f}"])
        delivered.append(" ".join(map(voice.user_text, texts)))
    return text_table(columns, rows, (voice.label("delivered_by_b"), delivered))


def progress_bar(total: int, description: str | None = None) -> tuple[Any, Callable[..., None]]:
    """An ``ipywidgets.IntProgress`` and a callback for ``sweep(progress=...)``.

    The sweep runs on the kernel's main thread and calls the callback between
    runs, so setting the bar's ``value`` trait there is safe: a trait update
    goes to the browser as a comm message, never into whichever cell is running.
    Display the bar before starting the sweep.
    """
    import ipywidgets  # imported here: plots and tables work without a kernel

    from labchat.notebook.ui import close_tree, closed_on_rerun

    bar = ipywidgets.IntProgress(value=0, min=0, max=max(total, 1),
                                 description=description or voice.label("sweep"))
    bar.add_class("labchat-progress")
    closed_on_rerun(functools.partial(close_tree, bar))  # re-running the cell closes it

    def update(done: int, *_: object) -> None:
        bar.value = min(done, bar.max)

    return bar, update

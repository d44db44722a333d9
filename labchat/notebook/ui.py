"""Small widget helpers shared by the chat lab and the step-through.

Owns how a text box sends, how a view closes every widget model it made (and
what a re-run notebook cell made the run before), and the look every view
shares: labchat's font (Vazirmatn, shipped in ``labchat/fonts``) and, in a
language written right to left, the direction.
No protocol logic here.
"""

from __future__ import annotations

import base64
import functools
import inspect
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from labchat import voice


def on_enter(box: widgets.Text, action: Callable[[], None]) -> None:
    """Call ``action`` when the user presses Enter in ``box``, and only then.

    ``Text.on_submit`` is deprecated in ipywidgets 8 in favour of observing
    ``value`` with ``continuous_update=False``, but that also fires when the
    box loses focus (so typing and then clicking Send sent twice) and when
    code sets ``box.value``. Enter alone must send.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        box.on_submit(lambda _box: action())


def close_tree(widget: widgets.Widget) -> None:
    """Close ``widget``, its children, and the layout and style models each one has.

    ``Widget.close()`` alone leaves a widget's ``layout`` and ``style`` (models
    of their own) and its children open: a view that re-runs would pile them up.
    """
    for child in getattr(widget, "children", ()):
        close_tree(child)
    for part in ("layout", "style"):
        model = getattr(widget, part, None)
        if isinstance(model, widgets.Widget):
            model.close()
    widget.close()


def display_bundle(widget: widgets.Widget, text: str, **kwargs: Any) -> dict[str, Any]:
    """What displaying a view shows: ``widget``, with ``text`` as its plain-text form.

    A widget's own text/plain dumps every child (a chart included); one short
    line reads better where no widget can draw, and is what nbval compares.
    """
    bundle: dict[str, Any] = dict(widget._repr_mimebundle_(**kwargs) or {})
    bundle["text/plain"] = text
    return bundle


#: What each notebook cell made in its latest run: the run's number and how to close each.
_made_by_cell: dict[str, tuple[int, list[Callable[[], None]]]] = {}


def closed_on_rerun(close: Callable[[], None]) -> None:
    """Call ``close`` when the notebook cell running now runs again.

    A view made by a cell (a step-through, a prediction, a progress bar) would
    otherwise stay open, widgets and all, each time the cell is re-run. The
    cell is known by the name ipykernel gives its code (a hash of the cell's
    source) and the run by IPython's execution count, so what one run makes
    (several views from a loop, say) stays open together until the next run.
    Outside a notebook cell nothing is kept.
    """
    cell = _running_cell()
    if cell is None:
        return
    name, run = cell
    earlier, closers = _made_by_cell.get(name, (run, []))
    if earlier != run:
        for closer in closers:
            closer()
        closers = []
    closers.append(close)
    _made_by_cell[name] = (run, closers)


def _running_cell() -> tuple[str, int] | None:
    """The running notebook cell's code name and run number; None outside a cell.

    The cell is the outermost frame of cell code (ipykernel names each cell's
    code in a directory ``ipykernel_<pid>``), so a view made by a function
    that an earlier cell defined belongs to the cell that called it.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return None
    name = None
    frame = inspect.currentframe()
    while frame is not None:
        if Path(frame.f_code.co_filename).parent.name.startswith("ipykernel_"):
            name = frame.f_code.co_filename
        frame = frame.f_back
    return None if name is None else (name, int(shell.execution_count))


@functools.cache
def _font_face() -> str:
    # Inlined as a data URL: the style then works in JupyterLab, Voila and a
    # saved page alike, with no server extension and nothing installed.
    font = (voice.FONT_DIR / "Vazirmatn-Regular.woff2").read_bytes()
    data = base64.b64encode(font).decode("ascii")
    return ("@font-face{font-family:Vazirmatn;font-style:normal;font-weight:100 900;"
            f"src:url(data:font/woff2;base64,{data}) format('woff2');}}")


def _css() -> str:
    font = voice.FONT_STACK
    # Right to left: the container's direction lays out every flex row (buttons,
    # sliders with their labels, text boxes) from the right. The two peers keep
    # A on the left and B on the right, above their lifelines in the chart (a
    # figure, drawn the same in every language); each peer's own contents, its
    # lines included, read right to left.
    #
    # A slider's track is the one thing that stays left to right: its value
    # (a loss probability, a delay) grows to the right, as on a number line.
    # Persian school mathematics draws the number line and a graph's axes
    # growing to the right (numbers are written left to right inside Persian
    # text), and the handouts' plots put the same loss rate p on an x axis that
    # grows to the right, so the slider agrees with the plot beside it. General
    # app toolkits (Android, Material) do mirror sliders; ipywidgets cannot:
    # its horizontal slider hard-codes noUiSlider's direction "ltr", and a CSS
    # mirror (scaleX(-1)) would draw the handle on the opposite side of the
    # pointer that drags it. tests/browser/test_persian.py holds both: the
    # label right of the track, the value growing to the right.
    return (_font_face()
            + f".labchat-view,.labchat-view .widget-label,.labchat-view input,"
              f".labchat-view button,.labchat-view select,.labchat-view .widget-readout,"
              f".labchat-view pre,.labchat-view .labchat-messages{{font-family:{font};}}"
              ".labchat-rtl{direction:rtl;}"
              ".labchat-rtl .labchat-peers,.labchat-rtl .labchat-chart{direction:ltr;}"
              ".labchat-rtl .labchat-peer{direction:rtl;}"
              ".labchat-rtl .widget-label{text-align:left;}"
              ".labchat-rtl .labchat-peer,.labchat-rtl .labchat-log pre{text-align:right;}")


def dressed(children: Sequence[widgets.Widget], kind: str) -> widgets.VBox:
    """A view's root box: ``children`` under the style every labchat view carries.

    The style sets labchat's font (Vazirmatn first: it shapes Persian well)
    and, when the current language is written right to left, the direction.
    ``kind`` is the view's CSS class ("labchat-lab", "labchat-stepper").
    """
    style = widgets.HTML(f"<style>{_css()}</style>")
    style.add_class("labchat-style")
    root = widgets.VBox([style, *children])
    root.add_class("labchat-view")
    root.add_class(kind)
    root.add_class(f"labchat-{voice.direction()}")
    return root

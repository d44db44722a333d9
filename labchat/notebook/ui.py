"""Small widget helpers shared by the chat lab and the step-through.

Owns how a text box sends, how a view closes every widget model it made, and
the look every view shares: labchat's font (Vazirmatn, shipped in
``labchat/fonts``) and, in a language written right to left, the direction.
No protocol logic here.
"""

from __future__ import annotations

import base64
import functools
import warnings
from collections.abc import Callable, Sequence

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

"""Small widget helpers shared by the chat lab and the step-through.

Owns how a text box sends and how a view closes every widget model it made.
No protocol logic here.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import ipywidgets as widgets


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

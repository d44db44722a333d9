"""Tests of labchat.notebook."""


def open_widget_models() -> int:
    """How many ipywidgets models are open (``Widget.widgets``, deprecated but exact)."""
    import warnings

    import ipywidgets

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return len(ipywidgets.Widget.widgets)

"""The folders are the architecture: the pure core never reaches the drivers or the views.

``labchat.protocols``, ``labchat.sim``, ``labchat.build`` and the shared vocabulary
beside them (``events``, ``errors``, ``trace``, ``voice``, ``pcap``) run on a virtual clock with no
sockets, threads or widgets, so they can run where there are none (a
browser-only Jupyter). Each module is imported in a fresh interpreter and the
modules it pulled in are read back: an import hidden in a function body that
runs at import time is caught too.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import labchat

FORBIDDEN_IN_PURE = ("socket", "threading", "selectors", "ipywidgets", "matplotlib",
                     "labchat.udp", "labchat.notebook", "labchat.commands")


def pure_modules() -> list[str]:
    names = ["labchat"]
    for info in pkgutil.walk_packages(labchat.__path__, "labchat."):
        layer = info.name.split(".")[1]
        if layer in {"protocols", "sim", "build", "events", "errors", "trace", "voice",
                     "pcap"}:
            names.append(info.name)
    return sorted(names)


def loaded_after_import(module: str) -> list[str]:
    """Every module in ``sys.modules`` after ``import module`` in a fresh interpreter."""
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    loaded: list[str] = json.loads(result.stdout)
    return loaded


def test_the_pure_layers_are_found() -> None:
    names = pure_modules()
    assert "labchat.protocols.go_back_n" in names
    assert "labchat.sim.network" in names
    assert "labchat.events" in names


@pytest.mark.parametrize("module", pure_modules())
def test_a_pure_module_loads_no_socket_thread_or_widget(module: str) -> None:
    loaded = loaded_after_import(module)
    offending = [name for name in loaded
                 if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN_IN_PURE)]
    assert offending == [], f"importing {module} loads {offending}"


def test_the_udp_layer_draws_nothing() -> None:
    loaded = loaded_after_import("labchat.udp.peer") + loaded_after_import("labchat.udp.relay")
    assert not [name for name in loaded
                if name.startswith(("labchat.notebook", "ipywidgets", "matplotlib"))]


def test_the_lazy_names_still_reach_the_udp_layer() -> None:
    from labchat.udp.peer import UdpPeer

    assert labchat.UdpPeer is UdpPeer
    with pytest.raises(AttributeError):
        _ = labchat.NoSuchThing

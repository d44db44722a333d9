"""The Wireshark dissector labchat ships, and where Wireshark looks for it.

``labchat.lua`` (beside this file, installed as package data) decodes every
rung's datagrams; ``install`` copies it into the user's personal Lua plugins
folder, where Wireshark and tshark load it at start. This module only knows
paths and copies one file: it starts no Wireshark.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

#: The dissector, as shipped inside the package.
DISSECTOR = Path(__file__).with_name("labchat.lua")


def plugin_folder() -> Path:
    """Wireshark's personal plugins folder on this system.

    Linux and macOS: ``~/.local/lib/wireshark/plugins`` (Wireshark 2.5 and
    later; ``$XDG_CONFIG_HOME`` does not move it). Windows:
    ``%APPDATA%\\Wireshark\\plugins``. Wireshark's "About > Folders" shows
    the same path as "Personal Lua Plugins".
    """
    appdata = os.environ.get("APPDATA")
    if os.name == "nt" and appdata:
        return Path(appdata) / "Wireshark" / "plugins"
    return Path.home() / ".local" / "lib" / "wireshark" / "plugins"


def install(folder: Path | None = None) -> Path:
    """Copy the dissector into ``folder`` (default: ``plugin_folder()``); returns its path."""
    target_folder = plugin_folder() if folder is None else folder
    target_folder.mkdir(parents=True, exist_ok=True)
    target = target_folder / DISSECTOR.name
    shutil.copyfile(DISSECTOR, target)
    return target

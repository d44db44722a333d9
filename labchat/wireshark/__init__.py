"""The Wireshark dissector labchat ships, and where Wireshark looks for it.

``labchat.lua`` (beside this file, installed as package data) decodes every
rung's datagrams; ``install`` copies it into the user's personal Lua plugins
folder, where Wireshark and tshark load it at start. ``tshark_text`` runs
tshark with it over a capture and returns what tshark printed, for a
notebook to show. Nothing here runs in the background.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from labchat import voice

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


#: What tshark says on stderr whenever it runs as root; not an error.
_ROOT_WARNING = 'Running as user "root" and group "root". This could be dangerous.'

#: The packet list as Wireshark shows it, plus the packet comment (what the
#: network did with the datagram) before the Info column, whose text may be
#: right-to-left.
_COLUMNS = ('gui.column.format:"No.","%m","Time","%t","Source","%s","Destination","%d",'
            '"Comment","%Cus:frame.comment","Info","%i"')


def tshark_text(capture: str | Path, display_filter: str = "", *, detail: bool = False) -> str:
    """What tshark prints for ``capture``, decoded with labchat's dissector.

    One line per packet (tab-separated columns), or with ``detail`` each
    packet's summary and its labchat fields, as Wireshark's middle pane shows
    them. ``display_filter`` is Wireshark's, e.g. ``labchat.kind == "ack"``.
    Raises ``RuntimeError`` with one clear sentence if tshark is missing or fails.
    """
    program = shutil.which("tshark")
    if program is None:
        raise RuntimeError(voice.error("no_tshark"))
    command = [program, "-X", f"lua_script:{DISSECTOR}", "-r", str(capture)]
    if display_filter:
        command += ["-Y", display_filter]
    if detail:
        # Every layer in one line, but the packet comment and labchat's fields unfolded.
        command += ["-O", "pkt_comment,labchat"]
    else:
        command += ["-T", "tabs", "-o", _COLUMNS]
    result = subprocess.run(command, capture_output=True, text=True, encoding="utf-8",
                            timeout=60, check=False)
    problems = [line.strip() for line in result.stderr.splitlines()
                if line.strip() and line.strip() != _ROOT_WARNING]
    if result.returncode != 0 or problems:
        raise RuntimeError(voice.error("tshark_failed", status=result.returncode,
                                       problems=" ".join(problems)))
    return result.stdout

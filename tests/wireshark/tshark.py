"""Run the real tshark with labchat's dissector and read back the fields it decoded.

tshark runs with ``HOME`` in a temporary folder, so a dissector the user
installed (or their Wireshark preferences) cannot change what the tests
see. Its stderr fails the test on anything but the warning it always gives
as root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from labchat.wireshark import DISSECTOR

FIELDS = ("frame.number", "frame.time_epoch", "frame.comment", "ip.src", "ip.dst",
          "udp.srcport", "udp.dstport", "labchat.rung", "labchat.kind", "labchat.type",
          "labchat.seq", "labchat.ack", "labchat.first", "labchat.count", "labchat.text",
          "labchat.sack.left", "labchat.sack.right",
          "labchat.session", "labchat.to", "labchat.packet", "labchat.mac",
          "labchat.checksum",
          "_ws.expert.message", "_ws.col.Info")

#: What tshark says on stderr whenever it runs as root; harmless.
_ROOT_WARNING = 'Running as user "root" and group "root". This could be dangerous.'


def tshark() -> str:
    path = shutil.which("tshark")
    assert path is not None, (
        "these tests need Wireshark's tshark: run 'make tshark-deps' as root, "
        "or 'sudo apt-get install tshark'")
    return path


def decode(capture: Path, home: Path, *, load_dissector: bool = True) -> list[dict[str, str]]:
    """One dict per packet: field name -> its value(s) joined by ``|`` ('' when absent)."""
    command = [tshark(), "-r", str(capture), "-T", "json"]
    if load_dissector:
        command[1:1] = ["-X", f"lua_script:{DISSECTOR}"]
    for field in FIELDS:
        command += ["-e", field]
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    result = subprocess.run(command, capture_output=True, text=True, encoding="utf-8",
                            env=env, timeout=60, check=False)
    complaints = [line for line in result.stderr.splitlines()
                  if line.strip() and line.strip() != _ROOT_WARNING]
    assert result.returncode == 0 and not complaints, result.stderr
    packets = json.loads(result.stdout)
    return [{field: "|".join(packet["_source"]["layers"].get(field, [])) for field in FIELDS}
            for packet in packets]

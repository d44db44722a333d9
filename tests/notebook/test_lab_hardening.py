"""The chat lab under abuse: a flood during restarts, fifty re-runs of a handout cell.

Real UDP on 127.0.0.1 with system-chosen ports; every loop is bounded in
count and every wait in time.
"""

from __future__ import annotations

import os
import socket
import threading

from labchat.notebook.lab import ChatLab
from labchat.notebook.stepper import Stepper
from labchat.udp import registry
from tests.conftest import labchat_threads
from tests.notebook import open_widget_models


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_flood_at_fresh_ports_during_restarts_cannot_freeze_the_lab() -> None:
    lab = ChatLab("go-back-n")
    stop = threading.Event()

    def flood() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for _ in range(200_000):  # bounded; stopped long before in practice
                if stop.is_set():
                    return
                try:
                    # Whatever ports the current conversation has bound, now.
                    targets = [lab.a.address, lab.b.address, lab.relay.listen_a_address]
                except (AttributeError, KeyError):
                    continue
                for target in targets:
                    sender.sendto(b"D 0 - flood", target)

    flooder = threading.Thread(target=flood, daemon=True)
    flooder.start()
    try:
        protocols = ["report", "go-back-n", "selective-repeat", "stop-and-wait"]
        for n in range(24):
            changer = threading.Thread(
                target=lambda n=n: (setattr(lab.seed_box, "value", n % 5) if n % 2 else
                                    setattr(lab.protocol_chooser, "value",
                                            protocols[n // 2 % len(protocols)])),
                daemon=True)
            changer.start()
            changer.join(timeout=10.0)
            assert not changer.is_alive(), f"change {n} froze the lab"
    finally:
        stop.set()
        flooder.join(timeout=10.0)
    try:
        lab.send("A", "after the flood")
        assert lab.wait_until_quiet(timeout=10.0)
        assert [e.to_dict()["text"] for e in lab.b.events("delivered")][-1] == "after the flood"
    finally:
        lab.close()


def test_running_a_handout_cell_fifty_times_leaves_nothing_behind() -> None:
    threads, fds, models = len(labchat_threads()), open_fds(), open_widget_models()
    for n in range(50):
        lab = ChatLab("report", names=("Client1", "Client2"))  # notebook 01's cell
        if n % 10 == 0:
            lab.send("A", f"run {n}")
            assert lab.wait_until_quiet()
        stepper = Stepper("go-back-n", settings={"timeout": 1.0},  # notebook 03's cell
                          script=["send A hello", "send A again"])
        stepper.close()
    lab.close()
    assert registry.open_resources() == []
    assert len(labchat_threads()) == threads
    assert open_fds() == fds
    assert open_widget_models() == models

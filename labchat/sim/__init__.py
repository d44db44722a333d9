"""Simulated networks on a virtual clock: pure, no sockets, no threads.

* ``channel``: the seeded impairment model (loss, duplication, delay, reorder,
  scripted drops), shared by every network, the UDP relay included;
* ``network``: the virtual-time network and the manual (step-through) network;
* ``stepping``: the step model, one decision at a time (moves, script, replay);
* ``simulator``: whole runs and sweeps, with their statistics;
* ``recording``: a scenario told step by step, kept for charts and counts.

Nothing here imports ``labchat.udp`` (sockets, threads) or
``labchat.notebook`` (widgets, drawing); a test holds that rule.
"""

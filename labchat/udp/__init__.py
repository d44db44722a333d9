"""Real UDP: the only part of labchat with sockets, threads and the wall clock.

* ``peer``: one engine on one socket with one receive thread;
* ``relay``: an impairing middlebox between two peers;
* ``wirelog``: each datagram's record, written by its sender, claimed by its
  receiver, when peers and relay share one process (the chat lab);
* ``worker``: the thread, lock, subscribers and closing both of them share;
* ``registry``: everything still open, so a notebook can close it on re-run.

It drives the pure engines (``labchat.protocols``) and impairment model
(``labchat.sim.channel``); it never draws.
"""

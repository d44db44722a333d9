"""Build your own protocol: exercises whose checks run a student's engine and name its mistakes.

A student writes an engine against ``labchat.protocols.student.StudentEngine``;
``exercises`` says what each exercise asks for, ``scenarios`` runs an engine
(paired with the reference rung where the student writes only one half) over
scripted and harvested networks, ``judge`` reads a run and finds the failures
by class, ``feedback`` words them, ``submission`` reads a student's file or
notebook for ``labchat grade``.

This package is pure like ``protocols`` and ``sim``: virtual time, seeded
randomness, no sockets, threads or widgets. It draws nothing (the notebook
layer puts its runs on a chart).
"""

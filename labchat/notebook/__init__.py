"""What a student sees in JupyterLab: the views.

* ``lab``: the live chat lab (two UDP peers and a relay, as widgets);
* ``stepper``: the step-through, one datagram at a time;
* ``chart``: the sequence chart (SVG);
* ``plots``: the experiments' plots and tables;
* ``exercises``: checks for the students' code;
* ``ui``: small widget helpers.

Views only call the public API of the engines, networks and peers and render
their events; no protocol rule lives here.
"""

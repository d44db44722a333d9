"""What a student sees in JupyterLab: the views.

* ``lab_model``: the live chat lab's model (two UDP peers, a relay, the state
  their events feed; no widgets);
* ``lab``: the chat lab's widget view, drawn from the model by one thread;
* ``stepper``: the step-through widget over ``labchat.sim.stepping``'s model;
* ``chart``: the sequence chart (SVG);
* ``plots``: the experiments' plots and tables;
* ``exercises``: checks for the students' code;
* ``ui``: small widget helpers.

Views only call the public API of the engines, networks and peers and render
their events; no protocol rule lives here.
"""

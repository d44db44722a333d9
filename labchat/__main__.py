"""``python -m labchat``: the command line (see ``labchat.cli``)."""

from labchat.cli import main

raise SystemExit(main())

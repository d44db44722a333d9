"""``python -m labchat``: the command line (see ``labchat.commands.cli``)."""

from labchat.commands.cli import main

raise SystemExit(main())

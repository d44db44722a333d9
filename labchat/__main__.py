"""``python -m labchat``: the command line (see ``labchat.commands.cli``)."""

try:
    from labchat.commands.cli import main
except KeyboardInterrupt:  # Ctrl-C while starting: the same quiet exit as later
    raise SystemExit(130) from None  # status.INTERRUPTED, which may not be imported yet

raise SystemExit(main())

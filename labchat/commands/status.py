"""The exit statuses every ``labchat`` command shares, named once."""

#: A usage error: a bad flag or setting, said in one line on stderr.
USAGE = 2
#: Ended by Ctrl-C, as the shell reports it (128 + SIGINT).
INTERRUPTED = 130

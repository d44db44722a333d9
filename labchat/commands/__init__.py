"""The sub-commands of ``python -m labchat``, one module each.

Each module offers ``add_parser(subparsers)``, which registers its flags and
sets ``run`` to a function taking the parsed arguments and returning an exit
status.
"""

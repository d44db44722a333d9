"""labchat's benchmarks: ``make bench`` runs them (``python -m benchmarks.run``).

Each figure is a ratio to a baseline measured in the same run; see ``timing``.
"""

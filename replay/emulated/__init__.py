"""The emulated sources of a night: its documents as they stood at each virtual instant, over HTTP.

May import :mod:`ingest` and the rest of :mod:`replay` but its commands.
"""

"""The board: what is current on the night (count, turnout, round), built from updates. Pure.

May import :mod:`ingest.model` and :mod:`ticker.wire`; never a socket, Redis or HTTP library.
"""

"""The terminal ticker: its feeds (Redis or a broadcaster), its view and its rendering.

May import :mod:`ingest`, :mod:`ticker.wire` and :mod:`ticker.board`.
"""

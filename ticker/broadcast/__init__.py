"""The broadcaster: one Redis reader fanned out to every websocket client, and its HTTP side.

May import :mod:`ingest`, :mod:`ticker.wire` and :mod:`ticker.board`.
"""

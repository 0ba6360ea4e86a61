"""The night as tables a graphics desk uses: results by scope with official codes, turnout,
speeches and updates (:mod:`ticker.export.tables`), written as CSV, JSON or SQLite
(:mod:`ticker.export.formats`).

May import :mod:`ingest.model`, :mod:`ingest.extraction` and :mod:`ticker.board`; no Redis,
HTTP or websocket library (``soiree export`` and the broadcaster's ``/export`` routes are the
shells).
"""

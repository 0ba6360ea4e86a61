"""Alerts: the rules file and the engine (pure), the alerting loop and its webhooks.

``rules`` and ``engine`` import no I/O (the pure core); ``live`` and ``webhook`` are the thin
shells over Redis and HTTP. May import ``ticker.board`` and ``ingest``; imported by
``ticker.terminal`` (the banner) and the commands.
"""

"""The sources: their configuration, their documents parsed, and what changed. Pure.

Owns ``sources.toml`` (:mod:`ingest.sources.config`), the parsers of a liveblog page, a feed and a
results endpoint, HTML to text, the diff of a source against what it showed before
(:mod:`ingest.sources.entry_diff`), and a source's health record
(:mod:`ingest.sources.source_health`). May import :mod:`ingest.model` and :mod:`ingest.extraction`;
never a network or Redis library.
"""

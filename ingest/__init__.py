"""soiree's bottom layer: the update, extraction, sources, the store and the pollers.

What it owns: the model every part exchanges (:mod:`ingest.model`), extraction from French text
(:mod:`ingest.extraction`), the sources and their pure parsers (:mod:`ingest.sources`), Redis
(:mod:`ingest.store`), the polling loops (:mod:`ingest.polling`), the plumbing every command
shares (:mod:`ingest.runtime`), the command line and its own commands (:mod:`ingest.cli`,
:mod:`ingest.commands`).

What it may import: nothing of :mod:`ticker` or :mod:`replay` (``docs/architecture.md``).
"""

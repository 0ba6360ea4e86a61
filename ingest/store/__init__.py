"""Redis: where it is, the embedded server, the stream and every key soiree keeps there.

Owns the key names (:mod:`ingest.store.keys`), the stream store, a source's diff state, the
pollers' health records and the embedded ``redis-server``. May import :mod:`ingest.model`,
:mod:`ingest.sources` (for the diff state's records) and :mod:`ingest.runtime`.
"""

"""soiree's top layer: the night of 29 January 2017 replayed, and the demo that wires it all.

What it owns: a night's fixtures (:mod:`replay.night_fixture`: the values; found and loaded by
:mod:`replay.fixtures`, each file read by :mod:`replay.fixture_files` with
:mod:`replay.fixture_fields`), the virtual clock
(:mod:`replay.clock`), the replay into the stream (:mod:`replay.runner`), the emulated sources
(:mod:`replay.emulated`) and the commands ``replay``, ``sources`` and ``demo``
(:mod:`replay.commands`).

What it may import: :mod:`ingest` and :mod:`ticker` (``docs/architecture.md``).
"""

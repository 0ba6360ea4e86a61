"""The model every part of soiree exchanges: the update, the night, errors. Pure.

Owns :mod:`ingest.model.update` (an update and its JSON form), :mod:`ingest.model.night` (a
night's date, round, candidates), :mod:`ingest.model.errors` and
:mod:`ingest.model.json_lines`. Imports nothing of soiree outside this package, and no I/O library.
"""

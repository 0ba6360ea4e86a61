"""From French election text to an update's kind, speaker, figures and round. Pure.

Owns the rules (:mod:`ingest.extraction.extract`), French number formats
(:mod:`ingest.extraction.french_numbers`), the départements
(:mod:`ingest.extraction.departements`, with its data file) and the building of an update from a
source's raw entry (:mod:`ingest.extraction.entries`). May import :mod:`ingest.model` only.
"""

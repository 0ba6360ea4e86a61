"""From French election text to an update's kind, speaker, figures, round and institute. Pure.

Owns the rules (:mod:`ingest.extraction.extract`; speakers, institutes, calls to vote and who
leads in :mod:`~ingest.extraction.speakers`, :mod:`~ingest.extraction.institutes`,
:mod:`~ingest.extraction.rallies`, :mod:`~ingest.extraction.leads`; ``docs/extraction.md``),
figures and their scopes (:mod:`~ingest.extraction.figures`, assembled from
:mod:`~ingest.extraction.percent_figures`, :mod:`~ingest.extraction.share_owners`,
:mod:`~ingest.extraction.count_figures` and :mod:`~ingest.extraction.figure_items`;
:mod:`~ingest.extraction.scopes`, :mod:`~ingest.extraction.rates`), French number formats
(:mod:`ingest.extraction.french_numbers`),
the places (:mod:`ingest.extraction.departements`, with its data file, and
:mod:`ingest.extraction.territories`) and the building of an update from a
source's raw entry (:mod:`ingest.extraction.entries`). May import :mod:`ingest.model` only.
"""

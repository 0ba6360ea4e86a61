"""The pollers: fetch a source, parse, diff, append, record health, wait, again.

Owns the HTTP fetch (:mod:`ingest.polling.fetch`), one source's loop
(:mod:`ingest.polling.poller`) and every source at once (:mod:`ingest.polling.runner`). May
import every other package of :mod:`ingest` but :mod:`ingest.commands`.
"""

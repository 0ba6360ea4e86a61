"""The pollers: fetch a source, parse, diff, append, record health, wait, again.

Owns the HTTP fetch (:mod:`ingest.polling.fetch`) and the bounded parse
(:mod:`ingest.polling.bounded_parse`); one source's loop (:mod:`ingest.polling.poller`) over
the jobs of a poll: the queue of documents not written yet (:mod:`ingest.polling.kept_documents`),
the task that writes them (:mod:`ingest.polling.kept_writer`), one document applied under the
source's lock (:mod:`ingest.polling.document_apply`), the health and schedule
(:mod:`ingest.polling.poll_bookkeeping`, :mod:`ingest.polling.poll_result`); and every source at
once (:mod:`ingest.polling.runner`). May import every other package of :mod:`ingest` but
:mod:`ingest.commands`.
"""

"""soiree's benchmarks: each figure of DESIGN.md's "Targets" beside a baseline measured in the run.

``soiree bench`` runs them and prints one table (:mod:`ingest.benchmarks.table`); each module
measures one part and returns :class:`~ingest.benchmarks.table.BenchRow` s:

- :mod:`ingest.benchmarks.append`: idempotent append throughput vs raw pipelined XADD;
- :mod:`ingest.benchmarks.replay`: replay lateness and ``--speed max`` time vs a naive scheduler;
- :mod:`ingest.benchmarks.detection`: a new liveblog entry to the stream and to a websocket client.

Everything runs on this machine only: Redis on a unix socket in a temporary directory, HTTP and
websocket servers on 127.0.0.1, port 0. Benchmarks are not tests: the test suite runs each at a
tiny size and asserts nothing about timing.
"""

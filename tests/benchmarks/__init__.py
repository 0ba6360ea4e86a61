"""soiree's benchmarks: each target of docs/design.md beside a baseline measured in the run.

``soiree bench`` runs them and prints one table (:mod:`tests.benchmarks.table`); each module
measures one part and returns :class:`~tests.benchmarks.table.BenchRow` s:

- :mod:`tests.benchmarks.append`: idempotent append throughput vs raw pipelined XADD;
- :mod:`tests.benchmarks.replay`: replay lateness and ``--speed max`` time vs a naive scheduler;
- :mod:`tests.benchmarks.detection`: a new liveblog entry to the stream and to a websocket client;
- :mod:`tests.benchmarks.fanout`: the broadcaster's fan-out latency and throughput, memory and CPU
  per frame (``docs/benchmarks.md`` describes the method and holds a run's table); it starts
  :mod:`tests.benchmarks.bare_server` (the baseline, a bare ``websockets.broadcast`` loop) and
  :mod:`tests.benchmarks.load_client` (the load generator, thousands of minimal websocket
  connections) as child processes (:mod:`tests.benchmarks.processes`).

Everything runs on this machine only: Redis on a unix socket in a temporary directory, HTTP and
websocket servers on 127.0.0.1, port 0. Benchmarks are not tests: the test suite runs each at a
tiny size and asserts nothing about timing.
"""

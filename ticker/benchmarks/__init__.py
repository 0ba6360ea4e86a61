"""Benchmarks of the broadcaster: fan-out latency and throughput, memory and CPU per frame.

:func:`ticker.benchmarks.fanout.run_fanout_benchmarks` runs them (``soiree bench`` calls it);
``docs/benchmarks.md`` describes the method and holds a run's table.

- :mod:`ticker.benchmarks.fanout`: the runner: starts Redis, each server and the load
  generators, drives the measurements and turns them into rows.
- :mod:`ticker.benchmarks.load_client`: the load generator, a process holding thousands of
  minimal websocket connections (``python -m ticker.benchmarks.load_client``).
- :mod:`ticker.benchmarks.bare_server`: the baseline, a bare ``websockets.broadcast`` loop
  reading the same stream (``python -m ticker.benchmarks.bare_server``).
- :mod:`ticker.benchmarks.processes`: the benchmark's child processes (Redis, servers), and
  their CPU time and RSS read from ``/proc``.
"""

"""``soiree redis``: the embedded Redis server of a data directory, in the foreground.

For the Procfile (``redis: soiree redis``). ``--url`` starts it in the background if needed and
prints its URL; ``--stop`` shuts it down.
"""

from __future__ import annotations

from ingest.commands.redis_cli import RedisServerOptions
from ingest.store.embedded_foreground import run_foreground
from ingest.store.embedded_layout import default_data_dir
from ingest.store.embedded_redis import ensure_embedded, stop_embedded

__all__ = ["run"]


def run(options: RedisServerOptions) -> int:
    """Run ``soiree redis``; return the exit status."""
    data_dir = options.data_dir or default_data_dir()
    if options.stop:
        stopped = stop_embedded(data_dir)
        print(
            f"stopped the embedded Redis of {data_dir}" if stopped else f"none ran for {data_dir}"
        )
        return 0
    if options.url:
        print(ensure_embedded(data_dir, appendfsync=options.appendfsync))
        return 0
    return run_foreground(data_dir, appendfsync=options.appendfsync)

"""``soiree redis``: the embedded Redis server of a data directory, in the foreground.

For the Procfile (``redis: soiree redis``). ``--url`` starts it in the background if needed and
prints its URL; ``--stop`` shuts it down.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ingest.store.embedded_redis import (
    default_data_dir,
    ensure_embedded,
    run_foreground,
    stop_embedded,
)

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Run ``soiree redis``; return the exit status."""
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    if args.stop:
        stopped = stop_embedded(data_dir)
        print(
            f"stopped the embedded Redis of {data_dir}" if stopped else f"none ran for {data_dir}"
        )
        return 0
    if args.url:
        print(ensure_embedded(data_dir, appendfsync=args.appendfsync))
        return 0
    return run_foreground(data_dir, appendfsync=args.appendfsync)

"""``python -m tests.benchmarks [--quick] [--only ...]``: every benchmark, as ``soiree bench``."""

from __future__ import annotations

import sys

from ingest.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))

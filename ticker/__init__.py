"""soiree's middle layer: the broadcaster, its web page and the terminal ticker.

What it owns: the websocket protocol as data (:mod:`ticker.wire`), the board of what is current
(:mod:`ticker.board`), the broadcaster (:mod:`ticker.broadcast`, with the page in ``web/``), the
terminal ticker (:mod:`ticker.terminal`) and their commands (:mod:`ticker.commands`).

What it may import: :mod:`ingest`, never :mod:`replay` (``docs/architecture.md``).
"""

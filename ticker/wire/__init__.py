"""The broadcaster's websocket protocol as data: messages built, parsed, validated. Pure.

:mod:`ticker.wire.protocol` is the server's side; a client's side, which reads the board the
server sends, is :mod:`ticker.terminal.relay_messages` (the terminal ticker is soiree's client).
May import :mod:`ingest.model`; never a socket, Redis or HTTP library.
"""

"""The broadcaster's websocket protocol as data: messages built, parsed, validated. Pure.

:mod:`ticker.wire.protocol` is the server's side, :mod:`ticker.wire.relay_messages` a client's.
May import :mod:`ingest.model`; never a socket, Redis or HTTP library.
"""

"""The broadcaster's websocket protocol as data: messages built, parsed, validated. Pure.

:mod:`ticker.wire.protocol` (the messages sent), :mod:`ticker.wire.client_requests` (what a
client asks, parsed and validated) and :mod:`ticker.wire.ws_frames` (frames) are the server's
side; a client's side, which reads the board the server sends, is
:mod:`ticker.terminal.relay_messages` (the terminal ticker is soiree's client).
May import :mod:`ingest.model`; never a socket, Redis or HTTP library.
"""

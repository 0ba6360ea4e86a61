"""Why a server could not listen, in a few words, for a one-line error.

asyncio wraps a failed bind as ``error while attempting to bind on address ('10.255.255.1', 0):
cannot assign requested address``: a command that names the address itself would say it twice.
"""

from __future__ import annotations

import os
import socket

__all__ = ["listen_error_reason"]


def listen_error_reason(error: OSError) -> str:
    """``Address already in use``, without asyncio's wrapping of the address; a host name that
    does not resolve (a ``socket.gaierror``, whose codes are not errnos) says so in words."""
    if isinstance(error, socket.gaierror):
        return error.strerror or str(error)
    return os.strerror(error.errno) if error.errno else str(error)

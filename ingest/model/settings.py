"""Everything soiree reads from its environment, in one value object. Pure but for reading it.

:meth:`Settings.from_env` reads the variables below (README, "Environment"); no other module of
soiree reads them. Values are kept as given and checked where they are used, so a
bad value of one variable fails only the command that needs it, with its name in the message.

==========================  =====================================================================
``REDIS_URL``               an external Redis instead of the embedded one
``SOIREE_DATA_DIR``         the embedded server's data directory (else ``$XDG_DATA_HOME/soiree``,
                            else ``~/.local/share/soiree``)
``SOIREE_APPENDFSYNC``      the embedded server's AOF fsync policy (default ``everysec``)
``SOIREE_STREAM_MAXLEN``    retention: the most entries a stream keeps (default 100,000)
``SOIREE_FIXTURES``         another nights (fixtures) directory
``SOIREE_SOURCES_CONFIG``   ``soiree ingest``'s sources file
``SOIREE_SOURCES_URL``      the base URL the sources' relative URLs resolve against
``SOIREE_READ_TOKEN``       the read token ``serve`` requires and ``ticker --ws`` sends
``SOIREE_EVENT_LOOP``       ``asyncio`` (default), ``uvloop`` or ``auto`` for ``soiree serve``
``PORT``                    ``soiree serve``'s port when ``--port`` is not given
==========================  =====================================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["DEFAULT_APPENDFSYNC", "DEFAULT_STREAM_MAXLEN", "Settings", "settings"]

DEFAULT_APPENDFSYNC: Final = "everysec"
DEFAULT_STREAM_MAXLEN: Final = 100_000


def _given(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


@dataclass(frozen=True, slots=True)
class Settings:
    """soiree's environment, read once (blank values count as unset)."""

    data_dir: Path
    redis_url: str | None = None
    appendfsync: str = DEFAULT_APPENDFSYNC
    stream_maxlen: str | None = None
    fixtures: Path | None = None
    sources_config: Path | None = None
    sources_url: str | None = None
    read_token: str | None = None
    staff_token: str | None = None
    event_loop: str = "asyncio"
    port: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings ``environ`` (default: this process's environment) gives."""
        env = os.environ if environ is None else environ
        explicit_dir = _given(env, "SOIREE_DATA_DIR")
        xdg = _given(env, "XDG_DATA_HOME")
        if explicit_dir is not None:
            data_dir = Path(explicit_dir).expanduser()
        elif xdg is not None:
            data_dir = Path(xdg).expanduser() / "soiree"
        else:
            data_dir = Path.home() / ".local" / "share" / "soiree"
        fixtures = _given(env, "SOIREE_FIXTURES")
        sources_config = _given(env, "SOIREE_SOURCES_CONFIG")
        return cls(
            redis_url=_given(env, "REDIS_URL"),
            data_dir=data_dir,
            appendfsync=_given(env, "SOIREE_APPENDFSYNC") or DEFAULT_APPENDFSYNC,
            stream_maxlen=_given(env, "SOIREE_STREAM_MAXLEN"),
            fixtures=None if fixtures is None else Path(fixtures),
            sources_config=None if sources_config is None else Path(sources_config),
            sources_url=_given(env, "SOIREE_SOURCES_URL"),
            read_token=_given(env, "SOIREE_READ_TOKEN"),
            staff_token=_given(env, "SOIREE_STAFF_TOKEN"),
            event_loop=(_given(env, "SOIREE_EVENT_LOOP") or "asyncio").lower(),
            port=_given(env, "PORT"),
        )


def settings() -> Settings:
    """The settings of this process's environment as it is now."""
    return Settings.from_env()

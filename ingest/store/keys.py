"""Every Redis key name soiree uses, derived from the stream key.

The stream key is the user's choice (``--stream``, e.g. ``soiree:night:2017-01-29``); every
other key a night needs is that name plus a suffix, so one night's keys sit together, a second
night (or a replay run on its own stream) never collides with the first, and deleting a night
is ``DEL`` of the keys below. No other module spells a key name.

======================================  ======  ==========================================
key                                     type    holds
======================================  ======  ==========================================
``{stream}``                            stream  the updates: fields ``uid``, ``op``, ``data``
``{stream}:seen``                       hash    uid -> content digest of its last append,
                                                or :data:`TOMBSTONE` once deleted
``{stream}:trimmed``                    string  id of the newest entry ever trimmed by
                                                retention (gap detection)
``{stream}:health:{source}``            hash    one source's poller health (last success,
                                                last error, consecutive errors, status)
``{stream}:entries:{source}``           hash    a poller's diff state: uid -> update JSON,
                                                plus ``@version`` (the document applied)
``{stream}:sources``                    set     names of the sources that have health
``{stream}:entries:{source}:lock``      string  holder of that state's apply lock (PX)
``{stream}:entries:{source}:fence``     string  fencing token: counts the lock's takings;
                                                writes of an older taking are refused
``{stream}:replay:control``             (any)   a replay's pause / resume control (its
                                                type is the replay's to define)
``{stream}:replay:clock``               hash    a replay's virtual clock, for the ticker
``{stream}:embargo``                    stream  the editors' embargo acts (``soiree embargo``)
``{stream}:desk``                       stream  the desk's actions, the audit trail
                                                (``soiree desk``, ``POST /desk``)
``{night}:replay-runs``                 string  counter of the replay runs of a night
``{night}:replay:{n}``                  stream  the stream of replay run n of a night
======================================  ======  ==========================================

``{night}`` is the night's own stream key: a replay without ``--stream`` writes a new stream
per run, named after it, and ``{night}:replay:latest`` designates the newest run.

======================================  ======  ==========================================
======================================  ======  ==========================================

Redis Cluster: the append script touches ``{stream}``, ``{stream}:seen`` and
``{stream}:trimmed`` in one call, so they must live in one hash slot. Give the stream name a
hash tag, e.g. ``soiree:{night:2017-01-29}``: every derived key then carries the same tag and
lands in the same slot. A single server or Sentinel setup needs nothing.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "TOMBSTONE",
    "desk_key",
    "entries_fence_key",
    "entries_key",
    "entries_lock_key",
    "health_key",
    "replay_clock_key",
    "replay_control_key",
    "replay_run_stream",
    "replay_runs_key",
    "seen_key",
    "sources_key",
    "trimmed_key",
]

# The value of ``seen[uid]`` once uid is deleted. Content digests are lowercase hex, so no
# digest can ever equal it.
TOMBSTONE: Final = "deleted"


def _check_stream(stream: str) -> str:
    if not stream:
        raise ValueError("the stream key must not be empty")
    return stream


def _check_source(source: str) -> str:
    if not source:
        raise ValueError("the source name must not be empty")
    return source


def seen_key(stream: str) -> str:
    """Hash of uid -> content digest (or :data:`TOMBSTONE`) of what is on the stream."""
    return f"{_check_stream(stream)}:seen"


def trimmed_key(stream: str) -> str:
    """String: the id of the newest entry ever trimmed from the stream by retention."""
    return f"{_check_stream(stream)}:trimmed"


def health_key(stream: str, source: str) -> str:
    """Hash of one source's health, written by its poller, read by the ticker and /healthz."""
    return f"{_check_stream(stream)}:health:{_check_source(source)}"


def entries_key(stream: str, source: str) -> str:
    """Hash of one poller's diff state: what it last saw of each of the source's entries."""
    return f"{_check_stream(stream)}:entries:{_check_source(source)}"


def replay_control_key(stream: str) -> str:
    """The control a replay of this stream obeys (pause / resume)."""
    return f"{_check_stream(stream)}:replay:control"


def replay_clock_key(stream: str) -> str:
    """Hash: the replay's virtual clock, so the ticker can show virtual time."""
    return f"{_check_stream(stream)}:replay:clock"


def embargo_acts_key(stream: str) -> str:
    """Stream: the editors' embargo acts on the night (``soiree embargo``), the log of each
    release and hold with its reason, read by the broadcaster."""
    return f"{_check_stream(stream)}:embargo"


def desk_key(stream: str) -> str:
    """Stream: the desk's actions on the night's updates (``soiree desk``, ``POST /desk``):
    pins, key events, corrections, retractions, staff-written updates; the audit trail."""
    return f"{_check_stream(stream)}:desk"


def sources_key(stream: str) -> str:
    """Set of the names of the sources that keep health for this stream (see health_key)."""
    return f"{_check_stream(stream)}:sources"


# The name a user can give for "the newest replay run of the night" (see resolve_stream).
LATEST_RUN: Final = "latest"


def replay_runs_key(night_stream: str) -> str:
    """Counter of a night's replay runs: INCR gives the next run's number."""
    return f"{_check_stream(night_stream)}:replay-runs"


def replay_run_stream(night_stream: str, run: int | str) -> str:
    """The stream of replay run ``run`` of the night whose stream is ``night_stream``."""
    return f"{_check_stream(night_stream)}:replay:{run}"


def entries_lock_key(stream: str, source: str) -> str:
    """String: a token held by the poller applying a document to the source's diff state."""
    return f"{entries_key(stream, source)}:lock"


def entries_fence_key(stream: str, source: str) -> str:
    """The fencing token of a source's diff state: how many times its lock was taken."""
    return f"{entries_key(stream, source)}:fence"

"""soiree's errors: one tree, whose root :class:`SoireeError` the command line reports in one line.

Each error lives in the module that raises it and derives from :class:`SoireeError` (those that
reject a value also from :class:`ValueError`, those about a connection from
:class:`ConnectionError`)::

    SoireeError
    ├── CommandError            a command cannot do what was asked    ingest.model.errors
    ├── NightError              a bad night.toml, no such night       ingest.model.night
    │   └── NightFileError          a night file's problems, each     ingest.model.night_file
    │                               naming file, key and line
    ├── UpdateError             an update breaks the contract         ingest.model.update
    ├── SourceConfigError       a bad sources.toml                    ingest.sources.source_config
    ├── FeedParseError          a feed that does not parse            ingest.sources.feed_parser
    ├── ResultsParseError       a results document that does not      ingest.sources.results_parser
    │                           parse
    ├── RedisSetupError         Redis cannot be found or started      ingest.store.embedded_redis
    │   ├── RedisConfigError        a bad --redis-url / data dir
    │   ├── EmbeddedRedisError      the embedded server failed
    │   ├── RedisUnavailableError   no answer
    │   └── RedisVersionError       too old a server
    ├── SourceBusyError         another replica holds the source      ingest.store.source_state
    ├── ProtocolError           a client's message is not protocol    ticker.wire.protocol_codes
    ├── RelayMessageError       a server's message is not protocol    ticker.terminal.relay_messages
    ├── ClockError              a bad --speed / --from / --to         replay.clock
    └── FixtureError            a night's fixtures are invalid        replay.night_fixture

The message tells the user what is wrong and, where it can, what to do. Anything that is not a
:class:`SoireeError` (nor the outside world's: an :class:`OSError`, Redis unreachable) is a bug
and keeps its traceback.
"""

from __future__ import annotations

__all__ = ["CommandError", "SoireeError"]


class SoireeError(Exception):
    """The root of every error soiree raises on purpose; the message is for the user."""


class CommandError(SoireeError):
    """A subcommand cannot do what was asked; the message says why and what to do."""

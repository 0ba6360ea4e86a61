"""The error a subcommand raises when it cannot do what was asked.

Errors of one part stay in that part's module (``NightError``, ``UpdateError``,
``FixtureError``, ``ClockError``, ``EmbeddedRedisError``...); the command line reports each of
them, and :class:`CommandError`, in one line. The message tells the user what is wrong and,
where it can, what to do.
"""

from __future__ import annotations

__all__ = ["CommandError"]


class CommandError(Exception):
    """A subcommand cannot do what was asked; the message says why and what to do."""

"""The embargo in the broadcaster: what public and staff clients get of each batch read.

The rule is :mod:`ticker.wire.embargo` (pure); this holds its state for one broadcaster:

- **public** clients (``/ws`` with the read token or none, ``/sse``, ``/embed``, ``/export``)
  get what :class:`~ticker.wire.embargo.PublicGate` lets through; a held update reaches them
  when the embargo ends (:meth:`EmbargoView.tick`), in stream order, once. Their backlog
  (from memory or Redis) leaves out what is held now (:meth:`public`); a public client resuming
  from an id after a held one, after the release, gets the released ones it lacks first
  (:meth:`missed`).
- **staff** clients (the staff token) get every update as it is read; a held one carries
  ``"embargoed": true`` (:meth:`staff`). When it is released they get it once more, without
  the marker; their snapshot lists the ids held now (:attr:`held_ids`), so that a staff client
  that was away at the release drops its marks when it comes back.

No I/O: the broadcaster calls :meth:`admit` for each batch and :meth:`tick` as the clock moves.
"""

from __future__ import annotations

from datetime import datetime

from ingest.model.json_lines import json_line
from ticker.wire.embargo import EmbargoAct, PublicGate
from ticker.wire.stream_positions import id_key
from ticker.wire.ws_frames import EncodedUpdate, encode_text_frame

__all__ = ["EmbargoView", "marked"]


def marked(entry: EncodedUpdate) -> EncodedUpdate:
    """``entry`` as staff get it while it is held: its update message with ``embargoed``."""
    message = {"type": "update", **entry.update.to_json(), "embargoed": True}
    frame = encode_text_frame(json_line(message))
    return EncodedUpdate(entry.update, entry.id, entry.key, entry.kind, entry.source, frame)


class EmbargoView:
    """The embargo's state in one broadcaster (see the module docstring)."""

    def __init__(self, closes: datetime | None) -> None:
        self._gate: PublicGate[EncodedUpdate] = PublicGate(closes=closes)
        #: Held now: id -> the marked entry staff get.
        self._held: dict[str, EncodedUpdate] = {}
        #: Released: (entry, key of the last id read when it was released).
        self._released: list[tuple[EncodedUpdate, tuple[int, int]]] = []
        #: The latest instant seen: the clock, or an update's arrival.
        self.now: datetime | None = None

    @property
    def holding(self) -> bool:
        """Whether anything is held now."""
        return bool(self._held)

    @property
    def held_ids(self) -> list[str]:
        """The ids held now, in stream order (what a staff client's marks must be)."""
        return list(self._held)

    def _advance(self, now: datetime) -> datetime:
        if self.now is None or now > self.now:
            self.now = now
        return self.now

    def admit(
        self, entries: list[EncodedUpdate], now: datetime, position: tuple[int, int]
    ) -> list[EncodedUpdate]:
        """A batch read: what public clients get now (releases first), in order."""
        public: list[EncodedUpdate] = []
        for entry in entries:
            current = self._advance(max(now, entry.update.seen))
            passed = self._gate.admit(entry, current)
            public.extend(self._note_released(passed, position, but=entry))
            if not passed or passed[-1] is not entry:
                self._held[entry.id] = marked(entry)
        return public

    def _note_released(
        self, passed: list[EncodedUpdate], position: tuple[int, int], *, but: EncodedUpdate | None
    ) -> list[EncodedUpdate]:
        for entry in passed:
            if entry is not but and self._held.pop(entry.id, None) is not None:
                self._released.append((entry, position))
        return passed

    def tick(self, now: datetime, position: tuple[int, int]) -> list[EncodedUpdate]:
        """The held entries released by ``now``, in stream order (each once)."""
        return self._note_released(self._gate.tick(self._advance(now)), position, but=None)

    def act(self, act: EmbargoAct, position: tuple[int, int]) -> list[EncodedUpdate]:
        """An editor's release or hold; returns what it releases."""
        self._gate.act(act)
        return self.tick(act.at, position)

    def public(self, entries: list[EncodedUpdate]) -> list[EncodedUpdate]:
        """``entries`` (a backlog, in stream order) without those held now."""
        if not self._held:
            return entries
        return [entry for entry in entries if entry.id not in self._held]

    def staff(self, entries: list[EncodedUpdate]) -> list[EncodedUpdate]:
        """``entries`` as staff get them: those held now marked ``embargoed``."""
        if not self._held:
            return entries
        return [self._held.get(entry.id, entry) for entry in entries]

    def missed(self, since: str | None) -> list[EncodedUpdate]:
        """Released entries a public client resuming after ``since`` cannot have had: older
        than ``since`` but released once the stream was past it."""
        if since is None or since in ("$", "0-0"):
            return []
        key = id_key(since)
        return [entry for entry, at in self._released if entry.key < key <= at]

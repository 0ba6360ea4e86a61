"""The server-side append: :data:`APPEND_SCRIPT` (Lua), the argument it takes per update, its reply.

One script call decides, for each update of a chunk, whether it is new (``add``), changed
(``edit``), a ``delete`` of a live entry, or already there (nothing written: the dedupe), and
does the XADD and the retention, atomically: two pollers appending the same update write it
once, and a retried call writes nothing twice. A :class:`Fence` makes the call write nothing
(``FENCED``) once a newer writer of the source has taken its lock. The client side, pipelining
the calls: :meth:`ingest.store.stream_store.StreamStore.append_many`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ingest.model.update import Op, Update
from ingest.store import keys

__all__ = [
    "APPEND_SCRIPT",
    "AppendOutcome",
    "Fence",
    "FencedError",
    "append_record",
    "outcome_of",
]

# KEYS: stream, seen hash, trimmed id, and optionally a fencing token's key.
# ARGV: maxlen; the fencing token ("" without one); then one record per update, in order (see
# append_record): a hint, "d" for a delete and "u" for an upsert (whose op the script decides from
# seen[uid]); the content digest (32 hex digits); the uid's length in bytes, ":" and the uid;
# then the entry's data JSON. One argument per update rather than four: packing arguments is
# most of redis-py's cost per update.
# Returns one string per record: the op's initial and the entry id ("a1485716460000-0") when it
# appended, "" when it wrote nothing. Retention runs once, after the last record. With a fence,
# nothing is written unless the token's key still holds the token (FENCED error otherwise).
APPEND_SCRIPT: Final = """
local stream, seen, trimmed = KEYS[1], KEYS[2], KEYS[3]
if KEYS[4] and redis.call('GET', KEYS[4]) ~= ARGV[2] then
  return redis.error_reply('FENCED a newer writer of this source came in')
end
local maxlen = tonumber(ARGV[1])
local tombstone = '@TOMBSTONE@'
local sub, find = string.sub, string.find
local replies = {}
for i = 3, #ARGV do
  local record = ARGV[i]
  local digest = sub(record, 2, 33)
  local colon = find(record, ':', 34, true)
  local uid_end = colon + tonumber(sub(record, 34, colon - 1))
  local uid = sub(record, colon + 1, uid_end)
  local previous = redis.call('HGET', seen, uid)
  local op = nil
  if sub(record, 1, 1) == 'd' then
    if previous and previous ~= tombstone then
      op = 'delete'
      digest = tombstone
    end
  elseif previous ~= digest then
    if not previous or previous == tombstone then op = 'add' else op = 'edit' end
  end
  if op then
    local data = sub(record, uid_end + 1)
    local id = redis.call('XADD', stream, '*', 'uid', uid, 'op', op, 'data', data)
    redis.call('HSET', seen, uid, digest)
    replies[i - 2] = sub(op, 1, 1) .. id
  else
    replies[i - 2] = ''
  end
end
local excess = redis.call('XLEN', stream) - maxlen
if excess > 0 then
  -- Remember the newest entry about to go, in bounded steps (maxlen may have been lowered).
  local start, newest = '-', nil
  while excess > 0 do
    local batch = redis.call('XRANGE', stream, start, '+', 'COUNT', math.min(excess, 1000))
    if #batch == 0 then break end
    newest = batch[#batch][1]
    start = '(' .. newest
    excess = excess - #batch
  end
  if newest then redis.call('SET', trimmed, newest) end
  redis.call('XTRIM', stream, 'MAXLEN', maxlen)
end
return replies
""".replace("@TOMBSTONE@", keys.TOMBSTONE)

_OP_OF_INITIAL: Final = {op.value[0]: op for op in Op}


class FencedError(Exception):
    """An append carried a fencing token that is no longer current: nothing was written."""


@dataclass(frozen=True, slots=True)
class Fence:
    """A fencing token: an append is written only while ``key`` still holds ``token``.

    A poller appends under its source's lock, taking a new token with it
    (:meth:`ingest.store.source_state.SourceState.locked`); a poller paused past its lock's life
    carries an old token, and its writes are refused whenever they finally arrive.
    """

    key: str
    token: int


@dataclass(frozen=True, slots=True)
class AppendOutcome:
    """What one append did.

    ``appended`` is False when nothing was written: the uid's content was already on the stream
    with the same digest, or a delete named a uid unknown or already deleted. ``op`` is the op
    written, or when nothing was, the op asked for (``delete``, else the update's own op).
    """

    appended: bool
    id: str | None
    op: Op


# What an append that wrote nothing returns (immutable, so shared), by the op asked for.
_NOTHING_WRITTEN: Final = {op: AppendOutcome(appended=False, id=None, op=op) for op in Op}


def append_record(update: Update) -> bytes:
    """The script's argument for one update (see :data:`APPEND_SCRIPT`)."""
    uid = update.uid.encode("utf-8")
    hint = b"d" if update.op is Op.DELETE else b"u"
    digest = update.content_digest().encode("ascii")
    return b"%b%b%d:%b%b" % (hint, digest, len(uid), uid, update.stream_data())


def outcome_of(reply: Any, update: Update) -> AppendOutcome:
    """What the script's reply for ``update`` says it did."""
    if not reply:
        return _NOTHING_WRITTEN[update.op]
    text = str(reply)
    return AppendOutcome(appended=True, id=text[1:], op=_OP_OF_INITIAL[text[0]])

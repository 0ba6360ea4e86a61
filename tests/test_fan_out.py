"""The fan-out core and the message budget, without sockets: groups, writes, slow clients, on
both transports (websocket frames and server-sent events)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from tests.plugins.broadcaster import make_update
from ticker.broadcast.fan_out import FanOut
from ticker.broadcast.message_budget import MessageBudget
from ticker.wire.client_filter import Filter
from ticker.wire.framing import EVENT_STREAM
from ticker.wire.protocol import board_message
from ticker.wire.sse import join_events, message_event
from ticker.wire.ws_frames import EncodedUpdate, encode_text_frame, join_frames


@dataclass
class MemorySink:
    """A transport that keeps what is written, with a write buffer the test sets."""

    written: list[bytes] = field(default_factory=list)
    buffered: int = 0
    closing: bool = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return self.buffered


@dataclass(eq=False)
class MemoryPeer:
    """A client as the fan-out sees it, in memory."""

    filter: Filter
    transport: MemorySink = field(default_factory=MemorySink)
    cursor: str | None = None
    gone: bool = False
    is_open: bool = True

    def open(self) -> bool:
        return self.is_open


def encoded(first: int, count: int, *, source: str = "liveblog") -> list[EncodedUpdate]:
    """``count`` stream entries from ``first``, as the reader encodes them."""
    return [
        EncodedUpdate.of(replace(make_update(n, source=source), id=f"{n}-0"))
        for n in range(first, first + count)
    ]


ALL = Filter()
FEED_ONLY = Filter(sources=frozenset({"feed"}))


def test_publish_writes_each_group_its_frames_once_per_client() -> None:
    """Each live client gets one write of what its filter accepts, and its cursor moves."""
    fan_out: FanOut[MemoryPeer] = FanOut(max_pending_bytes=1000)
    everyone, feed_only = MemoryPeer(ALL), MemoryPeer(FEED_ONLY)
    fan_out.add(everyone)
    fan_out.add(feed_only)
    batch = encoded(1, 2) + encoded(3, 1, source="feed")
    sent, slow = fan_out.publish(batch)
    assert slow == []
    assert everyone.transport.written == [join_frames(batch, ALL)[0]]
    assert feed_only.transport.written == [batch[2].frame]
    assert sent == 4
    assert everyone.cursor == feed_only.cursor == "3-0"


def test_a_client_over_the_limit_is_named_slow_and_not_written_to() -> None:
    """A client whose write buffer exceeds the limit gets nothing and is returned as slow."""
    fan_out: FanOut[MemoryPeer] = FanOut(max_pending_bytes=100)
    behind, keeping_up = MemoryPeer(ALL, cursor="1-0"), MemoryPeer(ALL)
    behind.transport.buffered = 101
    fan_out.add(behind)
    fan_out.add(keeping_up)
    _sent, slow = fan_out.publish(encoded(2, 1))
    assert slow == [behind]
    assert behind.transport.written == []
    assert behind.cursor == "1-0"
    assert len(keeping_up.transport.written) == 1


def test_closed_gone_or_closing_clients_get_nothing() -> None:
    """A client closed by the server, closing at the protocol level or its transport, is skipped."""
    fan_out: FanOut[MemoryPeer] = FanOut(max_pending_bytes=1000)
    gone, not_open, closing = MemoryPeer(ALL, gone=True), MemoryPeer(ALL), MemoryPeer(ALL)
    not_open.is_open = False
    closing.transport.closing = True
    for client in (gone, not_open, closing):
        fan_out.add(client)
    sent, slow = fan_out.publish(encoded(1, 1))
    fan_out.broadcast(b"frame")
    assert (sent, slow) == (0, [])
    assert [gone.transport.written, not_open.transport.written, closing.transport.written] == [
        [],
        [],
        [],
    ]


def test_refilter_and_remove_move_clients_between_groups() -> None:
    """A live client's new filter applies to the next batch; a removed client gets nothing."""
    fan_out: FanOut[MemoryPeer] = FanOut(max_pending_bytes=1000)
    client, leaving = MemoryPeer(ALL), MemoryPeer(ALL)
    fan_out.add(client)
    fan_out.add(leaving)
    fan_out.refilter(client, FEED_ONLY)
    fan_out.remove(leaving)
    assert client.filter == FEED_ONLY
    assert list(fan_out.clients()) == [client]
    sent, _slow = fan_out.publish(encoded(1, 1))  # from the liveblog: filtered out
    assert sent == 0
    assert client.transport.written == []
    assert client.cursor == "1-0"  # covered, though not written


def test_refilter_of_a_joining_client_only_changes_its_filter() -> None:
    """A client not yet live stays out of the fan-out when it changes its filter."""
    fan_out: FanOut[MemoryPeer] = FanOut(max_pending_bytes=1000)
    joining = MemoryPeer(ALL)
    fan_out.refilter(joining, FEED_ONLY)
    assert joining.filter == FEED_ONLY
    assert list(fan_out.clients()) == []


def test_an_event_stream_fan_out_writes_events_under_the_same_rules() -> None:
    """/sse's fan-out: the same groups, cursors and slow clients, with events for bytes."""
    fan_out: FanOut[MemoryPeer] = FanOut(max_pending_bytes=100, framing=EVENT_STREAM)
    everyone, feed_only, behind = MemoryPeer(ALL), MemoryPeer(FEED_ONLY), MemoryPeer(ALL)
    behind.transport.buffered = 101
    for client in (everyone, feed_only, behind):
        fan_out.add(client)
    batch = encoded(1, 2) + encoded(3, 1, source="feed")
    sent, slow = fan_out.publish(batch)
    assert (sent, slow) == (4, [behind])
    assert everyone.transport.written == [join_events(batch, ALL)[0]]
    assert everyone.transport.written[0].startswith(b"id: 1-0\nevent: update\ndata: {")
    assert feed_only.transport.written == [join_events(batch[2:], ALL)[0]]
    assert everyone.cursor == feed_only.cursor == "3-0"
    assert behind.transport.written == []
    board = board_message({"current": None})
    fan_out.broadcast(encode_text_frame(board))
    assert everyone.transport.written[-1] == message_event(board)
    assert everyone.transport.written[-1].startswith(b"event: board\ndata: ")


def test_message_budget_allows_a_burst_then_the_rate() -> None:
    """A burst of messages at once, then one more per 1/rate seconds."""
    budget = MessageBudget(burst=3, rate=2.0, now=100.0)
    assert [budget.take(100.0) for _ in range(4)] == [True, True, True, False]
    assert budget.take(100.25) is False
    assert budget.take(100.5) is True
    assert budget.take(100.5) is False
    assert [budget.take(200.0) for _ in range(4)] == [True, True, True, False]

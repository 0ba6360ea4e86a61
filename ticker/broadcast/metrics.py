"""The broadcaster's Prometheus metrics, in a registry of its own (never the global one).

===============================================  =========  ======================================
metric                                           type       meaning
===============================================  =========  ======================================
``soiree_ws_clients``                            gauge      websocket clients connected now
``soiree_ws_connections_total``                  counter    websocket connections accepted
``soiree_sse_clients``                           gauge      ``/sse`` event-stream clients now
``soiree_updates_read_total``                    counter    updates read from the stream
``soiree_updates_sent_total``                    counter    update messages written to clients
                                                            (one per update and client)
``soiree_slow_clients_closed_total``             counter    clients closed with 4008 (too slow)
``soiree_client_errors_total{code}``             counter    error messages sent, by error code
``soiree_rejected_tokens_total{route}``          counter    requests refused for their token (no
                                                            read token, or one that is neither
                                                            the read nor the staff token), by
                                                            route: ws, sse, http
``soiree_rejected_writes_total{reason}``         counter    desk writes (``POST /desk``) refused,
                                                            by reason: token (not the staff
                                                            token), method, invalid, redis
``soiree_redis_up``                              gauge      1 if the last Redis read succeeded
``soiree_redis_read_errors_total``               counter    failed Redis reads (then retried)
``soiree_redis_read_lag_seconds``                histogram  from an entry's append (its id's time)
                                                            to the reader having it
``soiree_stream_last_id_timestamp_seconds``      gauge      time part of the last id read
``soiree_source_up{source}``                     gauge      1 if the source's last poll succeeded
                                                            (its ``state`` is ``ok``), 0 if not
``soiree_source_<field>{source}``                gauge      every numeric field of a source's
                                                            health (consecutive_errors,
                                                            last_status...); timestamps as
                                                            ``..._timestamp_seconds``
``soiree_source_skipped_items{source,reason}``   gauge      items the source's last document
                                                            left out, by reason (its health's
                                                            ``skipped``: no_date, no_text...)
===============================================  =========  ======================================

Source health comes from a callable, read at scrape time: the broadcaster's cached copy of
:func:`ingest.store.health.read_all_health`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "BroadcasterMetrics", "SourceHealthCollector"]

#: The Content-Type of the Prometheus text exposition format.
CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"

HealthReader = Callable[[], Mapping[str, Mapping[str, object]]]

_NOT_NAME: Final = re.compile(r"[^a-zA-Z0-9_]+")
# Health fields holding counts by name: their metric and the label the names go in.
_LABELLED: Final = {"skipped": ("skipped_items", "reason")}
_LAG_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _metric_name(field: str) -> str:
    return _NOT_NAME.sub("_", field).strip("_").lower()


def _timestamp(value: str) -> float | None:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return None
    if instant.tzinfo is None:
        return None
    return instant.timestamp()


def _is_up(health: Mapping[str, object]) -> float | None:
    """1 if the source's health says its last poll worked, 0 if not, None if it does not say."""
    state = health.get("state")
    if state in ("ok", "error"):
        return 1.0 if state == "ok" else 0.0
    for name in ("ok", "up", "healthy"):
        value = health.get(name)
        if isinstance(value, bool):
            return 1.0 if value else 0.0
    errors = health.get("consecutive_errors")
    if isinstance(errors, int | float) and not isinstance(errors, bool):
        return 1.0 if errors == 0 else 0.0
    return None


class SourceHealthCollector(Collector):
    """Per-source gauges built at scrape time from the health mapping."""

    def __init__(self, read: HealthReader) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        """One family per health field seen, labelled by source."""
        health = self._read()
        up = GaugeMetricFamily(
            "soiree_source_up", "1 if the source's last poll succeeded", labels=["source"]
        )
        families: dict[str, GaugeMetricFamily] = {}
        labelled: dict[str, GaugeMetricFamily] = {}
        for source, fields in sorted(health.items()):
            state = _is_up(fields)
            if state is not None:
                up.add_metric([source], state)
            for field, value in sorted(fields.items()):
                if field in _LABELLED and isinstance(value, Mapping):
                    self._add_labelled(labelled, source, field, value)
                    continue
                name = _metric_name(field)
                if not name or name in ("ok", "up", "healthy", "source"):
                    continue
                number: float | None
                if isinstance(value, bool):
                    number = 1.0 if value else 0.0
                elif isinstance(value, int | float):
                    number = float(value)
                elif isinstance(value, str) and (stamp := _timestamp(value)) is not None:
                    number = stamp
                    name = f"{name.removesuffix('_at')}_timestamp_seconds"
                else:
                    continue
                family = families.get(name)
                if family is None:
                    family = families[name] = GaugeMetricFamily(
                        f"soiree_source_{name}",
                        f"the source health field {field!r}",
                        labels=["source"],
                    )
                family.add_metric([source], number)
        yield up
        yield from families.values()
        yield from labelled.values()

    @staticmethod
    def _add_labelled(
        families: dict[str, GaugeMetricFamily],
        source: str,
        field: str,
        counts: Mapping[object, object],
    ) -> None:
        """One sample per name of a counts field (``skipped``: one per reason)."""
        name, label = _LABELLED[field]
        family = families.get(name)
        if family is None:
            family = families[name] = GaugeMetricFamily(
                f"soiree_source_{name}",
                f"the source health field {field!r}, by {label}",
                labels=["source", label],
            )
        for key, count in sorted(counts.items(), key=lambda item: str(item[0])):
            if isinstance(count, int | float) and not isinstance(count, bool):
                family.add_metric([source, str(key)], float(count))


class BroadcasterMetrics:
    """Every metric of one broadcaster, in :attr:`registry`."""

    def __init__(self, *, health: HealthReader | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.clients = Gauge("soiree_ws_clients", "websocket clients connected", registry=registry)
        self.sse_clients = Gauge(
            "soiree_sse_clients", "/sse event-stream clients connected", registry=registry
        )
        self.connections = Counter(
            "soiree_ws_connections", "websocket connections accepted", registry=registry
        )
        self.updates_read = Counter(
            "soiree_updates_read", "updates read from the stream", registry=registry
        )
        self.updates_sent = Counter(
            "soiree_updates_sent",
            "update messages written to clients (one per update and client)",
            registry=registry,
        )
        self.slow_clients_closed = Counter(
            "soiree_slow_clients_closed",
            "clients closed with 4008 because their pending bytes went over the bound",
            registry=registry,
        )
        self.client_errors = Counter(
            "soiree_client_errors", "error messages sent to clients", ["code"], registry=registry
        )
        self.rejected_tokens = Counter(
            "soiree_rejected_tokens",
            "requests refused for their token (missing, or neither the read nor the staff token)",
            ["route"],
            registry=registry,
        )
        self.rejected_writes = Counter(
            "soiree_rejected_writes",
            "desk writes (POST /desk) refused, by reason",
            ["reason"],
            registry=registry,
        )
        self.redis_up = Gauge(
            "soiree_redis_up", "1 if the last Redis read succeeded", registry=registry
        )
        self.redis_read_errors = Counter(
            "soiree_redis_read_errors", "failed Redis reads (retried)", registry=registry
        )
        self.read_lag = Histogram(
            "soiree_redis_read_lag_seconds",
            "time from an entry's append (the time in its id) to the reader having it",
            buckets=_LAG_BUCKETS,
            registry=registry,
        )
        self.last_id_time = Gauge(
            "soiree_stream_last_id_timestamp_seconds",
            "the time part of the last stream id read",
            registry=registry,
        )
        if health is not None:
            registry.register(SourceHealthCollector(health))

    def render(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)

"""``/metrics``' text: this host's process metrics and the gauges read from the store at scrape
time.

The gauges that describe shared state (events appended, relay and view lag, views needing
attention, the spool, the newest checkpoint, the witnesses) are computed when scraped, by
``StoreGauges``, with a few indexed queries and no replay of the log: the same figures whichever
web process answers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import ApplicationRecorder, Mapper
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from tracker.bootstrap import Services

CONTENT_TYPE = CONTENT_TYPE_LATEST
log = logging.getLogger(__name__)


def exposition(services: Services) -> bytes:
    """The text exposition of this host's processes and of the store's gauges."""
    folder = services.settings.metrics_dir
    if folder is not None:
        from prometheus_client import multiprocess

        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted, path=str(folder))  # type: ignore[no-untyped-call]
    else:
        counted = REGISTRY
    measured = CollectorRegistry(auto_describe=False)
    measured.register(StoreGauges(services))
    try:
        gauges = generate_latest(measured)
    except Exception as error:  # the store is down: the process metrics still answer
        log.error("the store's gauges cannot be read: %s", type(error).__name__, exc_info=error)
        gauges = b""
    readable = GaugeMetricFamily("hoso_store_readable",
                                 "1 when the store's gauges could be read, else 0.",
                                 value=1 if gauges else 0)
    up = CollectorRegistry(auto_describe=False)
    up.register(Fixed([readable]))
    return generate_latest(counted) + gauges + generate_latest(up)


class Fixed(Collector):
    """Metrics made beforehand."""

    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        return iter(self.metrics)


def _age(then: datetime | None, now: datetime) -> float:
    return 0.0 if then is None else max((now - then).total_seconds(), 0.0)


def oldest_unrelayed(recorder: ApplicationRecorder, mapper: Mapper[Any], after: int
                     ) -> datetime | None:
    """When the first event after notification ``after`` was recorded (None: there is none)."""
    found = recorder.select_notifications(after, 1, inclusive_of_start=False)
    if not found:
        return None
    stamp: datetime = mapper.to_domain_event(found[0]).timestamp  # type: ignore[attr-defined]
    return stamp


def spool_queue(spool_dir: Path) -> tuple[int, datetime | None]:
    """How many objects wait in a station's spool under ``spool_dir``, and since when the oldest
    has (queue entries are named by their nanosecond enqueue time)."""
    queue = spool_dir / "queue"
    if not queue.is_dir():
        return 0, None
    names = sorted(entry.name for entry in queue.iterdir())
    stamps = [int(n.split("-")[0]) for n in names if n.split("-")[0].isdigit()]
    oldest = datetime.fromtimestamp(min(stamps) / 1e9, UTC) if stamps else None
    return len(names), oldest


class StoreGauges(Collector):
    """The gauges read from the store, the views and this process's witness threads."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        wired = self.services
        custody = wired.application()
        now = custody.clock()
        log = wired.tamper_evident_log()
        leaves = log.size()
        appended = CounterMetricFamily("hoso_events_appended",
                                       "Events appended to the custody log.")
        appended.add_metric([], leaves)
        yield appended
        yield from self._relay(now)
        yield from self._views()
        yield from self._spool(now)
        latest = log.latest_checkpoint()
        age = GaugeMetricFamily("hoso_checkpoint_age_seconds",
                                "Seconds since the newest signed checkpoint.")
        unsigned = GaugeMetricFamily("hoso_checkpoint_unsigned_events",
                                     "Events appended after the newest signed checkpoint.")
        if latest is not None:
            age.add_metric([], _age(latest.time, now))
        unsigned.add_metric([], leaves - (latest.size if latest else 0))
        yield age
        yield unsigned
        yield from self._witnesses()

    def _relay(self, now: datetime) -> Iterator[Metric]:
        events = GaugeMetricFamily("hoso_relay_lag_events",
                                   "Events stored but not yet acknowledged by Kafka.")
        seconds = GaugeMetricFamily("hoso_relay_lag_seconds",
                                    "Age of the oldest event not yet acknowledged by Kafka.")
        if self.services.settings.kafka_bootstrap is not None:
            lag = relay_lag(self.services, now)
            events.add_metric([], lag[0])
            seconds.add_metric([], lag[1])
        yield events
        yield seconds

    def _views(self) -> Iterator[Metric]:
        from tracker.projections.attention import listed

        views = self.services.views()
        progress = views.progress()
        lag = GaugeMetricFamily("hoso_projection_lag_events",
                                "Events the in-process views have not applied yet, by view.",
                                labels=["view"])
        for row in progress["views"]:
            if row["lag"] is not None:
                lag.add_metric([row["view"]], row["lag"])
        yield lag
        attention = GaugeMetricFamily("hoso_views_needing_attention",
                                      "Dossiers whose views could not apply an event.")
        attention.add_metric([], len(listed(views.store)))
        yield attention

    def _spool(self, now: datetime) -> Iterator[Metric]:
        count, oldest = spool_queue(self.services.settings.spool_dir)
        depth = GaugeMetricFamily("hoso_spool_objects",
                                  "Objects waiting in the spool for the object store.")
        depth.add_metric([], count)
        yield depth
        age = GaugeMetricFamily("hoso_spool_oldest_age_seconds",
                                "Seconds the oldest spooled object has waited (0: none).")
        age.add_metric([], _age(oldest, now))
        yield age

    def _witnesses(self) -> Iterator[Metric]:
        seconds = GaugeMetricFamily("hoso_witness_lag_seconds",
                                    "Seconds each witness's cosigned checkpoint is behind the "
                                    "newest.", labels=["witness"])
        leaves = GaugeMetricFamily("hoso_witness_lag_leaves",
                                   "Leaves each witness's cosigned checkpoint is behind the "
                                   "newest.", labels=["witness"])
        cosigning = self.services.cosigning()
        for row in cosigning.status() if cosigning is not None else []:
            seconds.add_metric([row["witness"]], row["behind_seconds"])
            leaves.add_metric([row["witness"]], row["lag_leaves"])
        yield seconds
        yield leaves


def relay_lag(services: Services, now: datetime) -> tuple[int, float]:
    """The Kafka relay's lag: events after its recorded position, and the oldest one's age."""
    from events.relay.kafka import TOPIC

    custody = services.application()
    position = services.relay_positions().get(f"kafka:{TOPIC}")
    end = custody.recorder.max_notification_id() or 0
    oldest = oldest_unrelayed(custody.recorder, custody.mapper, position)
    return max(end - position, 0), _age(oldest, now)

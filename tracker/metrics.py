"""The Prometheus metrics each process keeps: requests, sign-in failures, OCR pages, the
projection consumers' lag.

Each process counts the work it sees. With PROMETHEUS_MULTIPROC_DIR set (read by
prometheus-client itself) every process of a host writes them to files in that folder, which
``tracker.store_gauges.exposition`` sums, so any one web process answers for the web
processes, the relay, the projection consumers and the OCR workers beside it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

REQUEST_SECONDS = Histogram(
    "hoso_http_request_duration_seconds",
    "Time to answer an HTTP request, by route (the URL rule, never the path), method and status.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
SIGN_IN_FAILURES = Counter(
    "hoso_sign_in_failures", "Page sign-ins refused for a wrong staff id or password.")
OCR_PAGES = Counter("hoso_ocr_pages", "Pages cleaned and read by OCR workers.")
OCR_SECONDS_PER_PAGE = Histogram(
    "hoso_ocr_seconds_per_page", "An OCR job's time divided by its pages.",
    buckets=(0.25, 0.5, 1, 2, 4, 8, 16, 32, 64))
CONSUMER_LAG = Gauge(
    "hoso_projection_consumer_lag_seconds",
    "Age of the newest event a Kafka projection consumer applied in its last batch (0 once a "
    "poll finds its partitions drained), by view; the largest of the live consumers.",
    ["view"], multiprocess_mode="livemax")


def count_pages(pages: int, seconds: float) -> None:
    """An OCR job of ``pages`` pages done in ``seconds``."""
    if pages > 0:
        OCR_PAGES.inc(pages)
        OCR_SECONDS_PER_PAGE.observe(seconds / pages)


def consumer_lag(views: Iterable[str], seconds: float) -> None:
    """A projection consumer's lag after a batch (0 when a poll found nothing)."""
    for view in views:
        CONSUMER_LAG.labels(view).set(seconds)


class Stopwatch:
    """Seconds since it was made (monotonic)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.started

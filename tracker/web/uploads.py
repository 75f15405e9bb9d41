"""Upload slots: how many uploads one web process cleans and reads at once.

An upload holds its web thread until its pages are cleaned and read: seconds a page, minutes
for a big batch. Unbounded, a few stations uploading at once take every thread of the process,
and the counters' receipts and handovers queue behind them (docs/capacity.md: receive's p99
went from 25 ms to 39 s). So one process works on at most ``UPLOAD_SLOTS`` uploads at once (the
app's config; ``hoso serve`` gives half its threads, at least one). Another upload is answered
503 with ``Retry-After`` before its files are parsed, and the station sends it again. The pages
are read by the same worker processes either way, so the bound costs no throughput.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from werkzeug.exceptions import ServiceUnavailable

UPLOAD_SLOTS = 4  # half of hoso serve's default threads
RETRY_AFTER_SECONDS = 15


class UploadsBusy(ServiceUnavailable):
    """Every upload slot of this process is taken: send the upload again after
    ``retry_after`` seconds."""

    def __init__(self) -> None:
        super().__init__(
            f"this server is processing as many uploads as it takes at once; send the files "
            f"again in {RETRY_AFTER_SECONDS} s", retry_after=RETRY_AFTER_SECONDS)


def init(app: Flask) -> None:
    """The app's slots, from its ``UPLOAD_SLOTS``."""
    size = int(app.config.get("UPLOAD_SLOTS", UPLOAD_SLOTS))
    app.extensions["hoso.upload_slots"] = threading.BoundedSemaphore(max(1, size))


def upload_slots() -> threading.BoundedSemaphore:
    """The current app's slots."""
    slots: threading.BoundedSemaphore = current_app.extensions["hoso.upload_slots"]
    return slots


@contextmanager
def upload_slot() -> Iterator[None]:
    """Hold one upload slot while the block runs; ``UploadsBusy`` at once when none is free."""
    slots = upload_slots()
    if not slots.acquire(blocking=False):
        raise UploadsBusy()
    try:
        yield
    finally:
        slots.release()

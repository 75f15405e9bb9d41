"""``hoso worker ocr``: one OCR worker of the Kafka consumer group (scale-out of ``hoso scan``)."""

from __future__ import annotations

import os
import socket

import click

from tracker.cli.output import emit, json_option
from tracker.settings import Settings


@click.group()
def worker() -> None:
    """Background workers."""


@worker.command()
@click.option("--name", help="This worker's name in results and logs (default host:pid).")
@json_option
def ocr(name: str | None) -> None:
    """Clean and OCR pages queued by stations (hoso.ocr-jobs) until SIGTERM or SIGINT."""
    from scanning.ocr import OcrSettings
    from tracker.bootstrap import object_store
    from tracker.cli.relay import kafka_bootstrap, log_to_stderr, stop_on_signals
    from tracker.ocr_queue import run_worker

    settings = Settings.from_environ()
    bootstrap = kafka_bootstrap(settings, "take OCR jobs from")
    log_to_stderr()
    name = name or f"{socket.gethostname()}:{os.getpid()}"
    done = run_worker(bootstrap, object_store(settings), OcrSettings(), name,
                      stop_on_signals())
    emit({"worker": name, "jobs": done}, lambda: [f"{name}: {done} job(s) done"])


COMMANDS = [worker]

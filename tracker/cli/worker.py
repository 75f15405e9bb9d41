"""``hoso worker ocr``: one OCR worker of the Kafka consumer group (scale-out of ``hoso scan``)."""

from __future__ import annotations

import os
import socket

import click

from tracker.cli.context import services
from tracker.cli.output import emit, json_option


@click.group()
def worker() -> None:
    """Background workers."""


@worker.command()
@click.option("--name", help="This worker's name in results and logs (default host:pid).")
@json_option
def ocr(name: str | None) -> None:
    """Clean and OCR pages queued by stations (hoso.ocr-jobs) until SIGTERM or SIGINT."""
    from tracker.cli.relay import log_to_stderr, stop_on_signals

    wired = services()
    wired.kafka("take OCR jobs from")  # refuses before anything starts
    log_to_stderr()
    name = name or f"{socket.gethostname()}:{os.getpid()}"
    done = wired.run_ocr_worker(name, stop_on_signals())
    emit({"worker": name, "jobs": done}, lambda: [f"{name}: {done} job(s) done"])


COMMANDS = [worker]

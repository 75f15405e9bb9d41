"""``hoso relay`` and ``hoso project --from-kafka``: the two ends of hoso.dossier-events.

The relay, its CloudEvents mapping and the projection consumer group are wired by the composition
root (``tracker.bootstrap.Services``); this module runs them until SIGTERM/SIGINT. kafka-python (a
third of a second to import) is loaded only by the functions that talk to Kafka, not by every
``hoso`` command.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import click

from tracker.cli.context import services

log = logging.getLogger("hoso.cli")


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT, so a service manager's stop ends the loop cleanly."""
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def log_to_stderr() -> None:
    """JSON log lines on stderr, as every long-running command writes them."""
    from tracker.logs import configure_logging

    configure_logging()


@click.command()
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=1000, show_default=True,
              help="Events read and published per acknowledged batch.")
def relay(batch_size: int) -> None:
    """Publish stored events to Kafka topic hoso.dossier-events until SIGTERM/SIGINT."""
    from events.relay.kafka import TOPIC

    wired = services()
    bootstrap = wired.kafka("relay to")
    wired.application().province()  # refuses clearly when the store was never initialised
    stop = stop_on_signals()
    log_to_stderr()
    log.info("relaying to %s topic %s", bootstrap, TOPIC)
    wired.relay(batch_size=batch_size).run(stop)
    log.info("relay stopped")


def project_from_kafka(group: str | None = None, max_records: int = 500) -> None:
    """``hoso project --from-kafka``: keep the views as a member of a Kafka consumer group
    (HOSO_KAFKA_GROUP unless ``group``) until SIGTERM/SIGINT; start more members to share the
    partitions."""
    from events.relay.kafka import TOPIC

    wired = services()
    bootstrap = wired.kafka("project from")
    wired.application().province()  # refuses clearly when the store was never initialised
    stop = stop_on_signals()
    log_to_stderr()
    group = group or wired.settings.kafka_group
    log.info("projecting %s from %s as group %s", TOPIC, bootstrap, group)
    wired.kafka_projection(group, max_records).run(stop)
    log.info("projection consumer stopped")


COMMANDS = [relay]

"""``hoso relay`` and ``hoso project --from-kafka``: the two ends of hoso.dossier-events.

The relay itself (``events.relay``) knows nothing of dossiers; this module wires in the tracker's
CloudEvents mapping and the settings, for the command and for ``hoso serve``'s relay thread, and
wires the projection consumer group to the projector. kafka-python (a third of a second to
import) is loaded only by the functions that talk to Kafka, not by every ``hoso`` command.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from types import FrameType

import click
from eventsourcing.persistence import Notification

from events.relay import Message, Relay
from events.relay_position import relay_positions
from tracker.application import CustodyApplication
from tracker.cli.context import application
from tracker.cloudevents import DossierFacts
from tracker.domain.errors import BadInput
from tracker.projections.views import open_views
from tracker.settings import Settings


class CloudEventMessages:
    """Stored events → Kafka messages: a dossier's events as structured-mode CloudEvents keyed
    by the dossier id, so all of them land in one partition, in order; others are not sent."""

    def __init__(self, custody: CustodyApplication, origin: str) -> None:
        self.facts = DossierFacts.of(custody.recorder, custody.mapper)
        self.origin = origin

    def __call__(self, notification: Notification) -> Message | None:
        event = self.facts.cloudevent(notification, self.origin)
        if event is None:
            return None
        return Message(key=str(notification.originator_id).encode(),
                       value=json.dumps(event, ensure_ascii=False,
                                        separators=(",", ":")).encode())


def build_relay(custody: CustodyApplication, settings: Settings, bootstrap: str,
                topic: str | None = None, batch_size: int = 1000) -> Relay:
    """The relay of ``custody``'s store to ``topic`` (hoso.dossier-events unless another is
    given) on the Kafka cluster at ``bootstrap``."""
    from events.kafka import TOPIC, KafkaPublisher

    topic = topic or TOPIC
    return Relay(custody.recorder, relay_positions(custody.recorder),
                 KafkaPublisher(bootstrap, topic), CloudEventMessages(custody, settings.log_origin),
                 name=f"kafka:{topic}", batch_size=batch_size)


def kafka_bootstrap(settings: Settings, purpose: str) -> str:
    if settings.kafka_bootstrap is None:
        raise BadInput(f"HOSO_KAFKA_BOOTSTRAP is not set: there is no Kafka to {purpose}")
    return settings.kafka_bootstrap


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT, so a service manager's stop ends the loop cleanly."""
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def log_to_stderr() -> None:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)


@click.command()
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=1000, show_default=True,
              help="Events read and published per acknowledged batch.")
def relay(batch_size: int) -> None:
    """Publish stored events to Kafka topic hoso.dossier-events until SIGTERM/SIGINT."""
    from events.kafka import TOPIC

    settings = Settings.from_environ()
    bootstrap = kafka_bootstrap(settings, "relay to")
    custody = application()
    custody.province()  # refuses clearly when the store was never initialised
    stop = stop_on_signals()
    log_to_stderr()
    click.echo(f"hoso: relaying to {bootstrap} topic {TOPIC}", err=True)
    build_relay(custody, settings, bootstrap, batch_size=batch_size).run(stop)
    click.echo("hoso: relay stopped", err=True)


def project_from_kafka(group: str | None = None, max_records: int = 500) -> None:
    """``hoso project --from-kafka``: keep the views as a member of a Kafka consumer group
    (HOSO_KAFKA_GROUP unless ``group``) until SIGTERM/SIGINT; start more members to share the
    partitions."""
    from events.kafka import TOPIC, KafkaSubscription
    from tracker.projections.kafka_consumer import KafkaProjection

    settings = Settings.from_environ()
    bootstrap = kafka_bootstrap(settings, "project from")
    views = open_views(application())
    views.app.province()  # refuses clearly when the store was never initialised
    stop = stop_on_signals()
    log_to_stderr()
    group = group or settings.kafka_group
    click.echo(f"hoso: projecting {TOPIC} from {bootstrap} as group {group}", err=True)
    subscription = KafkaSubscription(bootstrap, group, max_records=max_records)
    KafkaProjection(subscription, views.projector).run(stop)
    click.echo("hoso: projection consumer stopped", err=True)


COMMANDS = [relay]

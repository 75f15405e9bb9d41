"""The relay under faults: the broker gone for 30 s under load, and the relay killed mid-batch.

Each test ends the same way: the consumer group's views equal views rebuilt from the log, every
dossier at its latest version, and every stored event on the topic in per-dossier order.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from events.relay.kafka import TOPIC, KafkaPublisher, KafkaSubscription
from events.relay.publisher import Backoff, Message, Relay
from tests.hoso_cli import Hoso
from tests.kafka_scenario import (
    Load,
    Process,
    assert_topic_holds_the_log,
    assert_views_equal_a_rebuild,
    stored_versions,
    view_versions,
    wait_for,
)
from tests.servers.tansu import Tansu
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.cloudevents import CloudEventMessages
from tracker.projections.kafka_consumer import KafkaProjection

OUTAGE_SECONDS = 30
RELAY = f"kafka:{TOPIC}"


@pytest.fixture
def consumer(services: Services) -> Iterator[Callable[[str], KafkaProjection]]:
    """Starts in-process members of the projection group; stops them at the end."""
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start(bootstrap: str) -> KafkaProjection:
        projection = KafkaProjection(KafkaSubscription(bootstrap, "hoso-projections"),
                                     services.open_views().projector)
        thread = threading.Thread(target=projection.run, args=(stop,), daemon=True)
        thread.start()
        threads.append(thread)
        return projection

    yield start
    stop.set()
    for thread in threads:
        thread.join(15)


def hoso_for(store_env: dict[str, str], broker: Tansu) -> Hoso:
    return Hoso({**store_env, "HOSO_KAFKA_BOOTSTRAP": broker.bootstrap})


def views_caught_up(services: Services) -> bool:
    return view_versions(services) == stored_versions(services.application())


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_broker_stopped_30_s_under_a_load_of_handovers(
        services: Services, custody: CustodyApplication, store_env: dict[str, str],
        durable_tansu: Tansu, consumer: Callable[[str], KafkaProjection]) -> None:
    # GIVEN the relay as its own process, a projection consumer, and handovers going on
    relay = Process(hoso_for(store_env, durable_tansu), "relay")
    load = Load(custody, dossiers=20)
    projection = consumer(durable_tansu.bootstrap)
    try:
        load.start()
        wait_for(lambda: projection.consumed.applied > 20, 30, "views following the topic")
        # WHEN the broker stops for 30 s while handovers go on, then comes back. It is stopped
        # with no produce request half done: tansu's object-store engine records an idempotent
        # producer's sequence number before the batch, so a broker stopped between the two
        # answers the retry "duplicate" and the batch is lost though acknowledged (seen once
        # here; nisshi-io/nisshi#742 on the same engine). Kafka writes both in one log append.
        relay.pause()
        time.sleep(1)  # requests already sent finish on the broker
        durable_tansu.stop()
        relay.resume()
        steps_before = load.steps
        time.sleep(OUTAGE_SECONDS)
        assert load.steps > steps_before + 100, "custody must go on while Kafka is down"
        durable_tansu.start()
        time.sleep(2)
        load.stop()
        # THEN the relay and the consumer catch up on their own
        last = custody.recorder.max_notification_id()
        wait_for(lambda: services.relay_positions().get(RELAY) == last, 90,
                 "relay publishing the backlog")
        wait_for(lambda: views_caught_up(services), 60, "views catching up")
    finally:
        load.stop()
        relay.terminate()
    # … with every event on the topic in dossier order, and views equal to a rebuild
    assert_topic_holds_the_log(custody, durable_tansu.bootstrap)
    assert_views_equal_a_rebuild(services)


def test_relay_killed_mid_batch_resumes_from_its_recorded_position(
        services: Services, custody: CustodyApplication, store_env: dict[str, str],
        tansu: Tansu, consumer: Callable[[str], KafkaProjection]) -> None:
    # GIVEN a backlog of 360 events and the relay publishing it 5 at a time
    load = Load(custody, dossiers=60)
    for _ in range(150):
        load.step()
    hoso = hoso_for(store_env, tansu)
    last = custody.recorder.max_notification_id() or 0
    positions = services.relay_positions()
    relay = Process(hoso, "relay", "--batch-size", "5")
    # WHEN it is killed with SIGKILL part-way through
    wait_for(lambda: positions.get(RELAY) > 0, 30, "the relay starting to publish")
    relay.kill()
    killed_at = positions.get(RELAY)
    assert 0 < killed_at < last, "the kill must land mid-backlog"
    # … and started again
    relay = Process(hoso, "relay", "--batch-size", "5")
    try:
        wait_for(lambda: positions.get(RELAY) == last, 60, "the restarted relay catching up")
    finally:
        relay.terminate()
    # THEN nothing is missing or out of order (copies of the killed batch may be there twice)
    assert_topic_holds_the_log(custody, tansu.bootstrap)
    # … and the consumer group's views apply each event once: equal to a rebuild
    consumer(tansu.bootstrap)
    wait_for(lambda: views_caught_up(services), 60, "views catching up")
    assert_views_equal_a_rebuild(services)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # a broker fault: one store
def test_broker_away_longer_than_the_delivery_timeout(
        services: Services, custody: CustodyApplication, durable_tansu: Tansu,
        caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN a relay whose producer gives a batch up after 2 s, publishing a load of handovers
    relay = Relay(custody.recorder, services.relay_positions(),
                  KafkaPublisher(durable_tansu.bootstrap, delivery_timeout_ms=2_000),
                  CloudEventMessages(custody, "hoso/custody-log"), name=RELAY,
                  batch_size=20, backoff=Backoff(first=0.2, most=1.0))
    load = Load(custody, dossiers=10, steps_per_second=30)
    stop = threading.Event()
    caplog.set_level(logging.WARNING, logger="events.relay.publisher")
    thread = relay.start(stop)
    try:
        load.start()
        wait_for(lambda: relay.published > 20, 30, "the relay publishing")
        # WHEN the broker is gone for 6 s while handovers go on: batches expire, the relay
        # backs off and resends. The broker stops with the relay caught up, so no produce
        # request is half done (tansu can then lose an acknowledged batch: DESIGN-NOTES).
        load.stop()
        wait_for(lambda: services.relay_positions().get(RELAY)
                 == custody.recorder.max_notification_id(), 30, "the relay catching up")
        durable_tansu.stop()
        outage_ends = time.monotonic() + 6
        while time.monotonic() < outage_ends:
            load.step()
            time.sleep(1 / 30)
        durable_tansu.start()
        time.sleep(1)
        last = custody.recorder.max_notification_id()
        wait_for(lambda: services.relay_positions().get(RELAY) == last, 60,
                 "the relay resending after the outage")
    finally:
        load.stop()
        stop.set()
        thread.join(15)
    assert "broker did not acknowledge" in caplog.text
    # THEN every event is on the topic, each dossier's in version order
    assert_topic_holds_the_log(custody, durable_tansu.bootstrap)


def test_a_reset_publisher_stops_the_old_producers_sender(tansu: Tansu) -> None:
    """GIVEN a batch the broker never answers (the broker frozen) WHEN the publisher is reset,
    as the relay does before resending THEN the old producer's sender thread stops: left
    running it would retry the old batch beside the resend, out of order with it."""
    publisher = KafkaPublisher(tansu.bootstrap, "hoso.reset-test")
    publisher.send([Message(b"k", b"first")]).wait(threading.Event())  # metadata, one ack
    tansu.freeze()
    try:
        publisher.send([Message(b"k", b"unanswered")])
        producer = publisher._producer
        assert producer is not None
        sender = producer._sender
        publisher.reset()
        sender.join(5)
        assert not sender.is_alive()
    finally:
        tansu.thaw()

"""The views as a Kafka consumer group: duplicates at new offsets and a killed consumer.

Each test ends with the views equal to views rebuilt from the log: no event missing, none
applied twice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Producer

from events.relay.kafka import TOPIC, KafkaPublisher, KafkaSubscription
from events.relay.publisher import Relay
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


def publish_all(relay: Relay) -> None:
    """Everything stored after the relay's recorded position, acknowledged and recorded."""
    relay.relay_available(relay.positions.get(relay.name), threading.Event())


def replaying_relay(services: Services, bootstrap: str) -> Relay:
    """A relay whose position was never recorded (as after a crash before any record): it
    sends the whole log again, so each event lands a second time at a new offset."""
    custody = services.application()
    return Relay(custody.recorder, services.relay_positions(),
                 KafkaPublisher(bootstrap), CloudEventMessages(custody, "hoso/custody-log"),
                 name=f"kafka:{TOPIC}:replay")


@pytest.fixture
def projection(services: Services, tansu: Tansu) -> Iterator[KafkaProjection]:
    """One in-process member of the projection group."""
    member = KafkaProjection(KafkaSubscription(tansu.bootstrap, "hoso-projections"),
                             services.open_views().projector)
    stop = threading.Event()
    thread = threading.Thread(target=member.run, args=(stop,), daemon=True)
    thread.start()
    yield member
    stop.set()
    thread.join(15)


def caught_up(services: Services) -> bool:
    return view_versions(services) == stored_versions(services.application())


def test_an_event_delivered_twice_at_another_offset_is_applied_once(
        services: Services, custody: CustodyApplication, tansu: Tansu,
        projection: KafkaProjection) -> None:
    # GIVEN 30 dossiers with fees and handovers, published and projected
    load = Load(custody, dossiers=30)
    for n, code in enumerate(load.codes):
        custody.collect_fee(code, by=load.cast.receiver, amount=10_000 * (n + 1))
    for _ in range(40):
        load.step()
    relay = services.relay(servers=tansu.bootstrap)
    publish_all(relay)
    first_time = sum(stored_versions(custody).values())
    # the member counts a poll after its view transaction and offset commit: wait for both
    wait_for(lambda: caught_up(services) and projection.consumed.applied >= first_time, 60,
             "views following the topic")
    assert projection.consumed.applied == first_time
    # WHEN the whole log is delivered again at new offsets, with new events after it
    publish_all(replaying_relay(services, tansu.bootstrap))
    for _ in range(10):
        load.step()
    publish_all(relay)
    wait_for(lambda: caught_up(services) and projection.consumed.applied >= first_time + 20, 60,
             "views following the redelivery")
    # THEN every redelivered event was recognised as a duplicate, and only new ones applied
    assert assert_topic_holds_the_log(custody, tansu.bootstrap) == first_time
    assert projection.consumed.duplicates == first_time
    assert projection.consumed.applied == first_time + 20
    assert projection.consumed.skipped == 0
    # … so fees and figures are counted once: the views equal a rebuild
    assert_views_equal_a_rebuild(services)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # PostgreSQL: relay faults
def test_projection_consumer_killed_mid_batch_and_restarted(
        services: Services, custody: CustodyApplication, store_env: dict[str, str],
        tansu: Tansu) -> None:
    # GIVEN 600 events on the topic and `hoso project --from-kafka` applying them 5 at a time
    load = Load(custody, dossiers=100)
    for _ in range(250):
        load.step()
    publish_all(services.relay(servers=tansu.bootstrap))
    hoso = Hoso({**store_env, "HOSO_KAFKA_BOOTSTRAP": tansu.bootstrap})
    consumer = Process(hoso, "project", "--from-kafka", "--max-records", "5")
    # WHEN it is killed with SIGKILL once some views are written
    wait_for(lambda: len(view_versions(services)) > 0, 60, "the consumer applying events")
    consumer.kill()
    assert not caught_up(services), "the kill must land before the end of the topic"
    # … and a new member of the group starts
    consumer = Process(hoso, "project", "--from-kafka")
    try:
        wait_for(lambda: caught_up(services), 60, "the restarted consumer catching up")
    finally:
        stderr = consumer.terminate()
    assert "projection consumer stopped" in stderr
    # THEN the views equal a rebuild: nothing was missed or applied twice
    assert_views_equal_a_rebuild(services)


def test_project_from_kafka_without_a_broker_address_is_bad_input(tmp_path: Path) -> None:
    done = Hoso({"HOSO_DATA_DIR": str(tmp_path / "var")})("project", "--from-kafka")
    assert done.code == 2
    assert done.stderr.strip().splitlines() == [
        "hoso: HOSO_KAFKA_BOOTSTRAP is not set: there is no Kafka to project from"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # consumer logic: one store
def test_a_message_that_is_not_a_hoso_cloudevent_is_skipped(
        services: Services, custody: CustodyApplication, tansu: Tansu,
        projection: KafkaProjection) -> None:
    # GIVEN a topic where a foreign message sits between hoso's events
    load = Load(custody, dossiers=3)
    relay = services.relay(servers=tansu.bootstrap)
    publish_all(relay)
    foreign = Producer({"bootstrap.servers": tansu.bootstrap})
    foreign.produce(TOPIC, key=b"not-a-dossier", value=b'{"specversion": "1.0"}')
    foreign.produce(TOPIC, key=b"not-json", value=b"\xff garbage")
    assert foreign.flush(10) == 0
    load.step()
    publish_all(relay)
    # WHEN the consumer group reads it all
    # (the member counts a poll after its view transaction and offset commit: wait for both)
    stored = sum(stored_versions(custody).values())
    wait_for(lambda: caught_up(services) and projection.consumed.skipped >= 2
             and projection.consumed.applied >= stored, 60, "views following the topic")
    # THEN the foreign messages were skipped and every hoso event applied once
    assert projection.consumed.skipped == 2
    assert projection.consumed.applied == stored
    assert_views_equal_a_rebuild(services)

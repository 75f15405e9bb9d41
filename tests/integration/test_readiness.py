"""``/readyz`` beyond the store and the views: 503 naming what is wrong when the object store
is unreachable, Kafka does not answer, the relay lags beyond its threshold, or events have
waited for a signed checkpoint longer than the signing window and its grace."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.conftest import ManualClock
from tests.integration.test_metrics import day_at_the_counter
from tests.servers.hoso import free_port
from tests.servers.tansu import Tansu
from tracker.bootstrap import Services, compose
from tracker.settings import Settings
from tracker.web import create_app


@contextmanager
def composed(env: dict[str, str], clock: ManualClock, province: dict[str, Any]
             ) -> Iterator[Services]:
    services = compose(Settings.from_environ(env), clock=clock)
    try:
        services.application().load_province(province)
        yield services
    finally:
        services.close()


def readiness(services: Services) -> tuple[int, dict[str, Any]]:
    answer = create_app(services, {"TESTING": True}).test_client().get("/readyz")
    return answer.status_code, answer.get_json()


def test_an_unreachable_object_store_is_named(tmp_path: Path, clock: ManualClock,
                                              demo_document: dict[str, Any]) -> None:
    """GIVEN the object store configured at an address where nothing listens
    THEN /readyz answers 503 naming the object store, and says the store itself is fine."""
    env = {"HOSO_DATA_DIR": str(tmp_path / "var"), "HOSO_S3_ENDPOINT": f"127.0.0.1:{free_port()}",
           "HOSO_S3_ACCESS_KEY": "hoso", "HOSO_S3_SECRET_KEY": "hoso-secret",
           "HOSO_S3_SECURE": "false"}
    with composed(env, clock, demo_document) as services:
        status, body = readiness(services)
    assert status == 503
    assert [p for p in body["problems"] if p.startswith("the object store cannot be reached")]
    assert body["checks"]["object_store"] == {"reachable": False}
    assert body["checks"]["store"]["position"] > 0


def test_kafka_that_does_not_answer_is_named(tmp_path: Path, clock: ManualClock,
                                             demo_document: dict[str, Any]) -> None:
    """GIVEN HOSO_KAFKA_BOOTSTRAP naming an address where nothing listens
    THEN /readyz answers 503 naming Kafka within its short timeout."""
    port = free_port()
    env = {"HOSO_DATA_DIR": str(tmp_path / "var"), "HOSO_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}"}
    with composed(env, clock, demo_document) as services:
        status, body = readiness(services)
    assert status == 503
    assert [p for p in body["problems"] if p.startswith(f"Kafka at 127.0.0.1:{port} does not")]
    assert body["checks"]["kafka"] == {"reachable": False}


def test_a_lagging_relay_is_named_until_it_catches_up(tmp_path: Path, tansu: Tansu,
                                                      demo_document: dict[str, Any]) -> None:
    """GIVEN Kafka answering, HOSO_READY_RELAY_LAG_EVENTS=3 and a day's work not yet relayed
    THEN /readyz answers 503 naming the relay's lag;
    WHEN the relay publishes the events THEN it answers 200."""
    env = {"HOSO_DATA_DIR": str(tmp_path / "var"), "HOSO_KAFKA_BOOTSTRAP": tansu.bootstrap,
           "HOSO_READY_RELAY_LAG_EVENTS": "3"}
    with composed(env, ManualClock(datetime.now(UTC)), demo_document) as services:
        day_at_the_counter(services, services.application())
        status, body = readiness(services)
        assert status == 503, body
        assert [p for p in body["problems"] if p.startswith("the Kafka relay is ")], body
        assert body["checks"]["kafka"] == {"reachable": True}
        services.relay().relay_available(0, threading.Event())
        status, body = readiness(services)
    assert status == 200, body
    assert body["checks"]["relay"]["lag_events"] == 0


def test_events_unsigned_beyond_the_window_are_named(tmp_path: Path,
                                                     demo_document: dict[str, Any]) -> None:
    """GIVEN a store with an audit key and no checkpoint signer running
    WHEN a dossier is received and the signing window and its grace go by
    THEN /readyz answers 503 naming the unsigned events;
    WHEN a checkpoint is signed THEN it answers 200."""
    env = {"HOSO_DATA_DIR": str(tmp_path / "var"), "HOSO_CHECKPOINT_SECONDS": "10",
           "HOSO_CHECKPOINT_GRACE": "30"}
    compose(Settings.from_environ(env)).make_audit_key()
    clock = ManualClock(datetime.now(UTC))
    with composed(env, clock, demo_document) as services:
        day_at_the_counter(services, services.application())
        assert readiness(services)[0] == 200
        clock.advance(seconds=41)
        status, body = readiness(services)
        assert status == 503, body
        assert [p for p in body["problems"]
                if "waited" in p and "for a signed checkpoint" in p], body
        services.checkpointer().step(final=True)
        status, body = readiness(services)
    assert status == 200, body
    assert body["checks"]["checkpoint"]["unsigned_events"] == 0

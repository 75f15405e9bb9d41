"""The relay against a real broker, read back by a client that is not hoso's (confluent-kafka).

Every stored dossier event must be on hoso.dossier-events exactly once (when nothing crashed),
as a CloudEvents 1.0 structured-JSON message that validates against the spec's JSON schema,
keyed by its dossier id and in version order within that key.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema

from events.relay.kafka import CONTENT_TYPE, TOPIC
from events.relay.publisher import Relay
from tests.cast import Cast, cast_from
from tests.hoso_cli import Hoso
from tests.servers.tansu import Tansu
from tests.topic_reader import Read, read_topic
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.cloudevents import DOSSIER_TOPICS
from tracker.domain.province import Province
from tracker.province_file import demo_province_path, load_province_file

SCHEMA = json.loads((Path(__file__).parents[1] / "samples" / "cloudevents"
                     / "cloudevents-1.0.schema.json").read_text(encoding="utf-8"))
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def make_dossiers(custody: CustodyApplication, cast: Cast, count: int,
                  first: int = 0) -> list[str]:
    """``count`` dossiers, each received, paid, handed over, accepted and resolved (5 events)."""
    codes = []
    for n in range(first, first + count):
        code = custody.receive(office=cast.commune, procedure=cast.procedure.code,
                               applicant_name=f"Công dân {n}", applicant_id=f"0{n:011d}",
                               actor=cast.receiver, components=cast.components)["code"]
        custody.collect_fee(code, by=cast.receiver, amount=50_000)
        custody.hand_over(code, by=cast.receiver, to_office=cast.agency, courier=cast.courier)
        custody.accept(code, by=cast.official, office=cast.agency)
        custody.resolve(code, by=cast.official)
        codes.append(code)
    return codes


def stored_dossier_events(custody: CustodyApplication) -> list[tuple[str, int]]:
    """(dossier id, version) of every stored dossier event, in log order."""
    return [(str(n.originator_id), n.originator_version)
            for n in custody.recorder.select_notifications(1, 1_000_000)
            if n.topic in DOSSIER_TOPICS]


def relay_until_caught_up(relay: Relay, custody: CustodyApplication) -> None:
    stop = threading.Event()
    thread = relay.start(stop)
    target = custody.recorder.max_notification_id() or 0
    deadline = time.monotonic() + 30
    try:
        while relay.positions.get(relay.name) < target:
            assert time.monotonic() < deadline, "the relay did not catch up within 30 s"
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def assert_well_formed(read: Read) -> dict[str, Any]:
    event: dict[str, Any] = read.json()
    jsonschema.validate(event, SCHEMA, format_checker=jsonschema.FormatChecker())
    # jsonschema checks these two formats only with optional packages: check them here
    assert RFC3339_UTC.match(event["time"]), event["time"]
    assert event["source"].startswith("/")
    assert " " not in event["source"]
    assert event["specversion"] == "1.0"
    assert read.headers[CONTENT_TYPE[0]] == CONTENT_TYPE[1]
    assert read.key == event["hosodossierid"].encode()
    assert event["id"] == f"{event['hosodossierid']}:{event['hosoversion']}"
    return event


def test_each_stored_event_once_as_a_valid_cloudevent_in_version_order(
        services: Services, custody: CustodyApplication, tansu: Tansu) -> None:
    # GIVEN 12 dossiers that each went through five custody steps
    cast = cast_from(custody.province())
    codes = make_dossiers(custody, cast, 12)
    # WHEN the relay has published the log
    relay_until_caught_up(services.relay(servers=tansu.bootstrap), custody)
    # THEN librdkafka reads one well-formed CloudEvent per stored dossier event
    reads = read_topic(tansu.bootstrap)
    events = [assert_well_formed(read) for read in reads]
    published = [(e["hosodossierid"], e["hosoversion"]) for e in events]
    assert sorted(published) == sorted(stored_dossier_events(custody))
    assert len(set(published)) == len(published) == 12 * 5
    # … each dossier's in one partition, in version order, with its code as subject
    by_key: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for read, event in zip(reads, events, strict=True):
        by_key[event["hosodossierid"]].append((read.partition, read.offset,
                                               event["hosoversion"]))
        assert event["subject"] in codes
        datetime.fromisoformat(event["time"])
    for entries in by_key.values():
        assert len({partition for partition, _, _ in entries}) == 1
        assert [version for _, _, version in sorted(entries)] == [1, 2, 3, 4, 5]
    assert {e["type"] for e in events} == {
        "vn.hoso.dossier.received.v1", "vn.hoso.dossier.fee_collected.v1",
        "vn.hoso.dossier.handed_over.v1", "vn.hoso.dossier.accepted.v1",
        "vn.hoso.dossier.resolved.v1"}
    assert all("applicant_id" not in e["data"] for e in events)


def test_a_restarted_relay_resumes_after_its_recorded_position(
        services: Services, custody: CustodyApplication, tansu: Tansu) -> None:
    # GIVEN a relay that published 4 dossiers and stopped
    cast = cast_from(custody.province())
    make_dossiers(custody, cast, 4)
    relay_until_caught_up(services.relay(servers=tansu.bootstrap), custody)
    positions = services.relay_positions()
    assert positions.get(f"kafka:{TOPIC}") == custody.recorder.max_notification_id()
    # WHEN 3 more are stored and a new relay process starts (fresh state, same database)
    make_dossiers(custody, cast, 3, first=4)
    relay_until_caught_up(services.relay(servers=tansu.bootstrap), custody)
    # THEN the topic holds every event exactly once: nothing re-sent, nothing skipped
    published = [(e["hosodossierid"], e["hosoversion"])
                 for e in (read.json() for read in read_topic(tansu.bootstrap))]
    assert len(published) == len(set(published)) == 7 * 5
    assert sorted(published) == sorted(stored_dossier_events(custody))


def test_relay_without_a_broker_address_is_bad_input(tmp_path: Path) -> None:
    hoso = Hoso({"HOSO_DATA_DIR": str(tmp_path / "var")})
    done = hoso("relay")
    assert done.code == 2
    assert done.stderr.strip().splitlines() == [
        "hoso: HOSO_KAFKA_BOOTSTRAP is not set: there is no Kafka to relay to"]


def test_hoso_relay_publishes_and_stops_cleanly_on_sigterm(tmp_path: Path, tansu: Tansu
                                                          ) -> None:
    # GIVEN a store with 2 dossiers and `hoso relay` running against the broker
    env = {"HOSO_DATA_DIR": str(tmp_path / "var"), "HOSO_KAFKA_BOOTSTRAP": tansu.bootstrap}
    hoso = Hoso(env)
    hoso.ok("init", "--demo")
    cast = cast_from(Province(load_province_file(demo_province_path())))
    for n in range(2):
        hoso.ok("receive", "--office", cast.commune, "--procedure", cast.procedure.code,
                "--applicant-name", f"Công dân {n}", "--applicant-id", f"0{n:011d}",
                *[a for c in cast.components for a in ("--component", c)],
                "--actor", cast.receiver)
    process = subprocess.Popen([sys.executable, "-m", "tracker.cli.main", "relay"],
                               env=hoso.env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while len(read_topic(tansu.bootstrap)) < 2:
            assert time.monotonic() < deadline, "nothing published within 30 s"
            time.sleep(0.2)
        # WHEN it is sent the signal a service manager sends
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=15)
    finally:
        process.kill()
    # THEN it exits 0, saying so, with both events published once
    assert process.returncode == 0, stderr
    assert "relay stopped" in stderr
    assert len(read_topic(tansu.bootstrap)) == 2


def test_hoso_serve_relays_when_kafka_is_configured(tmp_path: Path, tansu: Tansu) -> None:
    # GIVEN `hoso serve` with HOSO_KAFKA_BOOTSTRAP set, and one dossier received meanwhile
    hoso = Hoso({"HOSO_DATA_DIR": str(tmp_path / "var"), "HOSO_KAFKA_BOOTSTRAP": tansu.bootstrap})
    hoso.ok("init", "--demo")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "tracker.cli.main", "serve", "--port",
                               str(port)], env=hoso.env, stderr=subprocess.PIPE, text=True)
    try:
        cast = cast_from(Province(load_province_file(demo_province_path())))
        code = hoso.ok("receive", "--office", cast.commune, "--procedure", cast.procedure.code,
                       "--applicant-name", "Công dân", "--applicant-id", "001234567890",
                       *[a for c in cast.components for a in ("--component", c)],
                       "--actor", cast.receiver)["code"]
        # THEN its Received event reaches the topic through the server's relay thread
        deadline = time.monotonic() + 30
        while not (reads := read_topic(tansu.bootstrap)):
            assert time.monotonic() < deadline, "nothing published within 30 s"
            time.sleep(0.2)
        assert [r.json()["subject"] for r in reads] == [code]
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=20)
    assert "relaying events to Kafka" in stderr

"""Kafka relay and projection costs, each beside a baseline measured in the same run.

* ``relay``: events/s the relay publishes from a store of N real custody events (read the log,
  map to CloudEvents, send, wait for acks=all, record the position) beside a raw kafka-python
  producer, configured the same (idempotent, acks=all), sending the same payloads to the same
  broker. Target: relay ≥ 70 % of raw.
* ``lag``: end-to-end lag (event stored → message read by a consumer) under a sustained load of
  custody commands at ``--rate`` events/s (default 500) for ``--seconds``, with ``hoso relay``
  running as its own process, as in production. Target: p99 < 1 s.
* ``rebuild``: rebuilding the views from N stored events (default 1,000,000) beside a bare read of
  the notification log. Target: ≥ 20,000 events/s on SQLite.

The broker is tansu (in memory) on loopback, started here. Usage, from the repository root:
    .venv/bin/python bench/projections.py [--events 20000] [--rate 500] [--seconds 20]
                                          [--rebuild-events 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eventsourcing.persistence import StoredEvent
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repo, not bench/, comes first

from events.relay.kafka import CONTENT_TYPE, KafkaPublisher, ensure_topic  # noqa: E402
from tests.cast import Cast, cast_from  # noqa: E402
from tests.servers.tansu import Tansu  # noqa: E402
from tracker.application import CustodyApplication  # noqa: E402
from tracker.bootstrap import Services, compose  # noqa: E402
from tracker.cloudevents import CloudEventMessages  # noqa: E402
from tracker.domain.codes import dossier_id  # noqa: E402
from tracker.projections.rebuild import rebuild  # noqa: E402
from tracker.province_file import demo_province_path, load_province_file  # noqa: E402
from tracker.settings import Settings  # noqa: E402

EVENTS_PER_DOSSIER = 5


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fresh_store(directory: Path) -> tuple[CustodyApplication, Cast, Services]:
    services = compose(Settings.from_environ({"HOSO_DATA_DIR": str(directory)}))
    custody = services.application()
    custody.load_province(load_province_file(demo_province_path()))
    return custody, cast_from(custody.province()), services


def receive(custody: CustodyApplication, cast: Cast, n: int) -> str:
    return str(custody.receive(office=cast.commune, procedure=cast.procedure.code,
                               applicant_name=f"Công dân {n}", applicant_id=f"0{n:011d}",
                               actor=cast.receiver, components=cast.components)["code"])


def shuttle(custody: CustodyApplication, cast: Cast, code: str) -> None:
    """Two events: to the agency by courier and accepted there."""
    custody.hand_over(code, by=cast.receiver, to_office=cast.agency, courier=cast.courier)
    custody.accept(code, by=cast.official, office=cast.agency)


def shuttle_back(custody: CustodyApplication, cast: Cast, code: str) -> None:
    custody.hand_over(code, by=cast.official, to_office=cast.commune, courier=cast.courier)
    custody.accept(code, by=cast.receiver, office=cast.commune)


def fill(custody: CustodyApplication, cast: Cast, events: int) -> None:
    """About ``events`` dossier events: received, to the agency and back (5 each)."""
    for n in range(max(1, events // EVENTS_PER_DOSSIER)):
        code = receive(custody, cast, n)
        shuttle(custody, cast, code)
        shuttle_back(custody, cast, code)


# -- relay throughput ---------------------------------------------------------------------------

def bench_relay(broker: Tansu, workdir: Path, events: int) -> dict[str, Any]:
    custody, cast, services = fresh_store(workdir / "relay")
    progress(f"relay: storing {events} events")
    fill(custody, cast, events)
    to_message = CloudEventMessages(custody, services.settings.log_origin)
    messages = [m for m in map(to_message, custody.recorder.select_notifications(1, 10**9))
                if m is not None]
    raw = raw_producer_rate(broker, messages)
    progress(f"relay: raw producer {raw:,.0f} msgs/s")
    relay = services.relay(servers=broker.bootstrap, topic="bench.relay")
    began = time.perf_counter()
    relay.relay_available(0, threading.Event())
    seconds = time.perf_counter() - began
    relay.publisher.reset()
    rate = relay.published / seconds
    progress(f"relay: {rate:,.0f} events/s")
    custody.close()
    return {"events": relay.published, "relay_events_per_s": round(rate),
            "raw_producer_msgs_per_s": round(raw), "ratio": round(rate / raw, 3),
            "target_ratio": 0.7}


def raw_producer_rate(broker: Tansu, messages: list[Any]) -> float:
    """kafka-python alone, configured as the relay's producer, sending the same payloads."""
    ensure_topic(broker.bootstrap, "bench.raw")
    config = {**KafkaPublisher(broker.bootstrap).config, "client_id": "bench-raw"}
    producer = KafkaProducer(**config)
    producer.send("bench.raw", key=b"warm-up", value=b"{}").get(10)
    began = time.perf_counter()
    futures = [producer.send("bench.raw", key=m.key, value=m.value, headers=[CONTENT_TYPE])
               for m in messages]
    producer.flush()
    seconds = time.perf_counter() - began
    assert all(f.succeeded() for f in futures)
    producer.close()
    return len(messages) / seconds


# -- end-to-end lag -----------------------------------------------------------------------------

def bench_lag(broker: Tansu, workdir: Path, rate: int, seconds: float) -> dict[str, Any]:
    """Commands at ``rate`` events/s; lag = when a consumer reads the event − its timestamp."""
    custody, cast, services = fresh_store(workdir / "lag")
    dossiers = max(4, int(rate * seconds) // 20)  # ~20 events each: replays stay short
    codes = [receive(custody, cast, n) for n in range(dossiers)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSO_")}
    env.update({"HOSO_DATA_DIR": str(services.settings.data_dir),
                "HOSO_KAFKA_BOOTSTRAP": broker.bootstrap})
    relay = subprocess.Popen([sys.executable, "-m", "tracker.cli.main", "relay"], env=env,
                             stderr=subprocess.DEVNULL)
    lags: list[float] = []
    started = datetime.now(UTC)
    consumer = threading.Thread(target=consume_lags, args=(broker, started, lags, seconds + 10),
                                daemon=True)
    try:
        ensure_topic(broker.bootstrap)
        consumer.start()
        time.sleep(2)  # the relay publishes the receipts; the consumer is assigned
        progress(f"lag: {rate} events/s for {seconds:.0f} s")
        sent = paced_load(custody, cast, codes, rate, seconds)
        deadline = time.monotonic() + 10
        while len(lags) < sent and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        relay.terminate()
        relay.wait(10)
        custody.close()
    ordered = sorted(lags)
    return {"rate_events_per_s": rate, "achieved_events_per_s": round(sent / seconds),
            "seconds": seconds, "events": sent,
            "received": len(lags),
            "lag_p50_ms": round(1000 * percentile(ordered, 0.50), 1),
            "lag_p99_ms": round(1000 * percentile(ordered, 0.99), 1),
            "lag_max_ms": round(1000 * ordered[-1], 1) if ordered else None,
            "target_p99_ms": 1000}


def paced_load(custody: CustodyApplication, cast: Cast, codes: list[str], rate: int,
               seconds: float) -> int:
    """Handovers and acceptances (2 events per step) at ``rate`` events/s; returns events."""
    interval = 2 / rate
    began = time.monotonic()
    sent, step = 0, 0
    at_agency: set[str] = set()
    while time.monotonic() - began < seconds:
        code = codes[step % len(codes)]
        if code in at_agency:
            shuttle_back(custody, cast, code)
            at_agency.discard(code)
        else:
            shuttle(custody, cast, code)
            at_agency.add(code)
        sent += 2
        step += 1
        pause = began + step * interval - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    return sent


def consume_lags(broker: Tansu, started: datetime, lags: list[float], seconds: float) -> None:
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, enable_auto_commit=False,
                             group_id=None, fetch_max_wait_ms=50)
    partitions = consumer.partitions_for_topic("hoso.dossier-events") or set()
    consumer.assign([TopicPartition("hoso.dossier-events", p) for p in partitions])
    consumer.seek_to_beginning()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=100).values():
            now = datetime.now(UTC)
            for record in records:
                stamp = datetime.fromisoformat(json.loads(record.value)["time"])
                if stamp >= started and json.loads(record.value)["type"].endswith(
                        ("handed_over.v1", "accepted.v1")):
                    lags.append((now - stamp).total_seconds())
    consumer.close()


# -- rebuild -----------------------------------------------------------------------------------

TEMPLATE_DOSSIERS = 200


def bench_rebuild(workdir: Path, events: int) -> dict[str, Any]:
    """Rebuild of every view from ``events`` stored events, beside reading the log bare."""
    custody, cast, services = fresh_store(workdir / "rebuild")
    progress(f"rebuild: storing {events} events")
    stored = fill_by_cloning(custody, cast, events)
    views = services.open_views(follow=False)
    began = time.perf_counter()
    position = read = 0
    while batch := custody.recorder.select_notifications(position, 5000,
                                                         inclusive_of_start=False):
        read += len(batch)
        position = batch[-1].id
    bare = read / (time.perf_counter() - began)
    progress(f"rebuild: bare log read {bare:,.0f} events/s")
    began = time.perf_counter()
    done = rebuild(views)
    seconds = time.perf_counter() - began
    rate = done.events / seconds
    progress(f"rebuild: {rate:,.0f} events/s")
    custody.close()
    return {"backend": "sqlite", "events": done.events, "dossier_events": stored,
            "rebuild_events_per_s": round(rate), "rebuild_seconds": round(seconds, 1),
            "bare_log_read_events_per_s": round(bare), "ratio": round(rate / bare, 3),
            "target_events_per_s": 20_000}


def fill_by_cloning(custody: CustodyApplication, cast: Cast, events: int) -> int:
    """About ``events`` dossier events: a few hundred real dossier histories made through the
    application (received, paid, moved, resolved, some rejected or cancelled), then copied under
    new dossier ids and codes straight into the store, which is ~50x faster than the commands.
    Returns how many dossier events were stored."""
    templates = []
    for n in range(max(1, min(TEMPLATE_DOSSIERS, events // 100))):
        code = receive(custody, cast, n)
        custody.collect_fee(code, by=cast.receiver, amount=10_000 + 1_000 * (n % 7))
        shuttle(custody, cast, code)
        if n % 10 == 1:
            custody.cancel(code, by=cast.official, reason="công dân rút hồ sơ",
                           reason_code="cong-dan-rut")  # terminal
        else:
            if n % 10 == 0:
                custody.reject(code, by=cast.official, reason="thiếu giấy tờ",
                               reason_code="ho-so-khong-hop-le")
            else:
                custody.resolve(code, by=cast.official)
            shuttle_back(custody, cast, code)
        templates.append((code, list(custody.recorder.select_events(dossier_id(code)))))
    per_round = sum(len(history) for _, history in templates)
    stored = per_round
    clone = 0
    while stored + per_round <= events:
        clone += 1
        batch: list[StoredEvent] = []
        for code, history in templates:
            new_code = f"{code[:-11]}C{clone:05d}-{code[-4:]}"
            new_id = dossier_id(new_code)
            for stored_event in history:
                state = stored_event.state
                if stored_event.originator_version == 1:
                    state = state.replace(code.encode(), new_code.encode())
                batch.append(StoredEvent(new_id, stored_event.originator_version,
                                         stored_event.topic, state))
        custody.recorder.insert_events(batch)
        stored += per_round
    return stored


def percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rebuild-events", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hoso-bench-") as tmp:
        workdir = Path(tmp)
        with Tansu(workdir / "tansu") as broker:
            report: dict[str, Any] = {
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "broker": "tansu 0.6 (memory storage), loopback",
                "relay": bench_relay(broker, workdir, args.events),
                "lag": bench_lag(broker, workdir, args.rate, args.seconds),
            }
        report["rebuild"] = bench_rebuild(workdir, args.rebuild_events)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

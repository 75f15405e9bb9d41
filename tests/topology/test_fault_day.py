"""A district's day on the province's stack, run natively, while parts of it fail.

PostgreSQL, the tansu broker (its data in SeaweedFS, so it survives a restart), SeaweedFS S3,
two ``hoso serve`` processes, the relay, two projection consumers, two OCR workers and a witness
run as separate processes under a supervisor that restarts whatever dies. Four counters work
a day over the HTTP API with tokens: receive, scan (the station upload, OCR done by the
workers), bag, courier handover and acceptance at the agency, resolve, courier back, return.
Meanwhile a web process, a projection consumer and an OCR worker are killed with SIGKILL and
the broker is stopped for 30 s. At the end nothing acknowledged is lost and every check an
operator has passes.
"""

from __future__ import annotations

import hashlib
import secrets
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cast import Cast, cast_from
from tests.conftest import postgres_schema, postgres_test_url
from tests.hoso_cli import Hoso
from tests.kafka_scenario import assert_topic_holds_the_log, stored_versions, view_versions
from tests.servers.process import log_tail
from tests.servers.seaweedfs import SeaweedFS
from tests.servers.tansu import Tansu
from tests.servers.witness import LiveWitness
from tests.topology.stack import (
    Phone,
    Service,
    Supervisor,
    day_tokens,
    healthy,
    small_page,
    wait_for,
    web_service,
)
from tracker.bags import bag as custody_bag
from tracker.bootstrap import compose
from tracker.cli.witness import witness_status
from tracker.settings import Settings

pytestmark = pytest.mark.slow

COUNTERS = 4
DOSSIERS_PER_COUNTER = 6
OUTAGE_SECONDS = 30
RESCAN_SECONDS = 180  # a station gives up on a scan the tracker never records
ORIGIN = "hoso/custody-log"
RELAY = "kafka:hoso.dossier-events"


class UploadGate:
    """Lets the broker be stopped with no OCR job or result half sent.

    tansu's object-store engine records an idempotent producer's sequence number before the
    batch, so a broker stopped in the middle of a produce request answers the retry "duplicate"
    and the batch is lost though acknowledged (tests/integration/test_relay_faults.py; Kafka
    writes both in one append). The stop therefore waits for the uploads in flight to end and
    holds new ones back for the second it takes; uploads sent during the outage go on as usual.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._in_flight = 0
        self._closed = False

    def __enter__(self) -> None:
        with self._condition:
            self._condition.wait_for(lambda: not self._closed)
            self._in_flight += 1

    def __exit__(self, *exc: object) -> None:
        with self._condition:
            self._in_flight -= 1
            self._condition.notify_all()

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.wait_for(lambda: self._in_flight == 0, timeout=180)

    def open(self) -> None:
        with self._condition:
            self._closed = False
            self._condition.notify_all()


class Day:
    """The district's day: what each client was told was recorded, dossier by dossier."""

    def __init__(self, cast: Cast, phones: dict[str, Phone], folder: Path) -> None:
        self.cast = cast
        self.phones = phones
        self.folder = folder
        self.gate = UploadGate()
        self.acknowledged: dict[str, list[str]] = defaultdict(list)
        self.bags: dict[str, list[str]] = {}
        self.received = 0
        self.scanned = 0
        self.bags_accepted = 0
        self.returned = 0
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()

    def steps(self) -> int:
        with self._lock:
            return sum(len(steps) for steps in self.acknowledged.values())

    def _ack(self, code: str, what: str) -> None:
        with self._lock:
            self.acknowledged[code].append(what)

    def counter(self, number: int, opens: threading.Event) -> None:
        opens.wait()
        try:
            self._counter(number)
        except BaseException as error:  # surfaced by the test after the join
            self.errors.append(error)

    def _counter(self, number: int) -> None:
        c, prefer = self.cast, number % 2
        receiver, official, station = (self.phones[k] for k in ("receiver", "official",
                                                                  "station"))
        codes = []
        for n in range(DOSSIERS_PER_COUNTER):
            answer = receiver.post("/dossiers", {
                "office": c.commune, "procedure": c.procedure.code,
                "applicant_name": f"Công dân {number}-{n}",
                "applicant_id": f"0{number:02d}{n:09d}", "components": c.components},
                prefer + n)
            codes.append(answer["code"])
            self._ack(answer["code"], "receive")
            with self._lock:
                self.received += 1
        for n, code in enumerate(codes):
            page = small_page(code, self.folder / f"{code}.png")
            deadline = time.monotonic() + RESCAN_SECONDS
            while True:  # the station scans again until the tracker says it is recorded
                with self.gate:
                    report = station.upload([page], code, prefer + n)
                outcome, = report["dossiers"]
                if outcome["recorded"]:
                    break
                assert time.monotonic() < deadline, f"{code}: scan not recorded: {outcome}"
                time.sleep(1)
            self._ack(code, "scan")
            with self._lock:
                self.scanned += 1
        bag = receiver.post("/bags", {"to_office": c.agency, "codes": codes}, prefer)["bag"]
        with self._lock:
            self.bags[bag] = codes
        receiver.post(f"/bags/{bag}/handover", {"courier": c.courier}, prefer + 1)
        for code in codes:
            self._ack(code, "bag-handover")
        official.post(f"/bags/{bag}/accept", {"office": c.agency}, prefer)
        for code in codes:
            self._ack(code, "bag-accept")
        with self._lock:
            self.bags_accepted += 1
        for n, code in enumerate(codes):
            official.post(f"/dossiers/{code}/resolve", {}, prefer + n)
            self._ack(code, "resolve")
            official.post(f"/dossiers/{code}/handover",
                          {"courier": c.courier, "to_office": c.commune}, prefer + n + 1)
            self._ack(code, "handover")
            receiver.post(f"/dossiers/{code}/accept", {"office": c.commune}, prefer + n)
            self._ack(code, "accept")
            receiver.post(f"/dossiers/{code}/return", {"satisfaction": 5}, prefer + n + 1)
            self._ack(code, "return")
            with self._lock:
                self.returned += 1


ACKNOWLEDGED_AS = {"receive": "Received", "scan": "Digitised",
                   "bag-handover": "HandedOver", "bag-accept": "Accepted",
                   "resolve": "Resolved", "handover": "HandedOver", "accept": "Accepted",
                   "return": "ResultReturned"}
"""The event each acknowledged step records on the dossier."""


@pytest.fixture
def stack_env(tmp_path: Path, seaweedfs_server: SeaweedFS) -> Iterator[dict[str, str]]:
    with postgres_schema("topo") as schema:
        yield {"HOSO_DATA_DIR": str(tmp_path / "var"),
               "HOSO_DATABASE_URL": f"{postgres_test_url()}?schema={schema}",
               "HOSO_S3_ENDPOINT": seaweedfs_server.endpoint,
               "HOSO_S3_BUCKET": f"hoso-{secrets.token_hex(4)}",
               "HOSO_S3_ACCESS_KEY": seaweedfs_server.access_key,
               "HOSO_S3_SECRET_KEY": seaweedfs_server.secret_key,
               "HOSO_S3_SECURE": "false",
               "HOSO_CHECKPOINT_SECONDS": "1"}


def test_a_district_day_loses_nothing_to_killed_processes_and_a_broker_outage(
        stack_env: dict[str, str], tmp_path: Path, seaweedfs_server: SeaweedFS,
        durable_tansu: Tansu) -> None:
    began = time.monotonic()
    env = {**stack_env, "HOSO_KAFKA_BOOTSTRAP": durable_tansu.bootstrap}
    hoso = Hoso(env)
    hoso.ok("init", "--demo")
    witness = LiveWitness(tmp_path / "witness", "w1.hoso.example/witness", ORIGIN,
                          Path(env["HOSO_DATA_DIR"]) / "keys" / "audit.pub").start()
    env = {**env, "HOSO_WITNESSES": witness.setting}
    hoso = Hoso(env)
    services = compose(Settings.from_environ(env), create_tables=False)
    cast = cast_from(services.application().province())
    tokens = day_tokens(hoso, cast)
    logs = tmp_path / "logs"
    logs.mkdir()
    supervisor = Supervisor()
    try:
        # GIVEN the province's stack, each service under a restart policy
        webs = [supervisor.add(web_service(hoso.env, logs, f"web-{n}")) for n in (1, 2)]
        relay = supervisor.add(Service("relay", ["relay"], hoso.env, logs))
        projectors = [supervisor.add(Service(f"projector-{n}", ["project", "--from-kafka"],
                                             hoso.env, logs)) for n in (1, 2)]
        workers = [supervisor.add(Service(f"ocr-{n}", ["worker", "ocr", "--name", f"ocr-{n}"],
                                          hoso.env, logs)) for n in (1, 2)]
        supervisor.start()
        bases = [f"http://127.0.0.1:{web.port}" for web in webs]
        wait_for(lambda: all(healthy(base) for base in bases), 90, "both web processes up",
                 supervisor.logs)
        phones = {role: Phone(bases, token) for role, token in tokens.items()}
        day = Day(cast, phones, tmp_path)
        # … the morning's citizens at two counters, the afternoon's at two more
        morning, afternoon = threading.Event(), threading.Event()
        counters = [threading.Thread(target=day.counter, name=f"counter-{n}", daemon=True,
                                     args=(n, morning if n < COUNTERS // 2 else afternoon))
                    for n in range(COUNTERS)]
        for thread in counters:
            thread.start()
        morning.set()
        total = COUNTERS * DOSSIERS_PER_COUNTER

        def progress() -> str:
            return (f"received {day.received}, scanned {day.scanned}, bags accepted "
                    f"{day.bags_accepted}, returned {day.returned}; errors {day.errors}\n"
                    f"{supervisor.logs()}")

        # WHEN, while the day goes on, a web process is killed …
        wait_for(lambda: day.received >= 6 or bool(day.errors), 90, "receipts", progress)
        webs[0].kill()
        # … an OCR worker is killed in the middle of the scans …
        wait_for(lambda: day.scanned >= 3 or bool(day.errors), 120, "scans", progress)
        workers[0].kill()
        # … and a projection consumer, while the views follow the day
        projectors[0].kill()
        # … and the broker stops for 30 s, then comes back on the same data
        # (in the afternoon, while the morning's scans are still going on)
        wait_for(lambda: day.scanned >= 8 or bool(day.errors), 150, "the morning's scans",
                 progress)
        day.gate.close()
        relay.pause()
        time.sleep(1)  # produce requests already sent finish on the broker
        durable_tansu.stop()
        relay.resume()
        day.gate.open()
        outage = time.monotonic()
        steps_before = day.steps()
        afternoon.set()
        time.sleep(OUTAGE_SECONDS)
        steps_during = day.steps() - steps_before
        durable_tansu.start()
        print(f"outage at {outage - began:.0f} s, {steps_during} steps acknowledged during it",
              file=sys.stderr)
        for thread in counters:
            thread.join(240)
        assert not any(thread.is_alive() for thread in counters), progress()
        assert not day.errors, progress()
        assert day.returned == total
        assert steps_during >= COUNTERS // 2 * DOSSIERS_PER_COUNTER, \
            "custody must go on while Kafka is down"
        print(f"day done at {time.monotonic() - began:.0f} s", file=sys.stderr)
        assert [s.restarts for s in (webs[0], projectors[0], workers[0])] == [1, 1, 1]

        # THEN the relay and the views catch up, and the witness cosigns the newest checkpoint
        custody = services.application()
        last = custody.recorder.max_notification_id()
        wait_for(lambda: services.relay_positions().get(RELAY) == last, 90,
                 "the relay publishing the day", supervisor.logs)
        wait_for(lambda: view_versions(services) == stored_versions(custody), 90,
                 "the views catching up", supervisor.logs)

        log = services.tamper_evident_log()

        def cosigned() -> bool:  # the newest checkpoint covers the whole log and is cosigned
            newest = log.latest_checkpoint()
            return (newest is not None and newest.size == log.size()
                    and all(row["cosigned_size"] == newest.size
                            for row in witness_status(services)))

        wait_for(cosigned, 60, "the witness cosigning a checkpoint of the whole day",
                 lambda: f"{witness_status(services)}\n{log_tail(witness.log)}")
        relay_restarts = relay.restarts
    finally:
        supervisor.stop()
        witness.stop()
    assert relay_restarts == 0
    # … every acknowledged command's event is in the log, once
    for code, steps in day.acknowledged.items():
        assert [e["type"] for e in custody.history(code)] == [
            ACKNOWLEDGED_AS[step] for step in steps], code
    assert len(day.acknowledged) == total
    for code, codes in day.bags.items():
        bag = custody_bag(custody, code)
        assert (bag["state"], sorted(bag["accepted"])) == ("accepted", sorted(codes)), code
    # … every page the scans stored is in the bucket, whole
    bucket = seaweedfs_server.client()
    named = custody.object_keys_named()
    assert len(named) >= 4 * total  # original, cleaned page, PDF and OCR text of each scan
    for key in named:
        body = bucket.get_object(env["HOSO_S3_BUCKET"], key).read()
        assert key.endswith(hashlib.sha256(body).hexdigest()), key
    # … every event is on the topic in dossier order, the views equal a rebuild, and the
    # operator's checks pass (audit verify requiring the witness's cosignature)
    assert_topic_holds_the_log(custody, durable_tansu.bootstrap)
    assert hoso.ok("project", "verify")["identical"] is True
    stored = hoso.ok("storage", "verify")
    assert (stored["missing"], stored["corrupt"]) == ([], [])
    assert stored["named_by_events"] == len(named)
    verified = Hoso({**env, "HOSO_WITNESS_QUORUM": "1"}).ok("audit", "verify")
    assert verified["intact"] is True
    assert verified["witnesses"]["quorum"]["met"] is True
    services.close()
    print(f"fault day: {total} dossiers, {last} events, {time.monotonic() - began:.0f} s, "
          f"{sum(p.retries for p in phones.values())} client retries",
          file=sys.stderr)

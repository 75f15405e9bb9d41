"""A province's busiest day replayed faster than real time against the native stack.

The stack is the fault-day test's (tests/topology/): PostgreSQL, the tansu broker on SeaweedFS,
SeaweedFS S3, two ``hoso serve`` processes, ``hoso relay``, two ``hoso project --from-kafka``
consumers, two ``hoso worker ocr`` processes and a witness, all started here. Dossiers arrive
at the commune's counter at the busiest day's rate times ``--speed`` for ``--minutes`` of wall
time; each goes through the day's commands over the HTTP API with tokens: receive, scan (the
station upload, one page, OCR by the workers), handover to the agency, accept, resolve,
handover back, accept, return. Then the run drains: every dossier started is finished.

Printed (one JSON document): for each kind of command its count, throughput and p50/p99
latency beside its median on the idle stack measured first in the same run (``ratio_p99``);
the lag of the relay (events stored but not yet published) and of the views (events not yet
applied), in events and seconds, sampled every second; and OCR: pages done per second and the
scan latency (upload to recorded), which is the OCR lag a station sees; and how many requests
each role's client sent again (after a 5xx, such as an upload told to come back, or no answer).

The busiest day by default: ``--per-year`` 33.2 million postal dossiers (MIC letter
1669/BTTTT-BC) over ``--provinces`` 34 provinces and ``--working-days`` 250, times
``--peak`` 2 for the busiest day, over an ``--hours`` 8 working day. These are inputs, printed
with the results, not measurements. Usage, from the repository root:
    .venv/bin/python bench/day.py [--speed 10] [--minutes 2] [--clients 24]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repo, not bench/, comes first

from tests.cast import Cast, cast_from  # noqa: E402
from tests.conftest import postgres_schema, postgres_test_url  # noqa: E402
from tests.hoso_cli import Hoso  # noqa: E402
from tests.kafka_scenario import stored_versions, view_versions  # noqa: E402
from tests.servers.seaweedfs import SeaweedFS  # noqa: E402
from tests.servers.tansu import Tansu  # noqa: E402
from tests.servers.witness import LiveWitness  # noqa: E402
from tests.topology.stack import (  # noqa: E402
    Phone,
    Service,
    Supervisor,
    day_tokens,
    healthy,
    small_page,
    wait_for,
    web_service,
)
from tracker.bootstrap import Services, compose  # noqa: E402
from tracker.settings import Settings  # noqa: E402

KINDS = ("receive", "scan", "handover", "accept", "resolve", "handover-back", "accept-back",
         "return")


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Flow:
    """One dossier's commands through the API, each timed; latencies by kind."""

    def __init__(self, cast: Cast, phones: dict[str, Phone], folder: Path) -> None:
        self.cast = cast
        self.phones = phones
        self.folder = folder
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.finished: list[float] = []
        self.failures: list[str] = []
        self._lock = threading.Lock()

    def _timed(self, kind: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        began = time.monotonic()
        answer = call()
        with self._lock:
            self.latencies[kind].append(time.monotonic() - began)
        return answer

    def run(self, n: int) -> None:
        try:
            self._run(n)
        except Exception as error:  # counted and printed, the replay goes on
            with self._lock:
                self.failures.append(f"{type(error).__name__}: {str(error)[:300]}")

    def _run(self, n: int) -> None:
        c, prefer = self.cast, n % 2
        receiver, official, station = (self.phones[k] for k in ("receiver", "official",
                                                                  "station"))
        code = self._timed("receive", lambda: receiver.post("/dossiers", {
            "office": c.commune, "procedure": c.procedure.code,
            "applicant_name": f"Công dân {n}", "applicant_id": f"{n:012d}",
            "components": c.components}, prefer))["code"]
        page = small_page(code, self.folder / f"{n}.png")
        while not self._timed("scan", lambda: station.upload([page], code, prefer)
                              )["dossiers"][0]["recorded"]:
            time.sleep(1)
        self._timed("handover", lambda: receiver.post(
            f"/dossiers/{code}/handover", {"courier": c.courier, "to_office": c.agency}, prefer))
        self._timed("accept", lambda: official.post(
            f"/dossiers/{code}/accept", {"office": c.agency}, prefer + 1))
        self._timed("resolve", lambda: official.post(f"/dossiers/{code}/resolve", {}, prefer))
        self._timed("handover-back", lambda: official.post(
            f"/dossiers/{code}/handover", {"courier": c.courier, "to_office": c.commune},
            prefer + 1))
        self._timed("accept-back", lambda: receiver.post(
            f"/dossiers/{code}/accept", {"office": c.commune}, prefer))
        self._timed("return", lambda: receiver.post(f"/dossiers/{code}/return", {}, prefer + 1))
        with self._lock:
            self.finished.append(time.monotonic())


def dossier_events(services: Services) -> int:
    """Dossier events stored: what the views must hold when they are caught up."""
    return sum(stored_versions(services.application()).values())


def view_events(services: Services) -> int:
    """Dossier events the views hold (the Kafka consumers keep each dossier's version)."""
    return sum(view_versions(services).values())


class Lag:
    """Every second, on connections of its own: the log's end and the relay's position
    (notification ids), and the dossier events stored and held by the views."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.samples: list[tuple[float, int, int, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        services = compose(Settings.from_environ(self.env), create_tables=False)
        custody = services.application()
        positions = services.relay_positions()
        while not self._stop.wait(1.0):
            end = custody.recorder.max_notification_id() or 0
            relay = positions.get("kafka:hoso.dossier-events") or 0
            stored, held = dossier_events(services), view_events(services)
            self.samples.append((time.monotonic(), end, relay, stored, held))
        services.close()

    def report(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, end_at, position_at in (("relay", 1, 2), ("views", 3, 4)):
            events = [float(s[end_at] - s[position_at]) for s in self.samples]
            seconds = []  # since the first event not yet taken was stored (to a second)
            for sample in self.samples:
                position = sample[position_at]
                if sample[end_at] <= position:
                    seconds.append(0.0)
                    continue
                stored = next(s[0] for s in self.samples if s[end_at] > position)
                seconds.append(max(0.0, sample[0] - stored))
            out[name] = {"events_p99": percentile(events, 0.99), "events_max": max(events or [0]),
                         "seconds_p99": percentile(seconds, 0.99),
                         "seconds_max": max(seconds or [0])}
        return out


Stack = tuple[Supervisor, Services, dict[str, Phone], Cast, LiveWitness, Tansu,
              dict[str, str]]


def start_stack(folder: Path, s3: SeaweedFS, schema: str) -> Stack:
    broker = Tansu.on_s3(folder / "tansu", s3)
    broker.start()
    env = {"HOSO_DATA_DIR": str(folder / "var"),
           "HOSO_DATABASE_URL": f"{postgres_test_url()}?schema={schema}",
           "HOSO_S3_ENDPOINT": s3.endpoint, "HOSO_S3_BUCKET": f"hoso-{secrets.token_hex(4)}",
           "HOSO_S3_ACCESS_KEY": s3.access_key, "HOSO_S3_SECRET_KEY": s3.secret_key,
           "HOSO_S3_SECURE": "false", "HOSO_KAFKA_BOOTSTRAP": broker.bootstrap}
    Hoso(env).ok("init", "--demo")
    witness = LiveWitness(folder / "witness", "w1.hoso.example/witness", "hoso/custody-log",
                          folder / "var" / "keys" / "audit.pub").start()
    hoso = Hoso({**env, "HOSO_WITNESSES": witness.setting})
    services = compose(Settings.from_environ(hoso.env), create_tables=False)
    cast = cast_from(services.application().province())
    tokens = day_tokens(hoso, cast)
    logs = folder / "logs"
    logs.mkdir()
    supervisor = Supervisor()
    webs = [supervisor.add(web_service(hoso.env, logs, f"web-{n}")) for n in (1, 2)]
    supervisor.add(Service("relay", ["relay"], hoso.env, logs))
    for n in (1, 2):
        supervisor.add(Service(f"projector-{n}", ["project", "--from-kafka"], hoso.env, logs))
        supervisor.add(Service(f"ocr-{n}", ["worker", "ocr", "--name", f"ocr-{n}"], hoso.env,
                               logs))
    supervisor.start()
    bases = [f"http://127.0.0.1:{web.port}" for web in webs]
    wait_for(lambda: all(healthy(base) for base in bases), 120, "both web processes up",
             supervisor.logs)
    phones = {role: Phone(bases, token, timeout=600) for role, token in tokens.items()}
    return supervisor, services, phones, cast, witness, broker, hoso.env


def summarise(latencies: dict[str, list[float]], seconds: float,
              idle: dict[str, list[float]]) -> dict[str, Any]:
    kinds = {}
    for kind in KINDS:
        values = latencies.get(kind, [])
        base = statistics.median(idle[kind]) if idle.get(kind) else None
        p99 = percentile(values, 0.99)
        kinds[kind] = {
            "count": len(values), "per_second": round(len(values) / seconds, 3),
            "p50_ms": None if not values else round(1000 * percentile(values, 0.5), 1),
            "p99_ms": None if p99 is None else round(1000 * p99, 1),
            "idle_median_ms": None if base is None else round(1000 * base, 1),
            "ratio_p99": None if p99 is None or not base else round(p99 / base, 2)}
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-year", type=float, default=33.2e6)
    parser.add_argument("--provinces", type=int, default=34)
    parser.add_argument("--working-days", type=int, default=250)
    parser.add_argument("--peak", type=float, default=2.0)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument("--minutes", type=float, default=2.0, help="Wall minutes of arrivals.")
    parser.add_argument("--clients", type=int, default=24, help="Dossiers in flight at most.")
    parser.add_argument("--idle-dossiers", type=int, default=3)
    args = parser.parse_args()
    per_day = args.per_year / args.provinces / args.working_days * args.peak
    rate = per_day / (args.hours * 3600) * args.speed  # dossiers arriving per wall second
    with tempfile.TemporaryDirectory(prefix="hoso-day-") as temp, \
            postgres_schema("bench_day") as schema:
        folder = Path(temp)
        with SeaweedFS(folder / "s3") as s3:
            supervisor, services, phones, cast, witness, broker, env = start_stack(
                folder, s3, schema)
            try:
                idle = Flow(cast, phones, folder)
                for n in range(args.idle_dossiers):
                    idle.run(n)
                flow = Flow(cast, phones, folder)
                lag = Lag(env)
                lag.start()
                began = time.monotonic()
                arrivals = int(rate * args.minutes * 60)
                late = 0.0
                with ThreadPoolExecutor(args.clients) as pool:
                    for n in range(arrivals):
                        due = began + n / rate
                        time.sleep(max(0.0, due - time.monotonic()))
                        late = max(late, time.monotonic() - due)
                        pool.submit(flow.run, 1000 + n)
                    arrived = time.monotonic() - began
                drained = time.monotonic() - began
                custody = services.application()
                last = custody.recorder.max_notification_id()
                wait_for(lambda: services.relay_positions().get("kafka:hoso.dossier-events")
                         == last and view_events(services) == dossier_events(services),
                         300, "relay and views catching up", supervisor.logs)
                settled = time.monotonic() - began
                lag.stop()
            finally:
                supervisor.stop()
                witness.stop()
                broker.stop()
            scans = flow.latencies.get("scan", [])
            report = {
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                            "load_average_at_end": os.getloadavg()},
                "inputs": {"per_year": args.per_year, "provinces": args.provinces,
                           "working_days": args.working_days, "peak": args.peak,
                           "hours": args.hours, "speed": args.speed, "minutes": args.minutes,
                           "clients": args.clients},
                "busiest_day_dossiers": round(per_day),
                "arrivals_per_second": round(rate, 3),
                "dossiers": {"arrived": arrivals, "finished": len(flow.finished),
                             "failed": len(flow.failures), "failures": flow.failures[:5]},
                "seconds": {"arrivals": round(arrived, 1), "drained": round(drained, 1),
                            "views_settled": round(settled, 1),
                            "arrivals_late_max": round(late, 1)},
                "kinds": summarise(flow.latencies, drained, idle.latencies),
                "lag": lag.report(),
                "ocr": {"pages_per_second": round(len(scans) / drained, 3),
                        "scan_p50_s": percentile(scans, 0.5),
                        "scan_p99_s": percentile(scans, 0.99)},
                "kept_up": len(flow.finished) == arrivals and drained < arrived * 1.5,
                # a request is sent again after a 5xx (an upload told to come back when the
                # web process has uploads enough at hand) or no answer
                "sent_again": {role: phone.retries for role, phone in phones.items()},
            }
    services.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""Custody command throughput against the raw eventsourcing append rate, on SQLite and PostgreSQL.

For each backend this measures, with the real clock and the demo province:

* ``receive_per_s``: ``receive`` commands per second (each allocates a dossier code and stores the
  ``Received`` event and the daily sequence counter's event in one transaction);
* ``handover_per_s``: ``hand_over`` commands per second, once on each dossier just received;
* ``raw_append_per_s``: a trivial one-event aggregate created and saved N times, one
  ``Application.save()`` each, by a fresh application on a fresh store of the same kind.

The machine this runs on is noisy, so an absolute rate means little on its own. The baseline is
therefore measured in the same run, interleaved (raw, then hoso, then raw again, each phase after
a short warm-up), and hoso is judged by its ratio to the mean of the two raw runs: the target is
at least half the raw append rate for both commands.

Usage, from the repository root:
    .venv/bin/python bench/custody.py [--count N] [--backend sqlite|postgres|both]
One JSON document goes to stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from time import perf_counter
from typing import Any

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

sys.path[0] = str(Path(__file__).resolve().parents[1])  # bench/storage.py would shadow storage/

from tracker.application import CustodyApplication  # noqa: E402
from tracker.bootstrap import bootstrap  # noqa: E402
from tracker.domain.codes import MAX_DAILY_NUMBER  # noqa: E402
from tracker.province_file import demo_province_path, load_province_file  # noqa: E402
from tracker.settings import Settings  # noqa: E402

DEFAULT_TEST_DATABASE_URL = "postgresql://hoso_test:hoso_test@127.0.0.1:5432/hoso_test"
WARMUP = 20
TARGET_RATIO = 0.5


class Trivial(Aggregate):
    """The baseline aggregate: one event, one attribute."""

    class Started(Aggregate.Created):
        n: int

    def __init__(self, n: int) -> None:
        self.n = n


class RawBench(Application[Any]):
    """A plain application: its tables are named after it, so they never clash with hoso's."""


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def database_url() -> str:
    return os.environ.get("HOSO_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)


def check_postgres(url: str) -> None:
    """Exit 1 with a one-line message when the server cannot be reached."""
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        reason = " ".join(str(error).split())
        progress(f"bench: PostgreSQL at {url} is not reachable ({reason}); run scripts/test.sh")
        sys.exit(1)


@contextmanager
def fresh_store(backend: str) -> Iterator[Settings]:
    """Settings naming a new, empty store: a temp dir for SQLite, a new schema for PostgreSQL."""
    with tempfile.TemporaryDirectory(prefix="hoso-bench-") as tmp:
        env = {"HOSO_DATA_DIR": tmp}
        if backend == "sqlite":
            yield Settings.from_environ(env)
            return
        url = database_url()
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"CREATE SCHEMA {schema}")
            try:
                yield Settings.from_environ({**env, "HOSO_DATABASE_URL": f"{url}?schema={schema}"})
            finally:
                admin.execute(f"DROP SCHEMA {schema} CASCADE")


def raw_append_rate(backend: str, count: int) -> float:
    """Create-and-save of ``count`` trivial aggregates by a fresh application on a fresh store."""
    with fresh_store(backend) as settings:
        app = RawBench(env=settings.event_store_env())
        try:
            for n in range(WARMUP):
                app.save(Trivial(n=n))
            start = perf_counter()
            for n in range(count):
                app.save(Trivial(n=n))
            return count / (perf_counter() - start)
        finally:
            app.close()


def pick_cast(app: CustodyApplication) -> dict[str, Any]:
    """A commune one-stop shop with a receiver, a procedure, and a courier."""
    province = app.province()
    staff = list(province.staff.values())
    office = next(o.code for o in province.offices.values()
                  if o.level == "commune" and o.kind == "one_stop"
                  and any(s.role == "receiver" and s.office == o.code for s in staff))
    procedures = list(province.procedures.values())
    procedure = next((p for p in procedures if p.required_components), procedures[0])
    return {
        "office": office,
        "receiver": next(s.id for s in staff if s.role == "receiver" and s.office == office),
        "courier": next(s.id for s in staff if s.role == "courier"),
        "procedure": procedure,
    }


def hoso_rates(backend: str, count: int) -> tuple[float, float]:
    """(receive/s, hand_over/s) on a fresh store with the demo province loaded."""
    with fresh_store(backend) as settings:
        app = bootstrap(settings)
        try:
            app.load_province(load_province_file(demo_province_path()))
            cast = pick_cast(app)
            procedure = cast["procedure"]

            def receive() -> str:
                return str(app.receive(
                    office=cast["office"], procedure=procedure.code,
                    applicant_name="Nguyễn Văn A", applicant_id="001090000001",
                    actor=cast["receiver"], components=list(procedure.required_components),
                )["code"])

            def hand_over(code: str) -> None:
                app.hand_over(code, by=cast["receiver"], to_office=procedure.resolving_office,
                              courier=cast["courier"])

            warm = [receive() for _ in range(WARMUP)]
            start = perf_counter()
            codes = [receive() for _ in range(count)]
            receive_rate = count / (perf_counter() - start)
            for code in warm:
                hand_over(code)
            start = perf_counter()
            for code in codes:
                hand_over(code)
            return receive_rate, count / (perf_counter() - start)
        finally:
            app.close()


def measure(backend: str, count: int) -> dict[str, Any]:
    progress(f"[{backend}] raw append, first run ({count})")
    raw_first = raw_append_rate(backend, count)
    progress(f"[{backend}] receive + hand_over ({count} each)")
    receive_rate, handover_rate = hoso_rates(backend, count)
    progress(f"[{backend}] raw append, second run ({count})")
    raw_second = raw_append_rate(backend, count)
    raw = (raw_first + raw_second) / 2
    receive_ratio, handover_ratio = receive_rate / raw, handover_rate / raw
    return {
        "receive_per_s": round(receive_rate, 1),
        "handover_per_s": round(handover_rate, 1),
        "raw_append_per_s": round(raw, 1),
        "raw_append_runs_per_s": [round(raw_first, 1), round(raw_second, 1)],
        "receive_vs_raw": round(receive_ratio, 3),
        "handover_vs_raw": round(handover_ratio, 3),
        "meets_target": receive_ratio >= TARGET_RATIO and handover_ratio >= TARGET_RATIO,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="operations per timed phase")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args(argv)
    if not 1 <= args.count <= MAX_DAILY_NUMBER - WARMUP:
        parser.error(f"--count must be 1..{MAX_DAILY_NUMBER - WARMUP} (one office, one day)")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    if "postgres" in backends:
        check_postgres(database_url())
    report = {
        "count": args.count,
        "python": platform.python_version(),
        "eventsourcing": version("eventsourcing"),
        "machine": f"{platform.system()} {platform.machine()}, os.cpu_count()={os.cpu_count()}",
        "target_ratio": TARGET_RATIO,
        "backends": {backend: measure(backend, args.count) for backend in backends},
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How long ``hoso project verify`` takes, beside the rebuild it cannot do without.

For each store (SQLite, and PostgreSQL when ``--database-url`` is given) the script makes
``--dossiers`` dossiers through the real application (the month of tests/month.py, repeated, so
every outcome is there; one in ten with a scanned page whose OCR text is indexed), then times:

* ``baseline``: rebuilding every view and the search index in place (``rebuild`` and
  ``reindex_search``), the least work a verification must do;
* ``verify``: catch-up, reading the live views, a rebuild into a scratch store up to the same
  position, reading it back and comparing (``ViewVerifier.verify``), best of ``--runs``.

Usage, from the repository root:
    .venv/bin/python bench/views_verify.py [--dossiers 2000] [--runs 3]
        [--database-url postgresql://hoso_test:hoso_test@127.0.0.1:5432/hoso_test]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repo, not bench/, comes first

from tests.cast import Cast, cast_from  # noqa: E402
from tests.conftest import ManualClock  # noqa: E402
from tests.month import PLAN, run_month  # noqa: E402
from tracker.bootstrap import Services, compose  # noqa: E402
from tracker.projections.rebuild import rebuild  # noqa: E402
from tracker.province_file import demo_province_path, load_province_file  # noqa: E402
from tracker.settings import Settings  # noqa: E402

PER_MONTH = sum(count for _, _, count, _ in PLAN)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def filled(env: dict[str, str], dossiers: int) -> Services:
    """A store holding ``dossiers`` dossiers: whole months of tests/month.py for nine in ten,
    the rest scanned with OCR text; its views followed to the end."""
    clock = ManualClock(datetime.fromisoformat("2026-03-10T09:00:00+07:00"))
    services = compose(Settings.from_environ(env), clock=clock)
    custody = services.application()
    custody.load_province(load_province_file(demo_province_path()))
    cast = cast_from(custody.province())
    months = dossiers * 9 // 10 // PER_MONTH
    for month in range(months):
        run_month(custody, clock, PLAN)
        progress(f"  {(month + 1) * PER_MONTH} dossiers")
    _scanned(services, cast, dossiers - months * PER_MONTH)
    services.views().catch_up()
    return services


def _scanned(services: Services, cast: Cast, n: int) -> None:
    custody = services.application()
    page = custody.objects.put(b"%PDF-1.4 a scanned page\n").key
    for i in range(n):
        code = custody.receive(office=cast.commune, procedure=cast.procedure.code,
                               applicant_name=f"Người nộp {i}", applicant_id="079000000000",
                               actor=cast.receiver, components=cast.components)["code"]
        text = json.dumps({"pages": [{"text": f"Đơn đề nghị số {i} của người nộp {i}"}]},
                          ensure_ascii=False).encode()
        custody.digitise(code, cast.receiver, [page],
                         ocr_text_key=custody.objects.put(text, "application/json").key)


def measure(name: str, env: dict[str, str], dossiers: int, runs: int) -> dict[str, Any]:
    progress(f"{name}: storing {dossiers} dossiers")
    services = filled(env, dossiers)
    custody = services.application()
    views = services.views()
    began = time.perf_counter()
    rebuilt = rebuild(views)
    scans = custody.reindex_search()
    baseline = time.perf_counter() - began
    progress(f"{name}: baseline rebuild in place {baseline:.2f} s")
    times, verdict = [], None
    for _ in range(runs):
        verdict = services.view_verifier().verify()
        times.append(verdict.seconds)
        progress(f"{name}: verify {verdict.seconds:.2f} s, identical={verdict.identical}")
    assert verdict is not None
    services.close()
    return {"backend": name, "dossiers": verdict.compared["status"],
            "events": rebuilt.events, "scans": scans, "figures": verdict.compared["report"],
            "identical": verdict.identical,
            "baseline_rebuild_in_place_s": round(baseline, 2),
            "verify_s": round(min(times), 2), "verify_runs_s": [round(t, 2) for t in times],
            "ratio_to_baseline": round(min(times) / baseline, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", help="Also measure on this PostgreSQL database.")
    args = parser.parse_args()
    report: dict[str, Any] = {"machine": {"python": platform.python_version(),
                                          "cpus": os.cpu_count(),
                                          "load": os.getloadavg()[0]}}
    with tempfile.TemporaryDirectory(prefix="hoso-bench-") as tmp:
        report["sqlite"] = measure("sqlite", {"HOSO_DATA_DIR": f"{tmp}/sqlite"},
                                   args.dossiers, args.runs)
        if args.database_url:
            schema = f"bench_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(args.database_url, autocommit=True) as admin:
                admin.execute(f"CREATE SCHEMA {schema}")
                try:
                    report["postgres"] = measure(
                        "postgres", {"HOSO_DATA_DIR": f"{tmp}/pg",
                                     "HOSO_DATABASE_URL": f"{args.database_url}?schema={schema}"},
                        args.dossiers, args.runs)
                finally:
                    admin.execute(f"DROP SCHEMA {schema} CASCADE")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

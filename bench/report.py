"""The provincial report for a month over a province of 100,000 dossiers, on SQLite, from the
views.

The views are filled as the projector fills them (``ViewStore.batch().write`` of dossier rows
and report figures, the rows a fold makes), not by running 100,000 dossiers through the
application, which would take hours: the report reads only the views, so what it costs depends
on their rows alone. Each dossier is received at one of the demo's one-stop shops for one of its
procedures, by a channel, on a working day of March 2026 (``--carried`` of them in late
February); it pays its fee, most are digitised, and by the end of March most are resolved early,
on time or overdue (some rated), some rejected, cancelled or paused, the rest open.

Timed, ``--rounds`` times each, through ``Views.report`` (the CLI's and the API's path; the
views are caught up first, as every read does):

* ``report``: March by office (the CLI's default), and ``report_by_level``, ``report_by_field``;
* ``report_subtree``: March for one district one-stop's subtree, grouped by field;
* ``page``: what the report page reads — March with its days, then grouped by field for the
  rejections chart;
* ``baseline``: one scan of the same figures (``COUNT`` and ``SUM`` of every figure row up to the
  month's end, no grouping, read from the covering index as the report reads it), measured in
  the same run: the least any report over these views can read.

Target: p95 < 300 ms for ``report``. Figures are milliseconds, and ratios to the baseline.

Usage, from the repository root:
    .venv/bin/python bench/report.py [--dossiers 100000] [--rounds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repo, not bench/, comes first

from tests.conftest import ManualClock  # noqa: E402
from tracker.bootstrap import Services, compose  # noqa: E402
from tracker.domain.calendar import LOCAL_TZ  # noqa: E402
from tracker.projections.fold import DOSSIER_COLUMNS, Figure  # noqa: E402
from tracker.province_file import demo_province_path, load_province_file  # noqa: E402
from tracker.settings import Settings  # noqa: E402

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
MARCH_DAYS = [date(2026, 3, d) for d in range(2, 28) if date(2026, 3, d).weekday() < 5]
FEBRUARY_DAYS = [date(2026, 2, d) for d in range(16, 28) if date(2026, 2, d).weekday() < 5]
OUTCOMES = [("resolved_early", 60), ("resolved_on_time", 15), ("resolved_overdue", 4),
            ("rejected", 3), ("cancelled", 2), ("paused", 2), ("open", 14)]
CHANNELS = [("online", 60), ("counter", 35), ("post", 4), ("home", 1)]
BATCH = 20_000


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, datetime.min.time(), LOCAL_TZ).replace(hour=hour)


def dossier(rng: random.Random, offices: list[str], procedures: list[tuple[str, int]],
            received: date) -> tuple[dict[str, Any], list[Figure]]:
    """A dossier's view row and its figures, as the fold would leave them at the month's end."""
    dossier_id = str(uuid.UUID(int=rng.getrandbits(128)))
    office = rng.choice(offices)
    procedure, fee = rng.choice(procedures)
    channel = rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
    outcome = rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
    due = received + timedelta(days=rng.randint(3, 15))
    at = moment(received, 9).astimezone(UTC).isoformat()
    figures = [Figure(dossier_id, 1, received.isoformat(), office, procedure, "received",
                      channel, int(rng.random() < 0.05)),
               Figure(dossier_id, 2, received.isoformat(), office, procedure, "fee", None, fee)]
    version = 3
    if rng.random() < 0.7:
        figures.append(Figure(dossier_id, version, received.isoformat(), office, procedure,
                              "digitised", None, 0))
        version += 1
    stage, clock_stopped, timeliness, closed = "in_progress", None, None, received
    if outcome not in ("open", "paused"):
        closed = min(MARCH[1], received + timedelta(days=rng.randint(1, 20)))
        stage = "resolved" if outcome.startswith("resolved") else outcome
        if outcome.startswith("resolved"):
            timeliness = outcome.removeprefix("resolved_")
        figures.append(Figure(dossier_id, version, closed.isoformat(), office, procedure,
                              outcome, "hồ sơ không hợp lệ" if outcome in (
                                  "rejected", "cancelled") else None, 0))
        version += 1
        if stage == "resolved" and rng.random() < 0.5:
            stage = "returned"
            figures.append(Figure(dossier_id, version, closed.isoformat(), office, procedure,
                                  "rated", None, rng.randint(3, 5)))
            version += 1
    elif outcome == "paused":
        clock_stopped = "paused"
        figures.append(Figure(dossier_id, version, (received + timedelta(days=1)).isoformat(),
                              office, procedure, "paused", None, 0))
        version += 1
    row = dict.fromkeys(DOSSIER_COLUMNS)
    row.update(dossier_id=dossier_id, code=f"{office}-{received:%y%m%d}-{version:04d}",
               version=version - 1, procedure=procedure, receiving_office=office,
               resolving_office=office, applicant_name="Nguyễn Văn An",
               missing_components="[]", stage=stage,
               decision=stage if stage in ("resolved", "rejected", "cancelled") else None,
               custodian="bench", office=office, due=due.isoformat(),
               clock_stopped=clock_stopped, timeliness=timeliness, fee_paid=fee, pages=1,
               supplements_requested=0, received_at=at, updated_at=at, channel=channel,
               non_local=0, in_field=0)
    return row, figures


def filled(folder: Path, dossiers: int, carried: int) -> Services:
    services = compose(Settings.from_environ({"HOSO_DATA_DIR": str(folder)}),
                       clock=ManualClock(datetime.fromisoformat("2026-04-01T09:00:00+07:00")))
    custody = services.application()
    custody.load_province(load_province_file(demo_province_path()))
    province = custody.province()
    offices = sorted(o.code for o in province.offices.values() if o.kind == "one_stop")
    procedures = sorted((p.code, p.fee) for p in province.procedures.values())
    views = services.views()
    views.catch_up()
    rng = random.Random(20260301)
    for first in range(0, dossiers, BATCH):
        rows, figures = [], []
        for number in range(first, min(first + BATCH, dossiers)):
            days = FEBRUARY_DAYS if number < carried else MARCH_DAYS
            row, made = dossier(rng, offices, procedures, days[number % len(days)])
            rows.append(row)
            figures += made
        with views.store.batch() as batch:
            batch.write(rows, figures)
        progress(f"  {min(first + BATCH, dossiers)} dossiers")
    return services


def timed(run: Callable[[], Any], rounds: int) -> dict[str, float]:
    run()  # warm: the first read also catches the views up
    spent = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        spent.append((time.perf_counter() - started) * 1000)
    spent.sort()
    return {"p50_ms": round(statistics.median(spent), 1),
            "p95_ms": round(spent[min(len(spent) - 1, int(len(spent) * 0.95))], 1),
            "max_ms": round(spent[-1], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--carried", type=int, default=None,
                        help="Of them received in late February (default a tenth).")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    carried = args.dossiers // 10 if args.carried is None else args.carried
    with tempfile.TemporaryDirectory(prefix="hoso-bench-report-") as folder:
        progress(f"filling the views of a SQLite store with {args.dossiers} dossiers")
        services = filled(Path(folder), args.dossiers, carried)
        views = services.views()
        province = services.application().province()
        district = next(o.code for o in province.offices.values()
                        if o.kind == "one_stop" and o.level == "district")
        start, end = MARCH
        runs: dict[str, Callable[[], Any]] = {
            "baseline": lambda: views.store.query(
                "SELECT COUNT(*) AS n, SUM(amount) AS total FROM {figures} "
                "WHERE day || '' <= ?",
                [end.isoformat()]),
            "report": lambda: views.report(start, end),
            "report_by_level": lambda: views.report(start, end, by="level"),
            "report_by_field": lambda: views.report(start, end, by="field"),
            "report_subtree": lambda: views.report(start, end, district, "field", subtree=True),
            "page": lambda: (views.report(start, end, days=True),
                             views.report(start, end, by="field")),
        }
        timings = {name: timed(run, args.rounds) for name, run in runs.items()}
        base = timings["baseline"]["p95_ms"] or 0.1
        for name, figures in timings.items():
            figures["p95_vs_baseline"] = round(figures["p95_ms"] / base, 2)
            if name != "baseline":
                figures["meets_target"] = figures["p95_ms"] < 300
        totals = views.report(start, end)["totals"]
        rows = views.store.query("SELECT COUNT(*) AS n FROM {figures}")[0]["n"]
        print(json.dumps({
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                        "load": [round(x, 2) for x in os.getloadavg()]},
            "store": "sqlite", "dossiers": args.dossiers, "figure_rows": int(rows),
            "rounds": args.rounds,
            "march": {k: totals[k] for k in ("received_total", "received", "carried_over",
                                             "resolved", "in_progress", "in_progress_overdue",
                                             "paused_hanging")},
            "timings": timings, "target_p95_ms": 300}, indent=2))
        services.close()


if __name__ == "__main__":
    main()

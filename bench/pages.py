"""Server time of the pages people use all day, with 10,000 dossiers in the store.

The store is filled through the real application (whole months of tests/month.py, every
outcome there), the views caught up, then each page is asked ``--requests`` times through
Flask's test client by a signed-in person, timing the server's whole answer (routing, the
session and account check, the reads, the template). Figures are milliseconds and, since this
machine is noisy, ratios against ``baseline``: the cheapest signed-in page request measured in
the same run (the change-password form: a session check and a template).

* ``counter``: the procedure search (``/counter/?q=…``) and the receive form, as a receiver at
  the office that received the most;
* ``queue``: ``/queue`` of the office holding the most open dossiers, as an official there;
  ``queue_part``, the lists alone as htmx refreshes them every 30 seconds; ``queue_last``,
  the last page (the database skips every row before it);
* ``home``: the signed-in home page of that official, which shows their office's queue;
* ``dossier``: a dossier's page (status, steps, forms) as that official;
* ``courier``: ``/courier/`` (the scan box) as a courier, and ``courier_bag``: a bag of
  ``BAG_SIZE`` dossiers on its page, as the person filling it (the page every scan into the
  bag answers with).

Target: p95 < 100 ms on SQLite.

Usage, from the repository root:
    .venv/bin/python bench/pages.py [--dossiers 10000] [--requests 200]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repo, not bench/, comes first

from flask.testing import FlaskClient  # noqa: E402

from tests.conftest import ManualClock  # noqa: E402
from tests.month import PLAN, run_month  # noqa: E402
from tracker import bags  # noqa: E402
from tracker.bootstrap import Services, compose  # noqa: E402
from tracker.province_file import demo_province_path, load_province_file  # noqa: E402
from tracker.settings import Settings  # noqa: E402
from tracker.web import create_app  # noqa: E402

PER_MONTH = sum(count for _, _, count, _ in PLAN)
READ_AT = datetime.fromisoformat("2026-04-15T09:00:00+07:00")
"""When the pages are read: a fortnight after the plan's last day, so the dossiers it leaves
open are overdue and the queue's pressing ones come first."""
BAG_SIZE = 50
LAST = 10**6
"""A page number past any queue's end: the page shows the last page."""
PASSWORD = "mật khẩu đo hiệu năng"


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def filled(folder: Path, dossiers: int) -> Services:
    clock = ManualClock(datetime.fromisoformat("2026-03-02T09:00:00+07:00"))
    services = compose(Settings.from_environ({"HOSO_DATA_DIR": str(folder)}), clock=clock)
    custody = services.application()
    custody.load_province(load_province_file(demo_province_path()))
    for month in range(max(1, dossiers // PER_MONTH)):
        run_month(custody, clock, PLAN)
        progress(f"  {(month + 1) * PER_MONTH} dossiers")
    clock.now = READ_AT
    services.views().catch_up()
    return services


def signed_in(services: Services, staff: str) -> FlaskClient:
    services.accounts().set_password(staff, PASSWORD, "bench")
    client = create_app(services, {"TESTING": True, "WTF_CSRF_ENABLED": False,
                                   "RATELIMIT_ENABLED": False}).test_client()
    client.post("/sign-in", data={"staff": staff, "password": PASSWORD})
    return client


def timed(client: FlaskClient, path: str, requests: int) -> dict[str, float]:
    """p50 and p95 in ms of ``requests`` GETs of ``path`` (the first two untimed)."""
    for _ in range(2):
        assert client.get(path).status_code == 200, path
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, path
    times.sort()
    return {"p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 2)}


def busiest(services: Services, column: str, where: str = "1=1") -> str:
    rows = services.views().store.query(
        f"SELECT {column} AS office, COUNT(*) AS n FROM {{dossiers}} WHERE {where} "
        f"GROUP BY {column} ORDER BY n DESC LIMIT 1", [])
    return str(rows[0]["office"])


def filled_bag(services: Services, destination: str) -> tuple[str, str]:
    """(the releaser who made it, the bag's code): a bag of up to ``BAG_SIZE`` dossiers made
    at the office holding the most open dossiers that are not on their way."""
    held = "stage NOT IN ('returned', 'cancelled', 'refused') AND transit_carrier IS NULL"
    origin = busiest(services, "office", f"{held} AND office <> '{destination}'")
    codes = [row["code"] for row in services.views().store.query(
        f"SELECT code FROM {{dossiers}} WHERE {held} AND office = ? ORDER BY code LIMIT ?",
        [origin, BAG_SIZE])]
    province = services.application().province()
    maker = next(s.id for s in province.staff.values()
                 if s.office == origin and s.role in ("receiver", "operator", "official"))
    made = bags.create(services.application(), maker, destination, codes)
    return maker, str(made["bag"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hoso-bench-pages-") as folder:
        progress(f"filling a SQLite store with {args.dossiers} dossiers")
        services = filled(Path(folder), args.dossiers)
        province = services.application().province()
        counter_office = busiest(services, "receiving_office")
        queue_office = busiest(services, "office", "stage NOT IN ('returned', 'cancelled')")
        receiver = next(s.id for s in province.staff.values()
                        if s.office == counter_office and s.role == "receiver")
        official = next(s.id for s in province.staff.values()
                        if s.office == queue_office and s.role in ("official", "receiver"))
        at_counter, at_office = signed_in(services, receiver), signed_in(services, official)
        procedure = next(iter(province.procedures))
        queue_page = at_office.get("/queue").text
        code = re.search(r"/dossiers/([^\"?]+)\"", queue_page)
        pages: dict[str, Any] = {
            "baseline": timed(at_counter, "/password", args.requests),
            "counter_search": timed(at_counter, "/counter/?q=dat", args.requests),
            "counter_form": timed(at_counter, f"/counter/receive?procedure={procedure}",
                                  args.requests),
            "queue": timed(at_office, "/queue", args.requests),
            "queue_part": timed(at_office, "/queue?part=1", args.requests),
            "queue_last": timed(at_office, f"/queue?page={LAST}", args.requests),
            "home": timed(at_office, "/", args.requests),
        }
        if code:
            pages["dossier"] = timed(at_office, f"/dossiers/{code.group(1)}", args.requests)
        courier = next(s.id for s in province.staff.values() if s.role == "courier")
        pages["courier"] = timed(signed_in(services, courier), "/courier/", args.requests)
        maker, bag = filled_bag(services, queue_office)
        pages["courier_bag"] = timed(signed_in(services, maker), f"/courier/bags/{bag}",
                                     args.requests)
        base = pages["baseline"]["p95_ms"]
        for figures in pages.values():
            figures["p95_vs_baseline"] = round(figures["p95_ms"] / base, 2)
            figures["meets_target"] = figures["p95_ms"] < 100
        held = services.views().queue(queue_office)
        print(json.dumps({
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
            "store": "sqlite", "dossiers": args.dossiers, "requests": args.requests,
            "queue_office": {"code": queue_office, **{name: len(held[name]) for name in (
                "holds", "incoming", "sent", "due_today", "overdue", "late_in_transit")}},
            "pages": pages, "target_p95_ms": 100}, indent=2))
        services.close()


if __name__ == "__main__":
    main()

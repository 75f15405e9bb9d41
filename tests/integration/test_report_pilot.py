"""The seeds' month: the Hà Nam pilot's figures, planned as data, come out of every surface.

GIVEN the pilot's month as a plan (tests/month.py drives it through the real application):
50 dossiers received online in late February at the commune office A, all still open on 1 March
and resolved early in March, and 764 received online 2–13 March at A and B — 667 resolved early,
55 on time, 10 overdue, 32 left open; WHEN March is reported by the views, by ``hoso report
--json`` with ``--xlsx``, and by the report page and its XLSX, THEN each shows the pilot's
figures: 814 received (764 online, 50 carried over), 782 resolved (717 early, 55 on time, 10
overdue), 32 in progress.
"""

from __future__ import annotations

from datetime import date

from tests.hoso_cli import Hoso
from tests.integration.test_office_pages import signed_in
from tests.integration.test_report_page import figure
from tests.month import A, B, run_month
from tests.xlsx import sheet_rows

PILOT = [
    ("early", A, 50, "february"),
    ("early", A, 334, "march"), ("early", B, 333, "march"),
    ("on_time", A, 28, "march"), ("on_time", B, 27, "march"),
    ("overdue", A, 5, "march"), ("overdue", B, 5, "march"),
    ("open", A, 16, "march"), ("open", B, 16, "march"),
]
FIGURES = {"received_total": 814, "received": 764, "carried_over": 50, "resolved": 782,
           "resolved_early": 717, "resolved_on_time": 55, "resolved_overdue": 10,
           "in_progress": 32, "rejected": 0, "cancelled": 0}
ONLINE = {"counter": 0, "online": 764, "post": 0, "home": 0}


def pilot_month(custody, clock) -> None:
    run_month(custody, clock, PILOT, channel="online")


def test_the_pilot_month_reads_the_same_on_every_surface(services, custody, clock,
                                                         store_env, tmp_path):
    pilot_month(custody, clock)
    totals = services.open_views().report(date(2026, 3, 1), date(2026, 3, 31))["totals"]
    assert {k: totals[k] for k in FIGURES} == FIGURES
    assert totals["received_by_channel"] == ONLINE
    # the open 32 were received by 13 March and due by 24 March: overdue on the 31st
    assert (totals["in_progress_on_time"], totals["in_progress_overdue"]) == (0, 32)

    workbook = tmp_path / "pilot.xlsx"
    cli = Hoso(store_env).ok("report", "--from", "2026-03-01", "--to", "2026-03-31",
                             "--xlsx", str(workbook))
    assert {k: cli["totals"][k] for k in FIGURES} == FIGURES
    assert cli["totals"]["received_by_channel"] == ONLINE
    rows = sheet_rows(workbook.read_bytes())
    header = next(row for row in rows if row and row[0] == "office")
    total = dict(zip(header, next(row for row in rows if row and row[0] == "total"),
                     strict=True))
    assert {k: int(total[k]) for k in FIGURES} == FIGURES
    assert int(total["received_online"]) == 764

    inspector = signed_in(services, "hnm-ins-001")  # the province's inspector
    html = inspector.get("/report?from=2026-03-01&to=2026-03-31").text
    assert {k: int(figure(html, k)) for k in FIGURES} == FIGURES
    assert (figure(html, "received_online"), figure(html, "received_counter")) == ("764", "0")
    page_book = sheet_rows(inspector.get("/report.xlsx?from=2026-03-01&to=2026-03-31").data)
    assert next(row for row in page_book if row[0] == "total") == next(
        row for row in rows if row[0] == "total")

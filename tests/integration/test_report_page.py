"""The report page: a provincial inspector's month in tables, charts and downloads, a
supervisor's subtree by default, filters refused on the page, and a strict page (no inline
style or script) that reads the same figures as the CLI."""

from __future__ import annotations

import re
from datetime import date

from tests.integration.test_office_pages import signed_in
from tests.month import SAMPLER, run_month
from tests.xlsx import sheet_rows
from tracker.bootstrap import Services

MARCH = "from=2026-03-01&to=2026-03-31"


def figure(html: str, name: str) -> str:
    found = re.search(rf'<td data-figure="{name}">([^<]*)</td>', html)
    assert found, name
    return found.group(1)


def test_an_inspector_reads_the_month_and_downloads_it(services: Services, custody,
                                                       clock) -> None:
    """GIVEN a sample month WHEN the provincial inspector opens March's report THEN the page
    shows the views' totals, three SVG charts drawn with classes only, and CSV and XLSX
    downloads of the same table."""
    run_month(custody, clock, SAMPLER)
    totals = services.open_views().report(date(2026, 3, 1), date(2026, 3, 31))["totals"]
    inspector = signed_in(services, "hnm-ins-001")
    answer = inspector.get(f"/report?{MARCH}")
    assert answer.status_code == 200
    html = answer.text
    for name in ("received_total", "carried_over", "received", "resolved", "resolved_early",
                 "in_progress", "in_progress_overdue", "rejected", "cancelled",
                 "paused_hanging", "digitised"):
        assert figure(html, name) == f"{totals[name]:,}".replace(",", "."), name
    assert html.count('<svg class="chart"') == 3
    assert " style=" not in html
    assert "<script>" not in html
    csv = inspector.get(f"/report.csv?{MARCH}&by=level")
    assert csv.headers["Content-Disposition"].endswith('bao-cao-2026-03-01-2026-03-31.csv"')
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("level,received,carried_over")
    assert lines[-1].startswith(f"total,{totals['received']},{totals['carried_over']},")
    workbook = inspector.get(f"/report.xlsx?{MARCH}")
    assert workbook.content_type.startswith("application/vnd.openxmlformats")
    rows = sheet_rows(workbook.data)
    header = next(row for row in rows if row[0] == "office")
    total = dict(zip(header, next(row for row in rows if row[0] == "total"), strict=True))
    assert int(total["received_total"]) == totals["received_total"]


def test_a_supervisor_sees_their_subtree_and_refusals_stay_on_the_page(
        services: Services, custody, clock) -> None:
    run_month(custody, clock, SAMPLER)
    supervisor = signed_in(services, "pl-sup-001")  # Phủ Lý: the commune office A is under it
    html = supervisor.get(f"/report?{MARCH}").text
    assert "UBND phường Châu Cầu" in html
    assert "Duy Tiên" not in html.split('id="rows-h"')[1]
    refused = supervisor.get("/report?from=2026-02-30&to=2026-03-31")
    assert refused.status_code == 400
    assert 'class="error"' in refused.text
    assert 'value="2026-02-30"' in refused.text
    assert supervisor.get(f"/report?{MARCH}&office=000.00.22.H40").status_code == 403

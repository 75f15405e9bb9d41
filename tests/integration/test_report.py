"""The provincial report against figures worked out by hand from tests/month.py's plan.

GIVEN the month of 200 dossiers (180 received 2–13 March 2026, 20 in late February) driven
through the real application, WHEN the report is asked for March, February or one day, by
office, level or field, through the views or the ``hoso report`` command, THEN every figure is
the one computed by hand below from the plan table (A = commune office, land procedure;
B = district office, business registration).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.hoso_cli import Hoso
from tests.month import A, B, run_month

ZERO = dict.fromkeys(("received", "resolved_early", "resolved_on_time", "resolved_overdue",
                      "in_progress", "rejected", "cancelled", "paused",
                      "supplements_requested", "digitised", "fees_vnd", "refused_at_counter",
                      "ratings", "rating_points", "received_non_local"), 0)
# March 2026, worked out from PLAN (see the module docstring of tests/month.py):
# A received 20+15+10+5+3+4+6+5+23 = 91, B 20+15+10+5+2+4+6+5+22 = 89;
# early: A 20 + 10 February dossiers resolved in March, B 20; on time: 15 + 6 after a
# supplement each; in progress at 31 March: A 5 paused + 23 open + 10 February open, B 5 + 22;
# digitised: the early and on-time March dossiers; fees: every March receipt, A 50,000 VND and
# B 100,000 VND each.
MARCH_A = {**ZERO, "received": 91, "resolved_early": 30, "resolved_on_time": 21,
           "resolved_overdue": 10, "in_progress": 38, "rejected": 8, "cancelled": 4,
           "paused": 5, "supplements_requested": 6, "digitised": 35, "fees_vnd": 4_550_000}
MARCH_B = {**ZERO, "received": 89, "resolved_early": 20, "resolved_on_time": 21,
           "resolved_overdue": 10, "in_progress": 27, "rejected": 7, "cancelled": 4,
           "paused": 5, "supplements_requested": 6, "digitised": 35, "fees_vnd": 8_900_000}
MARCH = {**ZERO, "received": 180, "resolved_early": 50, "resolved_on_time": 42,
         "resolved_overdue": 20, "in_progress": 65, "rejected": 15, "cancelled": 8,
         "paused": 10, "supplements_requested": 12, "digitised": 70, "fees_vnd": 13_450_000}
REASONS = {"A": ({"ho-so-khong-hop-le": 5, "khong-du-dieu-kien": 3}, {"cong-dan-rut": 4}),
           "B": ({"ho-so-khong-hop-le": 5, "khong-du-dieu-kien": 2}, {"cong-dan-rut": 4})}


STOCKS = ("carried_over", "received_total", "resolved", "in_progress_on_time",
          "in_progress_overdue", "paused_hanging", "paused_hanging_days_max",
          "reused_components", "reuse_rate", "satisfaction_count", "satisfaction_mean",
          "received_outside_locality", "digitisation_rate")


def figures(row: dict) -> dict:
    return {k: row[k] for k in ZERO}


def test_a_month_of_dossiers_gives_the_hand_computed_report(services, custody, clock,
                                                             store_env):
    run_month(custody, clock)
    views = services.open_views()
    march = views.report(date(2026, 3, 1), date(2026, 3, 31))
    assert figures(march["totals"]) == MARCH
    # stocks: A's 20 February receipts were open on 1 March; every dossier open on 31 March
    # was due before it (land: 7 working days, business: 3); the ten paused ones hang, the
    # oldest (B's, received 2 March) paused on 3 March
    assert {k: march["totals"][k] for k in STOCKS} == {
        "carried_over": 20, "received_total": 200, "resolved": 112, "in_progress_on_time": 0,
        "in_progress_overdue": 65, "paused_hanging": 10, "paused_hanging_days_max": 28,
        "reused_components": 0, "reuse_rate": 0.0, "satisfaction_count": 0,
        "satisfaction_mean": None, "received_outside_locality": 0,
        "digitisation_rate": round(70 / 180, 4)}
    assert march["totals"]["received_by_channel"] == {"counter": 180, "online": 0, "post": 0,
                                                       "home": 0}
    by_office = {row["office"]: row for row in march["rows"]}
    assert set(by_office) == {A.office, B.office}
    for desk, expected, name in ((A, MARCH_A, "A"), (B, MARCH_B, "B")):
        row = by_office[desk.office]
        assert figures(row) == expected
        assert (row["rejected_by_reason"], row["cancelled_by_reason"]) == REASONS[name]
        assert row["digitisation_rate"] == round(35 / expected["received"], 4)
    by_level = {row["level"]: figures(row)
                for row in views.report(date(2026, 3, 1), date(2026, 3, 31), by="level")["rows"]}
    assert by_level == {"commune": MARCH_A, "district": MARCH_B}
    by_field = {row["field"]: figures(row)
                for row in views.report(date(2026, 3, 1), date(2026, 3, 31), by="field")["rows"]}
    assert by_field == {"land": MARCH_A, "business_registration": MARCH_B}
    only_b = views.report(date(2026, 3, 1), date(2026, 3, 31), office=B.office)
    assert figures(only_b["totals"]) == MARCH_B
    assert only_b["totals"]["carried_over"] == 0
    # February: the 20 late-February receipts at A, all still open at its end, none yet due
    february = views.report(date(2026, 2, 1), date(2026, 2, 28))["totals"]
    assert figures(february) == {**ZERO, "received": 20, "in_progress": 20,
                                 "fees_vnd": 1_000_000}
    assert (february["in_progress_on_time"], february["in_progress_overdue"],
            february["carried_over"], february["paused_hanging"]) == (20, 0, 0, 0)
    # filters: a field keeps its procedures, a level its offices, a subtree its offices
    assert figures(views.report(date(2026, 3, 1), date(2026, 3, 31),
                                field="land")["totals"]) == MARCH_A
    assert figures(views.report(date(2026, 3, 1), date(2026, 3, 31),
                                level="district")["totals"]) == MARCH_B
    # one day: the 180 March receipts are spread evenly over ten working days
    assert views.report(date(2026, 3, 2), date(2026, 3, 2))["totals"]["received"] == 18

    hoso = Hoso(store_env)
    cli = hoso.ok("report", "--from", "2026-03-01", "--to", "2026-03-31")
    assert cli == march
    # Phủ Lý's one-stop received nothing itself; with its subtree it holds A, a ward under it
    home = hoso.ok("report", "--from", "2026-03-01", "--to", "2026-03-31", "--office",
                   "000.00.21.H40", "--subtree", "--by", "field")
    assert figures(home["totals"]) == MARCH_A
    assert [row["field"] for row in home["rows"]] == ["land"]
    assert figures(hoso.ok("report", "--from", "2026-03-01", "--to", "2026-03-31", "--office",
                           "000.00.21.H40")["totals"]) == ZERO
    lines = hoso("report", "--from", "2026-03-01", "--to", "2026-03-31", "--by", "level",
                 "--csv").stdout.splitlines()
    assert lines[0].startswith("level,received,carried_over,received_total,resolved,"
                               "resolved_early,resolved_on_time,resolved_overdue,in_progress,")
    assert lines[1].startswith("commune,91,20,111,61,30,21,10,38,")
    assert lines[-1].startswith("total,180,20,200,112,50,42,20,65,")


def test_days_are_vietnamese_calendar_days(services, custody, clock):
    """06:30 on 2 March in Hà Nội is still 1 March in UTC: it counts on 2 March."""
    clock.now = datetime.fromisoformat("2026-03-02T06:30:00+07:00")
    custody.receive(office=A.office, procedure=A.procedure, applicant_name="Lê Thị Bình",
                    applicant_id="035190000002", actor=A.receiver, components=A.components)
    views = services.open_views()
    assert views.report(date(2026, 3, 2), date(2026, 3, 2))["totals"]["received"] == 1
    assert views.report(date(2026, 3, 1), date(2026, 3, 1))["totals"]["received"] == 0


@pytest.mark.parametrize(("args", "message"), [
    (("--from", "2026-02-30", "--to", "2026-03-01"), "is not a date"),
    (("--from", "2026-03-01", "--to", "2026-03-31", "--office", "000.99.99.H40"),
     "unknown office"),
    (("--from", "2026-03-01", "--to", "2026-03-31", "--by", "district"), "--by must be"),
])
def test_bad_report_requests_exit_2_with_one_line(custody, store_env, args, message):
    result = Hoso(store_env)("report", *args)
    assert result.code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr

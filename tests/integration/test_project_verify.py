"""Verifying the views against the log: ``hoso project verify``, and scheduled runs in /readyz.

GIVEN a store with dossiers in every state (tests/month.py, one of each planned outcome) and two
scanned dossiers whose OCR text names their applicants, WHEN the view tables are left alone,
edited, emptied of a row or given a row no event made, directly in the database, THEN verify
exits 0, or 1 naming each difference by view, dossier code and column, and never prints an
applicant's name, number or OCR text. Both stores; the CLI runs as a real process.
"""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.cast import Cast
from tests.conftest import ManualClock, postgres_test_url
from tests.hoso_cli import Hoso, Result
from tests.month import SAMPLER, run_month
from tests.servers.hoso import live_hoso
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.projections.store import Scratch
from tracker.projections.verify import verify

SECRET_NAME = "Phạm Thị Bí Mật"
SECRET_ID = "079123456789"
FORGED_NAME = "Đỗ Văn Giả Mạo"
OCR_TEXT = f"ĐƠN ĐỀ NGHỊ\nNgười nộp: {SECRET_NAME}, CCCD {SECRET_ID}, thôn Đông Hà"
PERSONAL = (SECRET_NAME, SECRET_ID, FORGED_NAME, "Nguyễn Văn An", "035190000001",
            "Đông Hà", "dong ha")


class ViewTables:
    """Raw SQL on the store's view tables, as someone with database access would write it."""

    def __init__(self, store_env: dict[str, str]) -> None:
        self.env = store_env
        self.postgres = "HOSO_DATABASE_URL" in store_env
        prefix = store_env["HOSO_DATABASE_URL"].split("schema=")[1] + "." if self.postgres else ""
        self.dossiers = f"{prefix}hoso_view_dossiers"
        self.figures = f"{prefix}hoso_view_figures"
        self.text = f"{prefix}dossier_text"

    def __call__(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        sql = sql.format(dossiers=self.dossiers, figures=self.figures, text=self.text)
        if self.postgres:
            with psycopg.connect(postgres_test_url()) as conn, conn.cursor() as cur:
                cur.execute(sql.replace("?", "%s"), params)
                return list(cur.fetchall()) if cur.description else []
        conn = sqlite3.connect(Path(self.env["HOSO_DATA_DIR"]) / "hoso.sqlite")
        try:
            with conn:
                return list(conn.execute(sql, params).fetchall())
        finally:
            conn.close()


def scanned(custody: CustodyApplication, cast: Cast, name: str, text: str) -> str:
    """A received dossier digitised with one page and ``text`` as its OCR."""
    code: str = custody.receive(office=cast.commune, procedure=cast.procedure.code,
                                applicant_name=name, applicant_id=SECRET_ID,
                                actor=cast.receiver, components=cast.components)["code"]
    page = custody.objects.put(f"{code} page".encode(), "image/png").key
    ocr = json.dumps({"pages": [{"page": 1, "text": text}]}, ensure_ascii=False).encode()
    ocr_key = custody.objects.put(ocr, "application/json").key
    custody.digitise(code, cast.receiver, [page], ocr_text_key=ocr_key)
    return code


@pytest.fixture
def scenario(custody: CustodyApplication, clock: ManualClock, cast: Cast) -> list[str]:
    """The month's dossiers, then two scanned ones; the views followed to the end."""
    codes = run_month(custody, clock, SAMPLER)
    codes += [scanned(custody, cast, SECRET_NAME, OCR_TEXT),
              scanned(custody, cast, "Lê Văn Hai", "Tờ khai lệ phí trước bạ")]
    return codes


def no_personal_data(*results: Result) -> None:
    for result in results:
        for secret in PERSONAL:
            assert secret not in result.stdout + result.stderr, secret


def test_views_equal_to_the_log_verify_with_exit_0(scenario, store_env):
    # GIVEN the scenario's views, untouched WHEN verified
    hoso = Hoso(store_env)
    result = hoso("project", "verify", "--json")
    # THEN they equal the rebuild, every view compared, the access log said to need no view
    assert result.code == 0, result.stderr
    document = result.json()
    assert (document["identical"], document["differences_total"]) == (True, 0)
    assert document["differences"] == []
    compared = {v["view"]: v["compared"] for v in document["views"]}
    assert compared["status"] == len(scenario)
    assert compared["report"] > len(scenario)
    assert compared["search"] == 2
    assert compared["queues"] is None
    assert compared["access-log"] is None
    notes = {v["view"]: v.get("note") for v in document["views"]}
    assert "no view" in notes["access-log"]
    assert document["position"] > 0
    # AND the human lines say so too
    lines = hoso("project", "verify")
    assert lines.code == 0
    assert lines.stdout.startswith(f"views identical to a rebuild of the log at position "
                                   f"{document['position']}")
    assert "access-log: read straight from the event log" in lines.stdout
    # AND no scratch database is left in the data folder
    assert not list(Path(store_env["HOSO_DATA_DIR"]).glob(".verify-*"))


def test_an_edited_row_is_named_by_code_and_column(scenario, store_env, cast):
    """The issue's drill: the dossier view edited to show another custodian and the stage
    'returned' (and, here, another applicant's name)."""
    # GIVEN the views caught up, WHEN a status row is edited in the database
    hoso = Hoso(store_env)
    assert hoso("project", "verify").code == 0
    code = scenario[-2]  # the scanned dossier: in progress, held by the receiver
    tables = ViewTables(store_env)
    tables("UPDATE {dossiers} SET custodian = ?, stage = ?, applicant_name = ? WHERE code = ?",
           (cast.courier, "returned", FORGED_NAME, code))
    # THEN verify exits 1 naming the dossier and each edited column
    result = hoso("project", "verify")
    assert result.code == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("VIEWS DIFFER from a rebuild of the log at position")
    assert "3 difference(s)" in lines[0]
    assert f"  status {code}: stage differs: live 'returned', rebuilt 'in_progress'" in lines
    assert (f"  status {code}: custodian differs: live '{cast.courier}', "
            f"rebuilt '{cast.receiver}'") in lines
    assert f"  status {code}: applicant_name differs" in lines
    # AND no applicant's name, forged or true, is printed
    as_json = hoso("project", "verify", "--json")
    assert as_json.code == 1
    found = {(d["key"], d["column"]): d for d in as_json.json()["differences"]}
    assert set(found) == {(code, "stage"), (code, "custodian"), (code, "applicant_name")}
    assert (found[code, "stage"]["live"], found[code, "stage"]["rebuilt"]) == (
        "'returned'", "'in_progress'")
    assert found[code, "applicant_name"]["withheld"] is True
    assert found[code, "applicant_name"]["live"] is None
    no_personal_data(result, as_json)


def test_a_deleted_row_and_an_added_row_are_named(scenario, store_env):
    # GIVEN the views caught up
    hoso = Hoso(store_env)
    assert hoso("project", "verify").code == 0
    gone, other, scan_code, text_code = scenario[0], scenario[1], scenario[-2], scenario[-1]
    tables = ViewTables(store_env)
    # WHEN a dossier row is deleted, a row no event made is added, a figure is added, a scan's
    # row deleted and another scan's text changed
    tables("DELETE FROM {dossiers} WHERE code = ?", (gone,))
    forged = "000.21.11.H40-260331-0999"
    tables("INSERT INTO {dossiers} (dossier_id, code, version, procedure, receiving_office, "
           "resolving_office, applicant_name, missing_components, stage, custodian, office, "
           "due, fee_paid, pages, supplements_requested, received_at, updated_at) "
           "SELECT 'forged-id', ?, version, procedure, receiving_office, resolving_office, ?, "
           "missing_components, stage, custodian, office, due, fee_paid, pages, "
           "supplements_requested, received_at, updated_at FROM {dossiers} WHERE code = ?",
           (forged, FORGED_NAME, other))
    other_id = tables("SELECT dossier_id FROM {dossiers} WHERE code = ?", (other,))[0][0]
    tables("INSERT INTO {figures} (dossier_id, version, day, office, procedure, figure, "
           "reason, amount) VALUES (?, 99, '2026-03-10', '000.21.11.H40', '1.004217', 'fee', "
           "?, 1000000)", (other_id, SECRET_NAME))
    tables("DELETE FROM {text} WHERE code = ?", (scan_code,))
    tables("UPDATE {text} SET text = ? WHERE code = ?", (OCR_TEXT, text_code))
    # THEN each is named, the OCR text is said to differ and never printed
    result = hoso("project", "verify", "--limit", "100")
    assert result.code == 1, result.stderr
    lines = result.stdout.splitlines()
    assert f"  status {gone}: row missing from the live view" in lines
    assert f"  status {forged}: row only in the live view" in lines
    assert f"  report {other} v99: row only in the live view" in lines
    assert any(line.startswith(f"  search {scan_code} scan ") and
               line.endswith(": row missing from the live view") for line in lines)
    assert any(line.startswith(f"  search {text_code} scan ") and
               line.endswith(": text differs") for line in lines)
    no_personal_data(result)
    # AND a rebuild makes the views equal to the log again, apart from the search index
    assert hoso("project", "rebuild").code == 0
    assert hoso("search", "--reindex").code == 0
    assert hoso("project", "verify").code == 0


def test_many_differences_are_listed_up_to_the_limit_and_counted(scenario, store_env):
    # GIVEN every dossier row's page count edited
    hoso = Hoso(store_env)
    assert hoso("project", "verify").code == 0
    ViewTables(store_env)("UPDATE {dossiers} SET pages = pages + 7")
    # WHEN verified with a limit of 5
    result = hoso("project", "verify", "--limit", "5")
    # THEN five lines name differences and one counts the rest
    assert result.code == 1
    named = [line for line in result.stdout.splitlines() if line.startswith("  status ")]
    assert len(named) == 5
    assert f"  … and {len(scenario) - 5} more (--limit)" in result.stdout
    document = hoso("project", "verify", "--limit", "5", "--json").json()
    assert document["differences_total"] == len(scenario)
    assert len(document["differences"]) == 5
    assert {v["view"]: v["differences"] for v in document["views"]}["status"] == len(scenario)


@pytest.mark.parametrize("args", [["--limit", "0"], ["--batch-size", "5"], ["--limit", "x"]])
def test_bad_input_is_exit_2(services, store_env, args):
    result = Hoso(store_env)("project", "verify", *args)
    assert result.code == 2
    assert result.stdout == ""


def test_a_dossier_that_moves_on_while_verifying_is_left_out(services: Services, cast,
                                                             custody, monkeypatch):
    """GIVEN views followed to position P, WHEN a dossier's next event is applied to them
    without moving their position (as a Kafka consumer applies it) during a verification,
    THEN that dossier is left out and counted, not reported; and the scratch store is gone
    afterwards."""
    views = services.open_views()
    code = scanned(custody, cast, SECRET_NAME, OCR_TEXT)
    views.catch_up()
    position = views.projector.position()
    custody.collect_fee(code, cast.receiver, 10_000)
    later = views.app.recorder.select_notifications(position, 10, inclusive_of_start=False)
    views.projector.apply([f for f in map(views.facts.of_notification, later) if f])
    monkeypatch.setattr(views, "catch_up", lambda: 0)  # the position stays at P
    made: list[Scratch] = []

    @contextmanager
    def scratch() -> Iterator[Scratch]:
        with services.backend.scratch(services.settings) as fresh:
            made.append(fresh)
            yield fresh

    verdict = verify(views, scratch)
    assert verdict.identical, [d.line() for d in verdict.differences]
    assert (verdict.position, verdict.moved_on) == (position, 1)
    assert verdict.compared["status"] == 0  # the only dossier was left out
    assert scratch_gone(made[0], services)


def scratch_gone(scratch: Scratch, services: Services) -> bool:
    datastore: Any = scratch.views.datastore  # type: ignore[attr-defined]
    if services.backend.name == "sqlite":
        return not Path(datastore.pool.db_name).exists()
    with psycopg.connect(postgres_test_url()) as conn:
        return not conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s",
                                (datastore.schema,)).fetchall()


def readyz(base: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"{base}/readyz", timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def until(base: str, wanted: Any, seconds: float = 60) -> tuple[int, dict[str, Any]]:
    deadline = time.monotonic() + seconds
    while True:
        status, body = readyz(base)
        if wanted(status, body) or time.monotonic() > deadline:
            return status, body
        time.sleep(0.2)


def test_readyz_turns_503_after_a_scheduled_run_finds_a_difference(
        scenario, store_env, cast, tmp_path):
    # GIVEN hoso serve verifying the views every second, over the scenario's store
    env = {**store_env, "HOSO_VIEW_VERIFY_SECONDS": "1"}
    end = ViewTables(store_env)
    with live_hoso(env, tmp_path) as base:
        # WHEN a run has verified the views as of the end of the log
        status, body = until(base, lambda s, b: (b["checks"].get("views", {})
                                                 .get("verified", {}).get("differences") == 0))
        verified = body["checks"]["views"]["verified"]
        # THEN /readyz is ready and says when it ran
        assert status == 200, body
        assert verified["every_seconds"] == 1
        assert verified["last_run"] is not None
        # WHEN a status row is edited in the database
        end("UPDATE {dossiers} SET custodian = ?, stage = ?, applicant_name = ? "
            "WHERE code = ?", (cast.courier, "returned", FORGED_NAME, scenario[-2]))
        # THEN the next run turns /readyz 503, naming the count, the view and the time
        status, body = until(base, lambda s, b: s == 503)
        assert status == 503, body
        verified = body["checks"]["views"]["verified"]
        assert (verified["differences"], verified["views_differing"]) == (3, ["status"])
        assert any("differ from a rebuild of the log" in p and "3 place(s)" in p
                   for p in body["problems"])
        text = json.dumps(body, ensure_ascii=False)
        assert not any(secret in text for secret in PERSONAL)

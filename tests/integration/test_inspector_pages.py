"""The inspector's pages on SQLite and PostgreSQL: the verified timeline, the dossier as it
stood at a moment, search, the export downloaded and verified again by upload, the read log.

GIVEN a dossier received at a commune, sent on to the district agency and accepted there, and
a checkpoint signed over it, an inspector signed in to the pages.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from html import unescape
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from events.evidence.keys import generate_keypair
from tests.cast import cast_from
from tests.conftest import ManualClock
from tracker.bootstrap import Services, compose
from tracker.settings import Settings
from tracker.web import create_app

INSPECTOR, PASSWORD = "hnm-ins-001", "mật khẩu thanh tra 2026"


@dataclass
class Inspected:
    wired: Services
    client: FlaskClient
    code: str
    handed_over: str  # the record time of the handover


@pytest.fixture
def inspected(store_env: dict[str, str], clock: ManualClock, demo_document: dict[str, object],
              tmp_path: Path) -> Iterator[Inspected]:
    private, _ = generate_keypair(tmp_path / "keys")
    wired = compose(Settings.from_environ({**store_env, "HOSO_AUDIT_KEY": str(private)}),
                    clock=clock)
    custody = wired.application()
    custody.load_province(demo_document)
    c = cast_from(custody.province())
    code = custody.receive(office=c.commune, procedure=c.procedure.code,
                           applicant_name="Nguyễn Thị Ánh", applicant_id="035190004321",
                           actor=c.receiver, components=c.components)["code"]
    clock.advance(minutes=7)
    custody.hand_over(code, c.receiver, c.agency, courier=c.courier)
    handed_over = custody.history(code)[-1]["time"]
    clock.advance(minutes=30)
    custody.accept(code, c.official, c.agency)
    wired.tamper_evident_log().checkpoint(wired.signer(), clock())
    wired.accounts().set_password(INSPECTOR, PASSWORD, "tests")
    app = create_app(wired, {"TESTING": True, "WTF_CSRF_ENABLED": False,
                             "RATELIMIT_ENABLED": False})
    client = app.test_client()
    assert client.post("/sign-in", data={"staff": INSPECTOR, "password": PASSWORD}
                       ).status_code == 302
    yield Inspected(wired, client, code, handed_over)
    wired.close()


def text(html: str) -> str:
    import re

    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_the_timeline_shows_every_step_verified(inspected: Inspected) -> None:
    page = inspected.client.get(f"/inspect/dossiers/{inspected.code}?lang=en")
    assert page.status_code == 200
    seen = text(page.text)
    assert "Every step is verified against the log's latest signed checkpoint." in seen
    assert seen.count("verified against checkpoint") == 3
    assert "Sent on" in seen
    assert "Arrived" in seen


def test_a_step_after_the_checkpoint_is_said_not_yet_covered(inspected: Inspected) -> None:
    c = cast_from(inspected.wired.application().province())
    inspected.wired.application().resolve(inspected.code, c.official)
    seen = text(inspected.client.get(f"/inspect/dossiers/{inspected.code}?lang=en").text)
    assert "Not every step is verified" in seen
    assert "not yet covered by a checkpoint" in seen


def test_as_of_just_before_the_handover_shows_the_dossier_at_the_commune(
        inspected: Inspected) -> None:
    moment = (datetime.fromisoformat(inspected.handed_over).timestamp() - 1)
    as_of = datetime.fromtimestamp(moment).astimezone().isoformat()
    seen = text(inspected.client.get(f"/inspect/dossiers/{inspected.code}",
                                     query_string={"as_of": as_of, "lang": "en"}).text)
    assert "the dossier stood as follows" in seen
    assert "Steps so far 1" in seen
    assert "On its way to" not in seen.split("As it stood at a moment")[1]


def test_search_finds_the_dossier_by_its_code(inspected: Inspected) -> None:
    seen = inspected.client.get("/inspect/", query_string={"q": inspected.code}).text
    assert f"/inspect/dossiers/{inspected.code}" in seen


@pytest.mark.parametrize("form", ["pdf", "csv", "json"])
def test_an_export_downloaded_verifies_when_uploaded(inspected: Inspected, form: str) -> None:
    got = inspected.client.get(f"/inspect/dossiers/{inspected.code}/export",
                               query_string={"format": form})
    assert got.status_code == 200
    assert got.headers["Content-Disposition"].endswith(f'.{form}"')
    checked = inspected.client.post("/inspect/verify?lang=en", data={
        "export": (io.BytesIO(got.data), f"export.{form}")},
        content_type="multipart/form-data")
    assert checked.status_code == 200
    assert "Intact: 3 of 3 steps" in text(checked.text)
    # a changed byte in the JSON is caught
    if form == "json":
        forged = got.data.replace(b'"Received"', b'"Rec\\u0065ived"', 1)
        bad = inspected.client.post("/inspect/verify?lang=en", data={
            "export": (io.BytesIO(forged.replace(b'"version": 1', b'"version": 2', 1)),
                       "x.json")}, content_type="multipart/form-data")
        assert "Not intact" in text(bad.text)
    junk = inspected.client.post("/inspect/verify?lang=en", data={
        "export": (io.BytesIO(b"not an export"), "x.txt")}, content_type="multipart/form-data")
    assert junk.status_code == 400


def test_the_read_log_lists_the_inspectors_own_reads(inspected: Inspected) -> None:
    inspected.client.get(f"/inspect/dossiers/{inspected.code}")
    seen = text(inspected.client.get("/inspect/reads", query_string={
        "dossier": inspected.code, "lang": "en"}).text)
    assert INSPECTOR in seen
    assert "GET /inspect/dossiers/<code>" in seen


def test_search_ignores_accents_and_the_page_viewer_serves_the_scan(
        inspected: Inspected) -> None:
    custody = inspected.wired.application()
    c = cast_from(custody.province())
    code = custody.receive(office=c.commune, procedure=c.procedure.code,
                           applicant_name="Trần Văn Bảo", applicant_id="035190009999",
                           actor=c.receiver, components=c.components)["code"]
    image = b"\x89PNG trang 1" * 100
    page_key = custody.objects.put(image, "image/png").key
    text_key = custody.objects.put(
        '{"pages": [{"page": 1, "text": "Giấy chứng nhận quyền sử dụng đất"}]}'.encode(),
        "application/json").key
    custody.digitise(code, c.receiver, [page_key], ocr_text_key=text_key)
    # WHEN the inspector searches without accents THEN the scanned dossier is found, and only it
    seen = inspected.client.get("/inspect/", query_string={"q": "quyen su dung DAT"}).text
    assert f"/inspect/dossiers/{code}" in seen
    assert f"/inspect/dossiers/{inspected.code}" not in seen
    # … its pages are listed, and the page image comes after the read is logged
    pages = inspected.client.get(f"/inspect/dossiers/{code}/pages").text
    assert f"/inspect/dossiers/{code}/pages/{page_key}" in pages
    got = inspected.client.get(f"/inspect/dossiers/{code}/pages/{page_key}")
    assert got.status_code == 200
    assert got.data == image
    reads = inspected.client.get("/inspect/reads", query_string={"dossier": code}).text
    assert page_key in reads
    assert "search" in reads
    # a key the dossier's scans do not name is not served
    assert inspected.client.get(f"/inspect/dossiers/{code}/pages/{text_key}x").status_code == 404

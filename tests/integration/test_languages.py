"""The pages speak Vietnamese unless asked for English, and every string has its translation.

The catalogue's template must match what the code and templates ask for (re-extracted here),
the Vietnamese catalogue must translate every entry, and a Vietnamese page must show no string
the catalogue translates (an English string leaking through means a missing ``_()``).
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from flask_babel import force_locale

from scanning.quality import NOTE_CODES
from tracker import bags
from tracker.bootstrap import Services
from tracker.web import create_app, labels

ROOT = Path(__file__).parents[2]
TRANSLATIONS = ROOT / "tracker" / "web" / "translations"
STAFF, PASSWORD = "hnm-rcv-001", "mật khẩu đủ dài 2026"
INSPECTOR = "hnm-ins-001"
OFFICE, OTHER_OFFICE, PROCEDURE = "000.00.01.H40", "000.00.10.H40", "1.004227"
APPLICANT = {"applicant_name": "Lê Thị Mai", "applicant_id": "035190004321"}
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\(\w+\)s")


def catalogue(path: Path) -> dict[str, str]:
    with path.open("rb") as source:
        return {m.id: m.string for m in read_po(source) if m.id and isinstance(m.id, str)}


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def client(services: Services) -> FlaskClient:
    services.accounts().set_password(STAFF, PASSWORD, "tests")
    app = create_app(services, {"TESTING": True, "WTF_CSRF_ENABLED": False})
    app.config["SERVICES"] = services
    return app.test_client()


def pages(client: FlaskClient, lang: str) -> dict[str, str]:
    """Every page a signed-in receiver and a visitor can open, in ``lang``, with a dossier
    and a bag to show, and refusals said on the page."""
    services: Services = client.application.config["SERVICES"]
    code = services.application().receive(office=OFFICE, procedure=PROCEDURE, actor=STAFF,
                                          accept_incomplete=True, **APPLICANT)["code"]
    bag = bags.create(services.application(), STAFF, OTHER_OFFICE, [])["bag"]
    digits = APPLICANT["applicant_id"][-4:]
    seen = {"sign-in": client.get(f"/sign-in?lang={lang}").text,
            "lookup": client.get(f"/lookup?lang={lang}&code=X").text,
            "lookup refused": client.get(f"/lookup?lang={lang}&code=X&digits=1234").text,
            "lookup found": client.get(f"/lookup?lang={lang}&code={code}&digits={digits}").text}
    client.post("/sign-in", data={"staff": STAFF, "password": PASSWORD})
    for path in ("/", "/password", "/queue", "/counter/", "/counter/?q=zzzz",
                 f"/counter/receive?procedure={PROCEDURE}", f"/counter/dossiers/{code}",
                 f"/dossiers/{code}", "/courier/", f"/courier/bags/{bag}", "/no-such-page",
                 "/report?from=2026-01-01&to=2026-12-31", "/report?from=2026-02-30",
                 "/station/qc"):
        seen[path] = client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}").text
    seen["refused on the dossier's page"] = client.post(f"/dossiers/{code}/handover", data={
        "to": STAFF, "to_office": OTHER_OFFICE}).text
    seen["refused in the bag"] = client.post(f"/courier/bags/{bag}/scan", data={
        "code": f"{OFFICE}-260101-9999"}).text
    seen["wrong password"] = client.post("/password", data={
        "current": "wrong wrong wrong", "new": "x" * 12, "confirm": "x" * 12}).text
    seen["an empty upload to QC"] = client.post(f"/station/qc?lang={lang}", data={}).text
    seen["incomplete receipt"] = client.post("/counter/receive", data={
        "procedure": "1.004227", "applicant_name": "A", "applicant_id": "1"}).text
    seen.update(inspector_pages(client, lang, code))
    return seen


def inspector_pages(client: FlaskClient, lang: str, code: str) -> dict[str, str]:
    """The inspector's pages, signed in as an inspector: no checkpoint is signed in this
    store, so the timeline says what keeps its steps from being verified."""
    services: Services = client.application.config["SERVICES"]
    services.accounts().set_password(INSPECTOR, PASSWORD, "tests")
    client.post("/sign-out")
    client.post("/sign-in", data={"staff": INSPECTOR, "password": PASSWORD})
    seen = {}
    for path in ("/inspect/", f"/inspect/?q={code}", "/inspect/?q=zzzz",
                 f"/inspect/dossiers/{code}", f"/inspect/dossiers/{code}?as_of=2020-01-01",
                 f"/inspect/dossiers/{code}?as_of=2999-01-01T00:00:00",
                 f"/inspect/dossiers/{code}?as_of=not-a-time",
                 f"/inspect/dossiers/{code}/pages", f"/inspect/reads?dossier={code}"):
        seen[path] = client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}").text
    seen["an export that is not one"] = client.post(f"/inspect/verify?lang={lang}", data={
        "export": (io.BytesIO(b"not an export"), "x.txt")},
        content_type="multipart/form-data").text
    client.post("/sign-out")
    client.post("/sign-in", data={"staff": STAFF, "password": PASSWORD})
    return seen


def test_a_visitor_gets_vietnamese_and_english_on_request(client: FlaskClient) -> None:
    first = client.get("/", follow_redirects=True).text
    assert '<html lang="vi">' in first
    assert "Đăng nhập" in first
    english = client.get("/sign-in?lang=en").text
    assert '<html lang="en">' in english
    assert "Sign in" in english
    assert '<html lang="en">' in client.get("/sign-in").text  # the choice is kept


def test_no_translated_string_leaks_into_a_vietnamese_page(client: FlaskClient) -> None:
    vi = catalogue(TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po")
    english_only = [msgid for msgid, text in vi.items() if text != msgid and "%(" not in msgid]
    for name, html in pages(client, "vi").items():
        text = visible_text(html)
        leaked = [msgid for msgid in english_only if re.search(
            rf"(?<![\w]){re.escape(msgid)}(?![\w])", text)]
        assert leaked == [], f"{name}: {leaked}"


def test_english_pages_show_no_vietnamese_of_the_catalogue(client: FlaskClient,
                                                           services: Services) -> None:
    """Vietnamese the catalogue holds, on an English page; words that are also in the
    province's own names (a procedure called "Thủ tục …", a reason "Quá hạn bổ sung …") are
    data, not a missed string."""
    province = services.application().province()
    names = " ".join([*(o.name for o in province.offices.values()),
                      *(p.name for p in province.procedures.values()),
                      *(c.name for p in province.procedures.values() for c in p.components),
                      *(n for names in province.reasons.values() for n in names.values())])
    vi = catalogue(TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po")
    ours = [t for t in vi.values() if t and len(t) > 6 and t not in names]
    for name, html in pages(client, "en").items():
        text = visible_text(html)
        assert [t for t in ours if t in text] == [], name


def test_the_vietnamese_catalogue_translates_everything_the_code_asks_for(tmp_path: Path
                                                                         ) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "-q", "extract", "-F",
                    str(ROOT / "babel.cfg"), "-k", "_l", "--no-location", "-o", str(fresh),
                    str(ROOT)], check=True, cwd=ROOT)
    asked = set(catalogue(fresh))
    assert asked == set(catalogue(TRANSLATIONS / "messages.pot")), (
        "the template is stale: run pybabel extract (README, 'Languages')")
    vi = catalogue(TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po")
    assert sorted(asked - set(vi)) == [], "pybabel update the vi catalogue"
    assert sorted(m for m, t in vi.items() if not t.strip()) == [], "untranslated entries"


def test_every_note_a_station_leaves_on_a_page_is_named_in_both_languages(
        client: FlaskClient) -> None:
    """The QC page names a page's notes by code; a code without a name would show the
    station's English message on a Vietnamese page."""
    assert set(labels.PAGE_NOTES) == NOTE_CODES | {"blank", "separator", "ocr_failed"}
    with client.application.test_request_context():
        with force_locale("en"):
            english = [str(name) for name in labels.PAGE_NOTES.values()]
        with force_locale("vi"):
            vietnamese = [str(name) for name in labels.PAGE_NOTES.values()]
    assert all(vi != en for vi, en in zip(vietnamese, english, strict=True)), vietnamese


def test_refusals_on_pages_are_said_in_the_page_language(client: FlaskClient) -> None:
    """A rule's refusal, its template translated and its values filled in."""
    vietnamese = pages(client, "vi")["refused on the dossier's page"]
    assert "[quy tắc: handover-to-another]" in vietnamese
    assert "không thể bàn giao cho chính mình" in vietnamese
    assert "[rule:" not in vietnamese
    english = pages(client, "en")["refused on the dossier's page"]
    assert "cannot hand over to themself [rule: handover-to-another]" in english


def test_api_refusals_are_vietnamese_unless_the_client_asks_for_english(
        services: Services) -> None:
    """The API keeps no session: ``Accept-Language`` (or ``?lang=``) picks; the rule is a
    field of its own for programs, whatever the language."""
    api = create_app(services, {"TESTING": True}).test_client()
    _, token = services.accounts().issue_token(STAFF, "api", "tests")
    code = services.application().receive(office=OFFICE, procedure=PROCEDURE, actor=STAFF,
                                          accept_incomplete=True, **APPLICANT)["code"]
    asked = {"to": STAFF, "to_office": OTHER_OFFICE}
    auth = {"Authorization": f"Bearer {token}"}
    vietnamese = api.post(f"/api/v1/dossiers/{code}/handover", json=asked, headers=auth)
    english = api.post(f"/api/v1/dossiers/{code}/handover", json=asked,
                       headers={**auth, "Accept-Language": "en-GB,en;q=0.8"})
    assert vietnamese.status_code == english.status_code == 409
    assert vietnamese.json["rule"] == english.json["rule"] == "handover-to-another"
    assert vietnamese.json["message"] == (f"{STAFF} không thể bàn giao cho chính mình "
                                          "[quy tắc: handover-to-another]")
    assert english.json["message"] == (f"{STAFF} cannot hand over to themself "
                                       "[rule: handover-to-another]")
    missing = api.post("/api/v1/dossiers", json={}, headers=auth).json["message"]
    assert "là bắt buộc" in missing
    assert "is required" not in missing


def test_each_translation_keeps_the_placeholders_of_its_message() -> None:
    """A translation that loses or renames ``{code}`` would show the English instead."""
    vi = catalogue(TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po")
    wrong = [msgid for msgid, text in vi.items()
             if text and sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(text))]
    assert wrong == []

"""A web process cleans and reads only so many uploads at once: one more is answered 503 with
Retry-After before its files are read, by the station API (JSON) and by the QC page (a page
saying when to send them again), and so is a QC action that reads a page again; nothing is
stored. Commands and QC actions that read no page are not held back, and once a slot is free
the same upload goes through."""

from __future__ import annotations

import io
import re
from pathlib import Path

from flask.testing import FlaskClient
from PIL import Image

from tests.districts import APPLICANT, HOME, HOME_STAFF, PROCEDURE
from tests.identities import Tokens
from tests.station.pages import cover_file, text_page
from tracker.bootstrap import Services
from tracker.web import create_app
from tracker.web.uploads import RETRY_AFTER_SECONDS, upload_slots

PASSWORD = "mật khẩu trạm quét"


def page() -> io.BytesIO:
    data = io.BytesIO()
    Image.new("L", (200, 280), 255).save(data, format="PNG")
    data.seek(0)
    return data


def test_an_upload_beyond_the_slots_is_told_when_to_come_back(services: Services,
                                                              tmp_path: Path) -> None:
    custody = services.application()
    code = custody.receive(office=HOME, procedure=PROCEDURE, actor=HOME_STAFF["receiver"],
                           accept_incomplete=True, **APPLICANT)["code"]
    tokens = Tokens(services)
    station = tokens.header(HOME_STAFF["operator"], "station", "st-home")
    counter = tokens.header(HOME_STAFF["receiver"])
    app = create_app(services, {"TESTING": True, "UPLOAD_SLOTS": 1})
    client = app.test_client()
    operator = signed_in(app.test_client(), services)
    staged = operator.post("/station/qc", data={"csrf_token": csrf(operator, "/station/qc"),
                                                 "files": [
        (cover_file(code, tmp_path / "1-cover.png", tmp_path).open("rb"), "1-cover.png"),
        (text_page(["ĐƠN ĐĂNG KÝ"], tmp_path / "2-form.png").open("rb"), "2-form.png")]})
    assert staged.status_code == 302, staged.text
    batch = staged.headers["Location"].rsplit("/", 1)[-1]
    before = set(custody.objects.keys())
    with app.app_context():
        slots = upload_slots()
    assert slots.acquire(blocking=False)  # GIVEN another station's upload is being read
    try:
        # WHEN a station uploads THEN 503 JSON saying when to send again, and nothing stored
        busy = client.post("/api/v1/station/scans?lang=en", headers=station,
                           data={"dossier": code, "files": [(page(), "p.png")]})
        assert busy.status_code == 503, busy.get_data()
        assert busy.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert busy.get_json()["error"] == "service_unavailable"
        assert f"again in {RETRY_AFTER_SECONDS} s" in busy.get_json()["message"]
        # AND a counter's command is not held back
        assert client.get(f"/api/v1/dossiers/{code}", headers=counter).status_code == 200
        # WHEN an operator uploads on the QC page THEN the page says when to send them again
        qc = operator.post("/station/qc?lang=en", data={
            "csrf_token": csrf(operator, "/station/qc"), "files": [(page(), "p.png")]})
        assert qc.status_code == 503, qc.text
        assert qc.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert f"Try again in {RETRY_AFTER_SECONDS} seconds" in qc.text
        # AND so it does when a page is to be turned and read again, but not for an exclusion
        token = csrf(operator, f"/station/qc/{batch}")
        turn = operator.post(f"/station/qc/{batch}/turn?lang=en", data={
            "csrf_token": token, "dossier": code, "page": "1", "degrees": "180"})
        assert turn.status_code == 503, turn.text
        assert turn.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert f"Try again in {RETRY_AFTER_SECONDS} seconds" in turn.text
        exclude = operator.post(f"/station/qc/{batch}/exclude", data={
            "csrf_token": token, "dossier": code, "page": "1", "reason": "trang trùng"})
        assert exclude.status_code == 302, exclude.text
        assert set(custody.objects.keys()) == before
    finally:
        slots.release()
    # WHEN the slot is free THEN the same upload goes through
    done = client.post("/api/v1/station/scans?lang=en", headers=station,
                       data={"dossier": code, "files": [(page(), "p.png")]})
    assert done.status_code == 200, done.get_data()


def signed_in(client: FlaskClient, services: Services) -> FlaskClient:
    services.accounts().set_password(HOME_STAFF["operator"], PASSWORD, "tests")
    client.post("/sign-in", data={"staff": HOME_STAFF["operator"], "password": PASSWORD,
                                  "csrf_token": csrf(client, "/sign-in")})
    return client


def csrf(client: FlaskClient, path: str) -> str:
    form = client.get(path).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert found, form
    return found.group(1)

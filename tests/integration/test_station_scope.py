"""A station uploads pages only for dossiers held at its own office, refused before any page
is stored: scans hold personal data, and a refused upload must leave nothing behind."""

from __future__ import annotations

import io

from PIL import Image

from tests.districts import APPLICANT, AWAY_STAFF, HOME, HOME_STAFF, PROCEDURE
from tests.identities import Tokens
from tracker.bootstrap import Services
from tracker.web import create_app


def page() -> io.BytesIO:
    data = io.BytesIO()
    Image.new("L", (200, 280), 255).save(data, format="PNG")
    data.seek(0)
    return data


def test_another_offices_station_cannot_upload_for_a_dossier(services: Services) -> None:
    custody = services.application()
    code = custody.receive(office=HOME, procedure=PROCEDURE, actor=HOME_STAFF["receiver"],
                           accept_incomplete=True, **APPLICANT)["code"]
    tokens = Tokens(services)
    away = tokens.header(AWAY_STAFF["operator"], "station", "st-away")
    client = create_app(services, {"TESTING": True}).test_client()
    before = set(custody.objects.keys())
    answer = client.post("/api/v1/station/scans", headers=away,
                         data={"dossier": code, "files": [(page(), "p1.png")]})
    assert answer.status_code == 403, answer.get_json()
    assert set(custody.objects.keys()) == before
    assert custody.history(code)[-1]["type"] == "Received"

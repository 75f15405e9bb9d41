"""The upload route's limits: a body over the limit gets 413 JSON before a page is read, too many
files or too many pixels together are refused whole, and nothing is stored either way."""

from __future__ import annotations

import io
import time

from PIL import Image

from tests.districts import APPLICANT, HOME, HOME_STAFF, PROCEDURE
from tests.identities import Tokens
from tracker.bootstrap import Services
from tracker.web import create_app
from tracker.web.station import MAX_UPLOAD_FILES


def tiny_page() -> io.BytesIO:
    data = io.BytesIO()
    Image.new("L", (200, 280), 255).save(data, format="PNG")
    data.seek(0)
    return data


def bomb_tiff() -> io.BytesIO:
    data = io.BytesIO()
    frames = [Image.new("1", (7000, 7000), 1) for _ in range(2)]
    frames[0].save(data, format="TIFF", save_all=True, append_images=frames * 5,
                   compression="group4")
    data.seek(0)
    return data


def test_oversized_bodies_too_many_files_and_pixels_are_refused(services: Services) -> None:
    custody = services.application()
    custody.receive(office=HOME, procedure=PROCEDURE, actor=HOME_STAFF["receiver"],
                    accept_incomplete=True, **APPLICANT)
    station = Tokens(services).header(HOME_STAFF["operator"], "station", "st-home")
    client = create_app(services, {"TESTING": True, "UPLOAD_MAX_BYTES": 64_000}).test_client()
    before = set(custody.objects.keys())
    # WHEN the body is over the limit THEN 413 JSON, quickly
    started = time.monotonic()
    big = client.post("/api/v1/station/scans?lang=en", headers=station,
                      data={"files": [(io.BytesIO(b"\0" * 100_000), "p.png")]})
    assert big.status_code == 413, big.get_data()
    assert big.get_json()["error"] == "request_entity_too_large"
    assert time.monotonic() - started < 5
    # WHEN more files than an upload may hold THEN refused whole, before any is processed
    many = client.post("/api/v1/station/scans?lang=en", headers=station, data={
        "files": [(io.BytesIO(b"x"), f"{n}.png") for n in range(MAX_UPLOAD_FILES + 1)]})
    assert many.status_code in (400, 413), many.get_data()
    # WHEN small files promise more pixels than an upload may decode THEN 400, undecoded
    roomy = create_app(services, {"TESTING": True}).test_client()
    pixels = roomy.post("/api/v1/station/scans?lang=en", headers=station, data={
        "files": [(bomb_tiff(), f"b{n}.tif") for n in range(4)]})
    assert pixels.status_code == 400, pixels.get_data()
    assert "pixels together" in pixels.get_json()["message"]
    # THEN nothing was stored
    assert set(custody.objects.keys()) == before

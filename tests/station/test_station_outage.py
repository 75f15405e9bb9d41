"""An object-store outage during a scan: nothing recorded, nothing lost, recorded once back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cast import cast_from
from tests.hoso_cli import Hoso
from tests.servers.seaweedfs import SeaweedFS
from tests.station.pages import cover_file, text_page
from tracker.domain.province import Province
from tracker.province_file import demo_province_path, load_province_file

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


def test_a_scan_during_an_s3_outage_waits_in_the_spool(store_env: dict[str, str],
                                                       tmp_path: Path) -> None:
    with SeaweedFS(tmp_path / "s3") as server:
        hoso = Hoso({**store_env, "HOSO_S3_ENDPOINT": server.endpoint,
                     "HOSO_S3_BUCKET": "scans", "HOSO_S3_ACCESS_KEY": server.access_key,
                     "HOSO_S3_SECRET_KEY": server.secret_key, "HOSO_S3_SECURE": "false"})
        hoso.ok("init", "--demo")
        c = cast_from(Province(load_province_file(demo_province_path())))
        components = [a for comp in c.components for a in ("--component", comp)]
        code = hoso.ok("receive", "--office", c.commune, "--procedure", c.procedure.code,
                       "--applicant-name", "Vũ Thị Lan", "--applicant-id", "037195000111",
                       *components, "--actor", c.receiver)["code"]
        files = [str(cover_file(code, tmp_path / "c.png", tmp_path)),
                 str(text_page(["Tờ khai"], tmp_path / "p.png"))]
        scan = ["scan", *files, "--station", "st-1", "--operator", c.receiver, "--jobs", "1"]
        # GIVEN the object store is down WHEN the batch is scanned
        server.stop()
        down = hoso(*scan, "--json")
        # THEN the dossier is not recorded, and its objects wait in the station's spool
        assert down.code == 2
        assert "wait in the station's spool" in down.json()["dossiers"][0]["error"]
        assert hoso.ok("status", code)["pages"] == 0
        assert hoso.ok("storage", "status")["spooled"] == 4  # original, cleaned, PDF, OCR
        # WHEN the store is back and the spool synced THEN scanning again records it
        server.start()
        assert hoso.ok("storage", "sync", "--once")["spooled"] == 0
        assert hoso.ok(*scan)["dossiers"][0]["recorded"] is True
        assert hoso.ok("status", code)["pages"] == 1
        assert hoso.ok("storage", "verify")["missing"] == []

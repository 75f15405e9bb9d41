"""A Digitised event names only objects the store holds intact; verify finds any that rot."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from storage.filesystem import FilesystemObjectStore
from storage.objects import key_for
from tests.cast import Cast, cast_from
from tests.hoso_cli import Hoso
from tests.identities import Tokens
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.domain.errors import RuleViolation
from tracker.domain.province import Province
from tracker.domain.scan_details import ScanDetails
from tracker.identity import access_log
from tracker.province_file import demo_province_path, load_province_file


def received(custody: CustodyApplication, cast: Cast) -> str:
    code: str = custody.receive(office=cast.commune, procedure=cast.procedure.code,
                                applicant_name="Lê Thị Mai", applicant_id="037195000111",
                                actor=cast.receiver, components=cast.components)["code"]
    return code


def scanned_pages(custody: CustodyApplication, count: int) -> list[str]:
    return [custody.objects.put(f"trang {n} của hồ sơ".encode() * 500, "image/png").key
            for n in range(1, count + 1)]


def test_digitised_records_pages_that_are_stored(custody: CustodyApplication,
                                                 cast: Cast) -> None:
    code = received(custody, cast)
    pages = scanned_pages(custody, 3)
    pdf = custody.objects.put(b"%PDF-1.7 searchable", "application/pdf").key
    status = custody.digitise(code, cast.receiver, pages, pdf_key=pdf)
    assert status["pages"] == 3
    event = custody.history(code)[-1]
    assert event["type"] == "Digitised"
    assert [o["key"] for o in event["objects"]] == pages
    assert all(o["key"].endswith(o["sha256"]) for o in event["objects"])
    assert custody.object_keys_named() == {*pages, pdf}


def test_a_scan_names_its_components_and_excluded_pages(custody: CustodyApplication,
                                                       cast: Cast) -> None:
    """GIVEN a received dossier and three stored pages
    WHEN the scan is recorded with a component map and one page excluded with a reason
    THEN the event keeps every page and names both; a map that names a component the procedure
    lacks, a page out of range, or a page both mapped and excluded is refused and records
    nothing."""
    code = received(custody, cast)
    pages = scanned_pages(custody, 3)
    first, second = cast.procedure.components[:2]
    details = ScanDetails(components={first.code: [1, 2]},
                          excluded_pages=[{"page": 3, "reason": "trang trắng"}])
    for bad in (ScanDetails(components={"khong-co": [1]}),
                ScanDetails(components={first.code: [4]}),
                ScanDetails(components={first.code: [1], second.code: [1]}),
                ScanDetails(components={first.code: [1]},
                            excluded_pages=[{"page": 1, "reason": "mờ"}]),
                ScanDetails(excluded_pages=[{"page": 2, "reason": " "}])):
        before = custody.history(code)
        with pytest.raises(RuleViolation, match="scan-details-fit"):
            custody.digitise(code, cast.receiver, pages, details=bad)
        assert custody.history(code) == before
    custody.digitise(code, cast.receiver, pages, details=details)
    event = custody.history(code)[-1]
    assert [o["key"] for o in event["objects"]] == pages
    assert event["components"] == {first.code: [1, 2]}
    assert event["excluded_pages"] == [{"page": 3, "reason": "trang trắng"}]


def test_digitised_is_refused_while_an_object_is_missing(custody: CustodyApplication,
                                                         cast: Cast) -> None:
    code = received(custody, cast)
    pages = [*scanned_pages(custody, 2), key_for(hashlib.sha256(b"never stored").hexdigest())]
    before = custody.history(code)
    with pytest.raises(RuleViolation, match=r"not in the object store \[rule: objects-stored\]"):
        custody.digitise(code, cast.receiver, pages)
    assert custody.history(code) == before


def test_digitised_is_refused_for_a_corrupt_object(custody: CustodyApplication,
                                                   cast: Cast) -> None:
    code = received(custody, cast)
    pages = scanned_pages(custody, 1)
    assert isinstance(custody.objects, FilesystemObjectStore)
    (custody.objects.root / pages[0]).write_bytes(b"not the scanned page")
    with pytest.raises(RuleViolation, match="does not match its hash"):
        custody.digitise(code, cast.receiver, pages)


def test_storage_cli_round_trip_and_verify(store_env: dict[str, str], tmp_path: Path) -> None:
    hoso = Hoso(store_env)
    hoso.ok("init", "--demo")
    c = cast_from(Province(load_province_file(demo_province_path())))
    scan = tmp_path / "page1.png"
    scan.write_bytes(b"\x89PNG page one" * 1000)
    put = hoso.ok("storage", "put", str(scan), "--content-type", "image/png")
    assert put["key"].endswith(hashlib.sha256(scan.read_bytes()).hexdigest())
    assert put["size"] == scan.stat().st_size
    components = [a for comp in c.components for a in ("--component", comp)]
    code = hoso.ok("receive", "--office", c.commune, "--procedure", c.procedure.code,
                   "--applicant-name", "Lê Thị Mai", "--applicant-id", "037195000111",
                   *components, "--actor", c.receiver)["code"]
    assert hoso.ok("digitise", code, "--by", c.receiver, "--page", put["key"])["pages"] == 1
    # GIVEN an intact store WHEN verified THEN nothing is reported
    clean = hoso.ok("storage", "verify")
    assert clean == {"checked": 1, "named_by_events": 1, "missing": [], "corrupt": []}
    # WHEN the page's bytes are flipped on disk THEN get exits 1 and leaves no file
    stored = Path(store_env["HOSO_DATA_DIR"]) / "objects" / put["key"]
    stored.write_bytes(b"\x89PNG forged" * 1000)
    out = tmp_path / "out" / "copy.png"
    failed = hoso("storage", "get", put["key"], "-o", str(out))
    assert failed.code == 1
    assert f"{put['key']}: stored bytes hash to" in failed.stderr
    assert not out.exists()
    assert list(out.parent.iterdir()) == []
    # AND verify names it and exits 1
    report = hoso("storage", "verify", "--json")
    assert report.code == 1
    assert report.json()["corrupt"] == [put["key"]]
    # AND a deleted object is reported missing
    stored.unlink()
    assert hoso("storage", "verify", "--json").json()["missing"] == [put["key"]]


def test_storage_get_of_a_good_object_and_bad_keys(store_env: dict[str, str],
                                                   tmp_path: Path) -> None:
    hoso = Hoso(store_env)
    scan = tmp_path / "p.png"
    scan.write_bytes(b"page")
    key = hoso.ok("storage", "put", str(scan))["key"]
    out = tmp_path / "copy.png"
    assert hoso.ok("storage", "get", key, "-o", str(out))["size"] == 4
    assert out.read_bytes() == b"page"
    bad = hoso("storage", "get", "page.png", "-o", str(tmp_path / "x"))
    assert bad.code == 2
    assert "not an object key" in bad.stderr
    absent = hoso("storage", "get", key_for("0" * 64), "-o", str(tmp_path / "y"))
    assert absent.code == 2
    status = hoso.ok("storage", "status")
    assert status == {"backend": "filesystem", "reachable": True, "objects": 1,
                      "orphans": None, "spooled": 0, "spool_bytes": 0, "oldest_spooled": None,
                      "spool_rejected": 0, "partial_files": 0}


def test_downloads_go_through_an_authorisation_check(services: Services,
                                                     custody: CustodyApplication,
                                                     cast: Cast) -> None:
    from tracker.web import create_app

    client = create_app(services, {"TESTING": True}).test_client()
    tokens = Tokens(services)
    code = received(custody, cast)
    pages = scanned_pages(custody, 2)
    custody.digitise(code, cast.receiver, pages)
    url = f"/api/v1/dossiers/{code}/objects/{pages[1]}"
    receiver = tokens.header(cast.receiver)
    # GIVEN staff of the office holding it WHEN they ask THEN they get the verified bytes
    ok = client.get(url, headers=receiver)
    assert ok.status_code == 200
    assert ok.data == "trang 2 của hồ sơ".encode() * 500
    assert ok.headers["Content-Type"] == "image/png"
    assert ok.headers["Cache-Control"] == "private, no-store"
    assert client.get(url, headers=tokens.header(cast.inspector)).status_code == 200
    # AND the read is in the access log, by whom and through which route
    logged = [(e["staff"], e["what"], e["dossier"]) for e in access_log.entries(custody)]
    assert logged[-2:] == [(cast.receiver, "object", code), (cast.inspector, "object", code)]
    # AND someone with no part in the dossier is refused
    outsider = next(s.id for s in custody.province().staff.values()
                    if s.role in ("receiver", "operator") and s.office not in
                    (cast.commune, cast.agency))
    refused = client.get(url, headers=tokens.header(outsider))
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "forbidden"
    # AND a courier, who carries the paper, never sees its pages
    assert client.get(url, headers=tokens.header(cast.courier)).status_code == 403
    # AND an object of another dossier cannot be fetched through this one
    other = received(custody, cast)
    assert client.get(f"/api/v1/dossiers/{other}/objects/{pages[1]}",
                      headers=receiver).status_code == 404
    assert client.get(url).status_code == 401
    # AND the filesystem store has no presigned URLs to hand out
    assert client.get(f"{url}?presigned=1", headers=receiver).status_code == 400


def test_the_api_records_a_scan_with_its_details(services: Services,
                                                 custody: CustodyApplication,
                                                 cast: Cast) -> None:
    """GIVEN a scan posted to the dossier's digitise action with what a station reports (the
    straightened copies, resolution, blank pages, quality notes) THEN the Digitised event holds
    them as the station's own route records them; AND a malformed detail is a 400 that records
    nothing; AND a scan is recorded only with a station token, never a staff member's API
    token."""
    from tracker.web import create_app

    client = create_app(services, {"TESTING": True}).test_client()
    tokens = Tokens(services)
    station = tokens.header(cast.receiver, "station", "st-1")
    api = tokens.header(cast.receiver)
    code = received(custody, cast)
    pages, cleaned = scanned_pages(custody, 2), scanned_pages(custody, 2)
    url = f"/api/v1/dossiers/{code}/digitise"
    before = custody.history(code)
    bad = client.post(url + "?lang=en", json={"pages": pages, "blank_pages": ["2"]},
                      headers=station)
    assert bad.status_code == 400
    assert bad.get_json()["message"] == "'blank_pages.0' must be a whole number"
    assert custody.history(code) == before
    note = {"page": 1, "message": "trang nghiêng 4°, đã làm thẳng"}
    scan = {"pages": pages, "cleaned": cleaned, "dpi": 200, "blank_pages": [2],
            "quality_notes": [note]}
    assert client.post(url, json=scan, headers=api).status_code == 403
    assert custody.history(code) == before
    ok = client.post(url, json=scan, headers=station)
    assert ok.status_code == 200, ok.get_json()
    digitised = custody.history(code)[-1]
    assert digitised["actor"] == cast.receiver
    assert (digitised["pages"], digitised["dpi"], digitised["blank_pages"],
            digitised["quality_notes"]) == (2, 200, [2], [note])
    assert [c["key"] for c in digitised["cleaned"]] == cleaned

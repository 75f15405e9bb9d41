"""The station end to end: a batch in, per dossier stored objects, one Digitised, searchable text.

Real components throughout: SANE's ``test`` scanner through scanimage, zint-made covers, the
image engineer's clean-up, Tesseract, the filesystem object store, the event store, and for the
remote station a real HTTP server on loopback. OCR is the slow part, so these run on SQLite only
(the search and custody parts run on both stores in test_search.py).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from werkzeug.serving import make_server

from scanning.acquire import ScannerSettings, WatchedFolder, from_scanner
from scanning.ocr import OcrSettings
from scanning.stages import FileCovers, joined_covers
from scanning.station import (
    Pending,
    RecordRefused,
    ScannedPage,
    ScanRecord,
    Station,
    cover_jobs,
)
from scanning.tracker_http import HttpTracker
from tests.cast import Cast
from tests.identities import Tokens
from tests.station.pages import blank_page, cover_file, text_page, truncated_png
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.station_link import InProcessTracker
from tracker.web import create_app

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


def receive(custody: CustodyApplication, cast: Cast, name: str = "Nguyễn Văn A") -> str:
    code: str = custody.receive(office=cast.commune, procedure=cast.procedure.code,
                                applicant_name=name, applicant_id="037195000111",
                                actor=cast.receiver, components=cast.components)["code"]
    return code


def digitised(custody: CustodyApplication, code: str) -> dict:
    events = [e for e in custody.history(code) if e["type"] == "Digitised"]
    assert len(events) == 1
    return events[0]


def test_scanimage_feeds_a_batch_through_the_whole_pipeline(
        custody: CustodyApplication, cast: Cast, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN SANE's test scanner enabled for this test only, and a received dossier
    sane = tmp_path / "sane"
    sane.mkdir()
    (sane / "dll.conf").write_text("test\n")
    monkeypatch.setenv("SANE_CONFIG_DIR", str(sane))
    code = receive(custody, cast)
    # WHEN its feeder gives three colour sheets at 150 dpi and the operator names the dossier
    pages = from_scanner(ScannerSettings(device="test", resolution=150, mode="Color",
                                         batch_count=3,
                                         options=("--test-picture", "Color pattern")),
                         tmp_path / "batch")
    assert [p.name for p in pages] == ["page-0001.png", "page-0002.png", "page-0003.png"]
    station = Station(custody.objects, InProcessTracker(custody), "st-1", cast.receiver,
                      jobs=1)
    report = station.process(pages, assign_to=code)
    # THEN one Digitised names every stored object, with the scan's resolution
    assert report.all_recorded, report.as_json()
    event = digitised(custody, code)
    assert event["pages"] == 3
    assert event["dpi"] == 150
    assert event["station"] == "st-1"
    assert len(event["cleaned"]) == 3
    assert custody.object_keys_named() >= {o["key"] for o in event["objects"]}
    for key in [o["key"] for o in event["objects"]] + [event["pdf_key"]]:
        assert b"".join(custody.objects.get(key))
    # AND the operator is told the resolution is too low to archive, page by page
    assert {n["page"] for n in event["quality_notes"] if "dpi" in n["message"]} == {1, 2, 3}
    assert custody.status(code)["pages"] == 3
    assert set(report.file_outcomes.values()) == {"done"}


def test_a_mixed_batch_is_split_stored_recorded_and_searchable(
        custody: CustodyApplication, cast: Cast, tmp_path: Path) -> None:
    # GIVEN two received dossiers and a batch: cover A, text, blank sheet, a truncated file,
    # cover B turned sideways, text, then a cover for a dossier nobody received and its page
    a, b = receive(custody, cast), receive(custody, cast, "Trần Thị Bình")
    unknown = a[:-4] + "9999"
    text_a = text_page(["ĐƠN ĐĂNG KÝ BIẾN ĐỘNG ĐẤT ĐAI", "Người nộp: Nguyễn Văn A"],
                       tmp_path / "a1.png")
    files = [cover_file(a, tmp_path / "a0.png", tmp_path), text_a,
             blank_page(tmp_path / "a2.png"), truncated_png(text_a, tmp_path / "torn.png"),
             cover_file(b, tmp_path / "b0.png", tmp_path, angle=90),
             text_page(["HỢP ĐỒNG THẾ CHẤP", "Bên vay: Trần Thị Bình"], tmp_path / "b1.png"),
             cover_file(unknown, tmp_path / "x0.png", tmp_path),
             text_page(["Trang lạc"], tmp_path / "x1.png")]
    station = Station(custody.objects, InProcessTracker(custody), "st-1", cast.receiver)
    report = station.process(files)
    # THEN the bad file is refused by name and the rest of the batch went through
    assert report.bad_files == [{"file": str(tmp_path / "torn.png"),
                                 "reason": report.bad_files[0]["reason"]}]
    assert "truncated" in report.bad_files[0]["reason"]
    assert [(d.code, d.pages, d.recorded) for d in report.dossiers] == [(a, 2, True),
                                                                         (b, 1, True)]
    # AND the blank sheet is kept and flagged, not dropped
    event = digitised(custody, a)
    assert event["pages"] == 2
    assert event["blank_pages"] == [2]
    assert any(n["page"] == 2 and n["code"] == "blank" for n in event["quality_notes"])
    # AND the unknown cover is refused with its page number (among the pages read: the torn
    # file gave none) and its file, and the page behind it with it
    assert [(r["page"], r["label"], r["reason"]) for r in report.refused] == [
        (6, "x0.png", f"unknown dossier {unknown}"),
        (7, "x1.png", "follows the refused cover on page 6")]
    # AND the OCR JSON holds the page text, NFC, and search finds it without accents
    ocr = json.loads(b"".join(custody.objects.get(event["ocr_text_key"])))
    assert "Nguyễn Văn A" in ocr["pages"][0]["text"]
    assert [h.code for h in custody.search("nguyen van a")] == [a]
    assert [h.code for h in custody.search("the chap tran thi binh")] == [b]
    assert report.file_outcomes[tmp_path / "torn.png"] == "failed"
    assert report.file_outcomes[tmp_path / "x1.png"] == "failed"
    assert report.file_outcomes[tmp_path / "b1.png"] == "done"


class CountingPool(ThreadPoolExecutor):
    """A real pool (two threads) that keeps what each job was given."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.jobs: list[tuple[Any, ...]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.jobs.append(args)
        return super().submit(fn, *args, **kwargs)


def test_a_dossier_scanned_as_one_multi_page_file_is_shared_among_the_workers(
        custody: CustodyApplication, cast: Cast, tmp_path: Path) -> None:
    # GIVEN a dossier scanned as one three-page TIFF: two pages of text and a blank sheet
    sheets = [Image.open(text_page(["Người nộp: Nguyễn Văn A"], tmp_path / "1.png")),
              Image.open(text_page(["Bên vay: Trần Thị Bình"], tmp_path / "2.png")),
              Image.open(blank_page(tmp_path / "3.png"))]
    tiff = tmp_path / "dossier.tif"
    sheets[0].save(tiff, save_all=True, append_images=sheets[1:], dpi=(200, 200))
    pages = [ScannedPage(tiff, number, 3, f"dossier.tif#{number}", ()) for number in (1, 2, 3)]
    station = Station(custody.objects, InProcessTracker(custody), "st-1", cast.receiver)
    # WHEN the station cleans and reads it on its pool
    with CountingPool() as pool:
        prepared = station.prepare(pages, pool)
    # THEN each page was a job of its own, so both workers had a share
    assert [numbers for _, numbers, _ in pool.jobs] == [[1], [2], [3]]
    # AND the pages come back in order, each read as itself
    assert [tidy.page.number for tidy, _ in prepared] == [1, 2, 3]
    assert "Nguyễn Văn A" in prepared[0][1].text
    assert "Trần Thị Bình" in prepared[1][1].text
    assert prepared[2][0].blank


def test_the_covers_of_one_multi_page_file_are_read_page_by_page(
        custody: CustodyApplication, cast: Cast, tmp_path: Path) -> None:
    # GIVEN a batch scanned as one TIFF: a cover, the dossier's page, a blank back
    code = receive(custody, cast)
    sheets = [Image.open(cover_file(code, tmp_path / "0.png", tmp_path)).convert("RGB"),
              Image.open(text_page(["Người nộp: Nguyễn Văn A"], tmp_path / "1.png")),
              Image.open(blank_page(tmp_path / "2.png"))]
    tiff = tmp_path / "batch.tif"
    sheets[0].save(tiff, save_all=True, append_images=sheets[1:], dpi=(200, 200))
    # WHEN the first pass looks for covers on a pool
    with CountingPool() as pool:
        parts = cover_jobs(tiff, pool)
        found = joined_covers(tiff, [p if isinstance(p, FileCovers) else p.result()
                                     for p in parts])
    # THEN each page was a job of its own, and the file's pages come back in order
    assert [numbers for _, numbers in pool.jobs] == [(1,), (2,), (3,)]
    assert [(number, label) for number, label, _ in found.pages] == [
        (1, "batch.tif"), (2, "batch.tif page 2"), (3, "batch.tif page 3")]
    assert code in found.pages[0][2]
    # AND the whole batch records the dossier with its two pages, the blank back flagged
    report = Station(custody.objects, InProcessTracker(custody), "st-1",
                     cast.receiver).process([tiff])
    assert [(d.code, d.pages, d.recorded) for d in report.dossiers] == [(code, 2, True)]
    assert digitised(custody, code)["blank_pages"] == [2]


class WatchedTracker(InProcessTracker):
    """The in-process tracker, noting each dossier it records in ``seen``."""

    def __init__(self, custody: CustodyApplication, seen: list[str]) -> None:
        super().__init__(custody)
        self.seen = seen

    def record_digitised(self, record: ScanRecord) -> dict[str, Any]:
        self.seen.append(f"record {record.code}")
        return super().record_digitised(record)


def test_a_small_next_dossier_is_read_while_one_is_recorded(
        custody: CustodyApplication, cast: Cast, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a batch of four dossiers of one, two, one and one page, and a station that reads
    # ahead a next dossier of one page at most
    monkeypatch.setattr("scanning.station.AHEAD_PAGES", 1)
    codes = [receive(custody, cast, f"Nguyễn Văn {name}") for name in "ABCD"]
    files = []
    for number, code in enumerate(codes):
        files.append(cover_file(code, tmp_path / f"{number}a.png", tmp_path))
        for page in "bc"[:2 if number == 1 else 1]:
            files.append(text_page([f"Hồ sơ số {number}"], tmp_path / f"{number}{page}.png"))
    seen: list[str] = []
    reading = Station.start_reading

    def noted(station: Station, pages: Sequence[ScannedPage], pool: Executor) -> Pending:
        seen.append(f"read {pages[0].path.name}")
        return reading(station, pages, pool)

    monkeypatch.setattr(Station, "start_reading", noted)
    # WHEN the station processes it
    report = Station(custody.objects, WatchedTracker(custody, seen), "st-1",
                     cast.receiver).process(files)
    # THEN a one-page dossier was already being read while the one before was recorded, so no
    # worker waited for the recording; the two-page one, over the bound, was read in its turn
    assert report.all_recorded
    assert seen == ["read 0b.png", f"record {codes[0]}", "read 1b.png", "read 2b.png",
                    f"record {codes[1]}", "read 3b.png", f"record {codes[2]}",
                    f"record {codes[3]}"]


def test_a_watched_folder_takes_only_settled_files_and_moves_them_after_storing(
        custody: CustodyApplication, cast: Cast, tmp_path: Path) -> None:
    code = receive(custody, cast)
    hot = tmp_path / "hot"
    folder = WatchedFolder(hot, settle=0.0)
    folder.prepare()
    cover_file(code, hot / "0001.png", tmp_path)
    text_page(["Trang một"], hot / "0002.png")
    (hot / "0003.png.part").write_bytes(b"still being written")
    (hot / ".0004.png").write_bytes(b"hidden temp file")
    # WHEN polled: the first look only notes sizes; the second takes the settled files
    assert folder.ready() == []
    assert [p.name for p in folder.ready()] == ["0001.png", "0002.png"]
    # AND while any file is still changing, nothing is taken (the batch is not cut in two)
    (hot / "0002.png").touch()
    assert folder.ready() == []
    batch = folder.ready()
    assert [p.name for p in batch] == ["0001.png", "0002.png"]
    report = Station(custody.objects, InProcessTracker(custody), "st-1",
                     cast.receiver).process(batch)
    assert report.all_recorded
    for path, outcome in report.file_outcomes.items():
        folder.finish(path, outcome)
    # THEN the files moved to done/ only now, and the unfinished ones were never touched
    assert sorted(p.name for p in folder.done.iterdir()) == ["0001.png", "0002.png"]
    assert sorted(p.name for p in hot.iterdir() if p.is_file()) == [".0004.png",
                                                                    "0003.png.part"]
    assert digitised(custody, code)["pages"] == 1


@pytest.fixture
def token(services: Services, cast: Cast) -> str:
    """Station st-1's token, bound to it, the commune's receiver and the commune."""
    return Tokens(services).token(cast.receiver, "station", "st-1")


@pytest.fixture
def tracker_url(services: Services) -> Iterator[str]:
    """The real API on a loopback port."""
    app = create_app(services)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def test_a_remote_station_records_over_http_with_its_token_only(
        custody: CustodyApplication, cast: Cast, tmp_path: Path, tracker_url: str,
        token: str) -> None:
    code = receive(custody, cast)
    files = [cover_file(code, tmp_path / "c.png", tmp_path),
             text_page(["Giấy chứng nhận"], tmp_path / "p.png")]
    # GIVEN a wrong token THEN nothing is known and nothing recorded
    with pytest.raises(RecordRefused, match="401"):
        HttpTracker(tracker_url, "not-the-token-at-all").known_dossier(code)
    # GIVEN the right token but another station's name THEN the record is refused (403)
    impostor = Station(custody.objects, HttpTracker(tracker_url, token), "st-2", cast.receiver)
    refused = impostor.process(files)
    assert not refused.dossiers[0].recorded
    assert "403" in (refused.dossiers[0].error or "")
    assert custody.status(code)["pages"] == 0
    # WHEN the station scans with its own token THEN the tracker records the scan
    station = Station(custody.objects, HttpTracker(tracker_url, token), "st-1", cast.receiver)
    report = station.process(files)
    assert report.all_recorded, report.as_json()
    event = digitised(custody, code)
    assert (event["station"], event["actor"]) == ("st-1", cast.receiver)


def test_upload_acquisition_needs_a_token_and_answers_the_batch_report(
        services: Services, custody: CustodyApplication, cast: Cast, tmp_path: Path,
        token: str) -> None:
    client = create_app(services).test_client()
    code = receive(custody, cast)
    page = text_page(["Tờ khai"], tmp_path / "p.png")
    unauthorised = client.post("/api/v1/station/scans", data={"dossier": code})
    assert unauthorised.status_code == 401
    assert unauthorised.get_json()["error"] == "unauthorized"
    assert unauthorised.headers["WWW-Authenticate"].startswith("Bearer")
    staff_token = {"Authorization": f"Bearer {Tokens(services).token(cast.receiver)}"}
    assert client.post("/api/v1/station/scans", headers=staff_token,
                       data={"dossier": code}).status_code == 403
    auth = {"Authorization": f"Bearer {token}"}
    with page.open("rb") as one, (tmp_path / "p.png").open("rb") as two, \
            (tmp_path / "p.png").open("rb") as three:
        named = client.post("/api/v1/station/scans", headers=auth, data={
            "operator": cast.receiver, "dossier": code, "files": [three]})
        assert named.status_code == 400  # the token names the operator, never the form
        assert "operator" in named.get_json()["message"]
        bad = client.post("/api/v1/station/scans", headers=auth, data={
            "dossier": code[:-4] + "9999", "files": [one]})
        assert bad.status_code == 404
        assert custody.status(code)["pages"] == 0
        done = client.post("/api/v1/station/scans", headers=auth, data={
            "dossier": code, "files": [two]})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["dossiers"][0]["recorded"] is True
    assert custody.status(code)["pages"] == 1
    event = digitised(custody, code)
    assert (event["station"], event["actor"]) == ("st-1", cast.receiver)
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/station/dossiers/{code}", "/station/dossiers/{code}/digitised",
            "/station/scans"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["stationToken"]["scheme"] == "bearer"


def test_a_page_that_hangs_ocr_is_recorded_with_a_note_not_waited_on(
        custody: CustodyApplication, cast: Cast, tmp_path: Path) -> None:
    # GIVEN a Tesseract that hangs on every page (fault injection, as tests/scanning does)
    hangs = tmp_path / "tesseract-hangs"
    hangs.write_text('#!/bin/sh\n[ "$1" = --version ] && exec tesseract --version\n'
                     "exec sleep 600\n")
    hangs.chmod(0o755)
    code = receive(custody, cast)
    station = Station(custody.objects, InProcessTracker(custody), "st-1", cast.receiver,
                      jobs=1, ocr=OcrSettings(timeout=1.0, tesseract_cmd=str(hangs)))
    # WHEN a page is scanned THEN the page is stopped, kept, and the operator told why
    report = station.process([text_page(["Trang"], tmp_path / "p.png")], assign_to=code)
    assert report.all_recorded
    event = digitised(custody, code)
    assert event["pages"] == 1
    assert [n["code"] for n in event["quality_notes"]] == ["ocr_failed"]
    assert "within 1 s" in event["quality_notes"][0]["message"]

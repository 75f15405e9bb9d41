"""``hoso cover``, ``barcode read``, ``scan``, ``search`` and the page count at ``handover``,
run as the real command in a subprocess (SQLite; the stores are covered in test_search.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cast import cast_from
from tests.hoso_cli import Hoso
from tests.station.covers import CoverCase, cover_page, write_png
from tests.station.pages import blank_page, text_page, truncated_png
from tracker.domain.province import Province
from tracker.province_file import demo_province_path, load_province_file

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


def test_cover_scan_search_and_handover_count(store_env: dict[str, str],
                                              tmp_path: Path) -> None:
    hoso = Hoso(store_env)
    hoso.ok("init", "--demo")
    c = cast_from(Province(load_province_file(demo_province_path())))
    components = [a for comp in c.components for a in ("--component", comp)]
    code = hoso.ok("receive", "--office", c.commune, "--procedure", c.procedure.code,
                   "--applicant-name", "Nguyễn Văn A", "--applicant-id", "037195000111",
                   *components, "--actor", c.receiver)["code"]
    # GIVEN hoso's own cover sheet and a zint-drawn one turned upside down
    cover = tmp_path / "cover.pdf"
    assert hoso.ok("cover", code, "-o", str(cover))["size"] > 1000
    zint_cover = write_png(cover_page(code, CoverCase(angle=180, blur=1.0), tmp_path),
                           tmp_path / "zint.png")
    page = text_page(["ĐƠN ĐĂNG KÝ", "Người nộp: Nguyễn Văn A"], tmp_path / "p1.png")
    torn = truncated_png(page, tmp_path / "torn.png")
    # WHEN their barcodes are read THEN both symbols are decoded; the torn file is named
    read = hoso("barcode", "read", str(cover), str(zint_cover), str(torn), "--json")
    assert read.code == 2
    assert read.stderr.strip().startswith("hoso: torn.png:")
    assert len(read.stderr.strip().splitlines()) == 1
    both = {(code, "Code128"), (code, "QRCode")}
    assert [(r["file"], {(x["text"], x["format"]) for x in r["codes"]}) for r in read.json()
            ] == [(str(cover), both), (str(zint_cover), both)]
    # WHEN the batch is scanned with the torn file in it
    done = hoso("scan", str(cover), str(page), str(blank_page(tmp_path / "p2.png")), str(torn),
                "--station", "st-1", "--operator", c.receiver, "--jobs", "1", "--json")
    # THEN the torn file is refused by name (exit 2, one line) and the dossier is recorded
    assert done.code == 2, done.stderr
    assert "torn.png refused" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    report = done.json()
    assert report["dossiers"][0]["code"] == code
    assert report["dossiers"][0]["recorded"] is True
    assert report["dossiers"][0]["pages"] == 2
    assert report["dossiers"][0]["blank_pages"] == [2]
    # AND search finds it without diacritics
    hits = hoso.ok("search", "NGUYEN van a")
    assert [h["code"] for h in hits] == [code]
    assert "«Nguyễn»" in hits[0]["snippet"]
    assert hoso.ok("search", "--reindex") == {"reindexed": 1}
    # AND a handover counting the wrong number of sheets is refused with nothing stored
    wrong = hoso("handover", code, "--by", c.receiver, "--courier", c.courier,
                 "--to-office", c.agency, "--pages", "3")
    assert wrong.code == 2
    assert "digitised with 2 pages; 3 counted [rule: page-count]" in wrong.stderr
    assert hoso.ok("handover", code, "--by", c.receiver, "--courier", c.courier,
                   "--to-office", c.agency, "--pages", "2")["in_transit"] is True


def test_watch_folder_and_bad_invocations(store_env: dict[str, str], tmp_path: Path) -> None:
    hoso = Hoso(store_env)
    hoso.ok("init", "--demo")
    c = cast_from(Province(load_province_file(demo_province_path())))
    components = [a for comp in c.components for a in ("--component", comp)]
    code = hoso.ok("receive", "--office", c.commune, "--procedure", c.procedure.code,
                   "--applicant-name", "Lê Thị Mai", "--applicant-id", "037195000111",
                   *components, "--actor", c.receiver)["code"]
    hot = tmp_path / "hot"
    hot.mkdir()
    text_page(["Trang không có bìa"], hot / "loose.png")
    # GIVEN a loose page and no --dossier WHEN the folder is watched THEN it is held, not lost
    held = hoso("scan", "--watch", str(hot), "--once", "--settle", "0.1", "--station", "st-1",
                "--operator", c.receiver, "--json")
    assert held.code == 2
    assert "held" in held.stderr
    assert [p.name for p in (hot / "held").iterdir()] == ["loose.png"]
    # WHEN it is dropped in again with the dossier named THEN it is recorded and moved to done/
    (hot / "held" / "loose.png").rename(hot / "loose.png")
    ok = hoso.ok("scan", "--watch", str(hot), "--once", "--settle", "0.1", "--station", "st-1",
                 "--operator", c.receiver, "--dossier", code)
    assert ok[0]["dossiers"][0]["recorded"] is True
    assert [p.name for p in (hot / "done").iterdir()] == ["loose.png"]
    # WHEN SANE's test scanner feeds two sheets into the same dossier THEN they are recorded
    sane = tmp_path / "sane"
    sane.mkdir()
    (sane / "dll.conf").write_text("test\n")
    scanner = Hoso({**store_env, "SANE_CONFIG_DIR": str(sane)})
    fed = scanner.ok("scan", "--device", "test", "--batch-count", "2", "--resolution", "150",
                     "--scanner-option=--test-picture=Grid", "--station", "st-1",
                     "--operator", c.receiver, "--dossier", code, "--jobs", "1")
    assert fed["dossiers"][0]["pages"] == 2
    missing = scanner("scan", "--device", "no-such-scanner", "--station", "st-1",
                      "--operator", c.receiver, "--dossier", code)
    assert missing.code == 1
    assert "scanner no-such-scanner produced no page" in missing.stderr
    # AND bad invocations exit 2 with one line, changing nothing
    for args in (["scan", "--station", "s", "--operator", c.receiver],
                 ["scan", str(hot / "done" / "loose.png"), "--station", "s", "--operator",
                  c.receiver, "--dossier", code[:-4] + "9999"],
                 ["search", "  "], ["search", "x", "--office", "nowhere"]):
        bad = hoso(*args)
        assert bad.code == 2, (args, bad.stderr)
        assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    assert hoso.ok("status", code)["pages"] == 2

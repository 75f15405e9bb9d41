"""``hoso ocr`` end to end in a subprocess: outputs per file, summary.json, exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

from tests.hoso_cli import Hoso
from tests.scanning.corpus import Generated

Corpus = Callable[[str], Generated]
KEYS = {"file", "seconds", "confidence", "rotation", "skew", "blank", "quality", "error"}


def test_a_batch_with_bad_files_still_reads_the_good_pages(generated: Corpus,
                                                           tmp_path: Path) -> None:
    # GIVEN a two-page TIFF (a fax page, then a blank page), an empty file and a text file
    with Image.open(generated("fax-150").path) as fax, \
            Image.open(generated("blank-offwhite").path) as blank:
        fax.save(tmp_path / "batch.tif", dpi=(150, 150), save_all=True,
                 append_images=[blank.convert("RGB")])
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "notes.jpg").write_text("not a scan\n")
    out = tmp_path / "out"
    # WHEN the OCR stage runs on all three
    result = Hoso({})("ocr", str(tmp_path / "batch.tif"), str(tmp_path / "empty.png"),
                      str(tmp_path / "notes.jpg"), "--out-dir", str(out), "--jobs", "2")
    # THEN it exits 2 with one line naming the refused files (no progress bar off a terminal)
    assert result.code == 2
    line, = result.stderr.splitlines()
    assert "empty.png" in line
    assert "notes.jpg" in line
    # AND the TIFF's pages were read: text, a two-page searchable PDF, the blank page flagged
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["seconds"] > 0
    pages = summary["pages"]
    assert [p["file"] for p in pages] == ["batch.tif", "batch.tif page 2", "empty.png",
                                          "notes.jpg"]
    assert all(set(p) == KEYS for p in pages)
    assert [p["blank"] for p in pages[:2]] == [False, True]
    assert pages[0]["confidence"] > 80
    assert {n["code"] for n in pages[0]["quality"]} == {"low-resolution"}
    assert pages[2]["error"] is not None
    assert "empty" in pages[2]["error"]
    assert "THÔNG BÁO" in (out / "batch.txt").read_text(encoding="utf-8")
    assert len(PdfReader(out / "batch.pdf").pages) == 2
    assert not (out / "empty.txt").exists()


def test_a_page_that_outlives_the_timeout_fails_the_run_and_is_named(generated: Corpus,
                                                                      tmp_path: Path) -> None:
    page = generated("fax-150").path
    result = Hoso({})("ocr", str(page), "--out-dir", str(tmp_path), "--timeout", "0.01",
                      "--jobs", "1")
    assert result.code == 1
    assert page.name in result.stderr
    entry, = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["pages"]
    assert "stopped" in entry["error"]


def test_two_files_with_one_stem_are_refused_before_any_work(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        Image.new("RGB", (300, 400), "white").save(tmp_path / folder / "scan.png")
    out = tmp_path / "out"
    result = Hoso({})("ocr", str(tmp_path / "a" / "scan.png"), str(tmp_path / "b" / "scan.png"),
                      "--out-dir", str(out))
    assert result.code == 2
    assert "scan.png" in result.stderr
    assert not out.exists()

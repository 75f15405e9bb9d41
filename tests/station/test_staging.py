"""``hoso scan --stage`` and ``hoso stage``: QC before anything is recorded, run as the real
command in a subprocess on SQLite (each ``hoso`` a new process, so every step is also a
restart of the station)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cast import cast_from
from tests.hoso_cli import Hoso
from tests.station.pages import blank_page, cover_file, text_page
from tracker.domain.province import Province
from tracker.province_file import demo_province_path, load_province_file

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


def _objects(data_dir: Path) -> list[Path]:
    """Every object the store holds (the staging area is not the object store)."""
    return [p for p in data_dir.rglob("*") if p.is_file() and "staging" not in p.parts
            and "objects" in p.parts]


def _staging_files(data_dir: Path) -> dict[str, bytes]:
    root = data_dir / "staging"
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".lock"} if root.is_dir() else {}


def test_stage_qc_and_approve(store_env: dict[str, str], tmp_path: Path) -> None:
    """GIVEN two received dossiers and a batch: a stray page, A's cover, A's form, a blank
    page, B's cover and B's certificate
    WHEN it is scanned with --stage
    THEN nothing is stored or recorded, the stray page waits unassigned, and every page has its
    notes, blank flag, rotation and OCR confidence
    WHEN the stray page is moved to A, the blank page excluded, components marked, and A and B
    approved (each step in a new process)
    THEN each Digitised event holds exactly those decisions, and staging is empty; refusals
    (unknown dossier, unknown component, page out of range) exit 2 with one line and change
    nothing."""
    hoso = Hoso(store_env)
    data_dir = Path(store_env["HOSO_DATA_DIR"])
    hoso.ok("init", "--demo")
    c = cast_from(Province(load_province_file(demo_province_path())))
    given = [a for comp in c.components for a in ("--component", comp)]
    codes = [hoso.ok("receive", "--office", c.commune, "--procedure", c.procedure.code,
                     "--applicant-name", name, "--applicant-id", "037195000111", *given,
                     "--actor", c.receiver)["code"] for name in ("Nguyễn Văn A", "Trần Thị B")]
    a, b = codes
    files = [text_page(["Trang lạc"], tmp_path / "0-stray.png"),
             cover_file(a, tmp_path / "1-cover-a.png", tmp_path),
             text_page(["ĐƠN ĐĂNG KÝ", "Người nộp: Nguyễn Văn A"], tmp_path / "2-form.png"),
             blank_page(tmp_path / "3-blank.png"),
             cover_file(b, tmp_path / "4-cover-b.png", tmp_path),
             text_page(["GIẤY CHỨNG NHẬN"], tmp_path / "5-cert.png")]
    report = hoso.ok("scan", *map(str, files), "--station", "st-1", "--operator", c.receiver,
                     "--jobs", "1", "--stage", "--json")
    batch = report["batch"]
    assert [(d["code"], d["staged"], d["recorded"]) for d in report["dossiers"]] == [
        (a, True, False), (b, True, False)]
    assert _objects(data_dir) == []
    assert [e["type"] for e in hoso.ok("history", a)] == ["Received"]
    staged = hoso.ok("stage", "show", batch)
    assert [len(d["pages"]) for d in staged["dossiers"]] == [2, 1]
    assert [p["label"] for p in staged["unassigned"]] == ["0-stray.png"]
    form, blank = staged["dossiers"][0]["pages"]
    assert (form["blank"], blank["blank"]) == (False, True)
    assert form["confidence"] > 50
    assert form["rotation"] == 0
    assert [n["code"] for n in blank["notes"]] == ["blank"]
    assert hoso.ok("stage", "list")[0]["batch"] == batch
    first, second = c.components[:2]
    # WHEN refused actions are tried THEN one line, exit 2, staging unchanged
    before = _staging_files(data_dir)
    for args, words in (
            (("move", batch, "unassigned", "1", "--to", "XX-000000-0000"), "no dossier"),
            (("components", batch, a, "--pages", "1", "--component", "khong-co"),
             "no component khong-co"),
            (("exclude", batch, a, "9", "--reason", "trắng"), "there is no page 9"),
            (("turn", batch, a, "1", "--degrees", "45"), "degrees"),
            (("approve", "b-20000101-00000000", a), "no staged batch")):
        refused = hoso("stage", *args)
        assert refused.code == 2, (args, refused.stderr)
        assert words in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
        assert _staging_files(data_dir) == before
    # WHEN the QC actions are taken, each in a process of its own
    hoso.ok("stage", "move", batch, "unassigned", "1", "--to", a)
    hoso.ok("stage", "exclude", batch, a, "2", "--reason", "trang trắng")
    hoso.ok("stage", "components", batch, a, "--pages", "1", "--component", first)
    hoso.ok("stage", "components", batch, a, "--pages", "3", "--component", second)
    hoso.ok("stage", "components", batch, b, "--pages", "1", "--component", first)
    turned = hoso.ok("stage", "turn", batch, b, "1", "--degrees", "180")
    assert turned["dossiers"][1]["pages"][0]["rotation"] == 180
    hoso.ok("stage", "turn", batch, b, "1", "--degrees", "180")
    shown = hoso("stage", "show", batch)
    assert "excluded: trang trắng" in shown.stdout
    approved = hoso.ok("stage", "approve", batch, a)
    assert approved["approved"] == a
    assert approved["pages"] == 3
    assert [d["code"] for d in approved["batch"]["dossiers"]] == [b]
    assert hoso.ok("stage", "approve", batch, b)["batch"] is None
    # THEN the events hold exactly the decisions, staging is empty, every object is named
    scan_a = hoso.ok("history", a)[-1]
    assert scan_a["type"] == "Digitised"
    assert scan_a["pages"] == 3
    assert scan_a["components"] == {first: [1], second: [3]}
    assert scan_a["excluded_pages"] == [{"page": 2, "reason": "trang trắng"}]
    assert scan_a["blank_pages"] == [2]
    scan_b = hoso.ok("history", b)[-1]
    assert (scan_b["components"], scan_b["excluded_pages"]) == ({first: [1]}, [])
    assert hoso.ok("stage", "list") == []
    assert _staging_files(data_dir) == {}
    assert len(_objects(data_dir)) > 0  # stored at approval, named by the two events


def test_a_discarded_batch_leaves_nothing(store_env: dict[str, str], tmp_path: Path) -> None:
    """GIVEN a staged batch WHEN it is discarded THEN neither staging nor the object store
    holds anything of it, and the dossier has no Digitised event."""
    hoso = Hoso(store_env)
    data_dir = Path(store_env["HOSO_DATA_DIR"])
    hoso.ok("init", "--demo")
    c = cast_from(Province(load_province_file(demo_province_path())))
    given = [a for comp in c.components for a in ("--component", comp)]
    code = hoso.ok("receive", "--office", c.commune, "--procedure", c.procedure.code,
                   "--applicant-name", "Lê Văn C", "--applicant-id", "037195000111", *given,
                   "--actor", c.receiver)["code"]
    files = [cover_file(code, tmp_path / "cover.png", tmp_path),
             blank_page(tmp_path / "blank.png")]
    batch = hoso.ok("scan", *map(str, files), "--station", "st-1", "--operator", c.receiver,
                    "--jobs", "1", "--stage", "--json")["batch"]
    assert hoso.ok("stage", "discard", batch) == {"discarded": batch}
    assert _staging_files(data_dir) == {}
    assert _objects(data_dir) == []
    assert [e["type"] for e in hoso.ok("history", code)] == ["Received"]
    again = hoso("stage", "show", batch)
    assert again.code == 2
    assert "no staged batch" in again.stderr


def test_batches_left_in_staging_too_long_are_expired(store_env: dict[str, str],
                                                      tmp_path: Path) -> None:
    """GIVEN two staged batches, one scanned 40 days ago and never approved
    WHEN hoso stage expire --days 30 runs, first with --dry-run, then with --yes
    THEN the dry run names the old batch and removes nothing; --yes removes it alone; neither
    option, or both, is refused with exit 2."""
    hoso = Hoso(store_env)
    data_dir = Path(store_env["HOSO_DATA_DIR"])
    hoso.ok("init", "--demo")
    c = cast_from(Province(load_province_file(demo_province_path())))
    page = text_page(["Trang lạc"], tmp_path / "stray.png")
    old, new = (hoso.ok("scan", str(page), "--station", "st-1", "--operator", c.receiver,
                        "--jobs", "1", "--stage", "--json")["batch"] for _ in range(2))
    state = data_dir / "staging" / old / "batch.json"
    forty_days_ago = (datetime.now(UTC) - timedelta(days=40)).isoformat(timespec="seconds")
    state.write_text(state.read_text().replace(hoso.ok("stage", "show", old)["created"],
                                               forty_days_ago))
    assert "day(s) ago" in hoso("stage", "list").stdout
    before = _staging_files(data_dir)
    assert hoso.ok("stage", "expire", "--days", "30", "--dry-run") == {
        "batches": [old], "discarded": 0, "kept": 1}
    assert _staging_files(data_dir) == before
    assert hoso.ok("stage", "expire", "--days", "30", "--yes") == {
        "batches": [old], "discarded": 1, "kept": 1}
    assert [b["batch"] for b in hoso.ok("stage", "list")] == [new]
    for refused in ([], ["--dry-run", "--yes"]):
        done = hoso("stage", "expire", *refused)
        assert done.code == 2
        assert "exactly one of --dry-run and --yes" in done.stderr

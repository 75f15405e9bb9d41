"""The staging area on its own: what survives a restart, what a refusal leaves, and what an
approval hands the tracker. Pages are blank (clean-up alone, no OCR), so the test is quick."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from scanning.clean import CleanPage, clean
from scanning.images import Page
from scanning.ocr import PageText
from scanning.staging import StagingRefused, StagingStore
from scanning.station import RecordRefused, ScanRecord, Station
from storage.filesystem import FilesystemObjectStore


class Tracker:
    """A TrackerPort that keeps what it is asked to record, refusing while ``refuse`` is set."""

    def __init__(self) -> None:
        self.records: list[ScanRecord] = []
        self.refuse = False

    def known_dossier(self, code: str) -> bool:
        return True

    def record_digitised(self, record: ScanRecord) -> dict[str, Any]:
        if self.refuse:
            raise RecordRefused("refused by the test")
        self.records.append(record)
        return {"code": record.code}


def _page(number: int) -> tuple[CleanPage, PageText]:
    tidy = clean(Page(np.full((700, 500, 3), 240, np.uint8), f"p{number}.png", 1, 60.0))
    return tidy, PageText(f"p{number}.png", "", 0.0)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".lock"}


def test_staged_pages_survive_a_restart_and_refusals_change_nothing(tmp_path: Path) -> None:
    """GIVEN a batch of dossier A (2 pages), B (1 page) and one unassigned page
    WHEN the store is opened again (a restart) THEN it holds the same batch
    WHEN refused actions are tried THEN not a byte of staging changes
    WHEN the stray page is moved to A, page 2 excluded, pages marked, and A approved THEN the
    tracker is asked to record exactly that, the objects are stored, and A leaves staging;
    an approval the tracker refuses stores nothing and leaves staging as it was."""
    root = tmp_path / "staging"
    store = StagingStore(root)
    batch = store.begin("st-1", "op-1")
    store.stage(batch, "A", [_page(1), _page(2)], [(b"one", "image/png"), (b"two", "image/png")])
    store.stage(batch, "B", [_page(3)], [(b"three", "image/png")])
    store.stage(batch, None, [_page(4)], [(b"four", "image/png")])
    store.end(batch)
    again = StagingStore(root)  # a restart: nothing is kept in memory
    shown = again.show(batch)
    assert [(d["code"], len(d["pages"])) for d in shown["dossiers"]] == [("A", 2), ("B", 1)]
    assert shown["unassigned"][0]["blank"] is True
    assert shown["unassigned"][0]["notes"][0]["code"] == "blank"
    assert not [p for p in root.rglob("*.tmp")]
    before = _files(root)
    for action in (lambda: again.move(batch, "A", 3, "B"),
                   lambda: again.move(batch, "Z", 1, "B"),
                   lambda: again.exclude(batch, "A", 1, "  "),
                   lambda: again.mark(batch, "A", [1], "x", known={"don"}),
                   lambda: again.mark(batch, "unassigned", [1], "don"),
                   lambda: again.turn(batch, "A", 1, 45),
                   lambda: again.approve(batch, "unassigned", None),  # type: ignore[arg-type]
                   lambda: again.show("b-20000101-00000000")):
        with pytest.raises(StagingRefused):
            action()
        assert _files(root) == before
    again.move(batch, "unassigned", 1, "A")
    again.exclude(batch, "A", 2, "trang trắng")
    again.mark(batch, "A", [1, 3], "don", known={"don"})
    again.turn(batch, "A", 3, 90)
    assert again.show(batch)["dossiers"][0]["pages"][2]["rotation"] == 90
    objects = FilesystemObjectStore(tmp_path / "objects")
    tracker = Tracker()
    station = Station(objects, tracker, "st-1", "op-1")
    tracker.refuse = True
    before = _files(root)
    with pytest.raises(RecordRefused):
        again.approve(batch, "A", station)
    assert _files(root) == before
    assert not [p for p in (tmp_path / "objects").rglob("*") if p.is_file()]
    tracker.refuse = False
    result = again.approve(batch, "A", station)
    (record,) = tracker.records
    assert (result.pages, record.code, len(record.pages)) == (3, "A", 3)
    assert record.components == {"don": [1, 3]}
    assert record.excluded_pages == [{"page": 2, "reason": "trang trắng"}]
    assert record.blank_pages == [1, 2, 3]
    assert all(objects.exists(k) for k in [*record.pages, *record.cleaned, record.pdf_key])
    assert [d["code"] for d in again.show(batch)["dossiers"]] == ["B"]
    again.discard(batch)
    assert again.batches() == []

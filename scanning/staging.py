"""The station's staging area: scanned batches held for QC, on the station's disk, unrecorded.

A batch staged by ``hoso scan --stage`` or the QC page's upload went through clean-up and OCR
and waits here until the operator approves each dossier. Nothing of it is in the object store
or the log yet: approval stores the objects and records ``Digitised`` through the station's
TrackerPort (``Station.record_prepared``), then drops the dossier from staging. So a page
excluded, discarded or never approved leaves no object behind without an event naming it.

Layout, under ``HOSO_DATA_DIR/staging/<batch>/``: ``batch.json`` (the dossiers' page order,
unassigned pages, and per page its label, notes, blank flag, rotation, OCR confidence, component
and exclusion), and per page ``<id>.bundle`` (cleaned page and OCR, scanning/page_bundle.py),
``<id>.original`` (what is archived at approval) and ``<id>.jpg`` (its thumbnail). Every file is
written to a temporary name, fsynced, renamed and the folder fsynced, so a batch survives a
crash or restart whole. A batch's changes take the batch's lock (``flock``), so the page and the
CLI may act on one batch at once.

Pages are named as the operator sees them: a dossier code (or ``unassigned``) and a 1-based
page number in it. Every refusal is ``StagingRefused``, raised before anything changes.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import mimetypes
import os
import re
import secrets
import shutil
from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image

from scanning.clean import CleanPage
from scanning.errors import ScanningError
from scanning.ocr import OcrSettings, PageText, read_clean
from scanning.page_bundle import from_bundle, to_bundle
from scanning.stages import prepare_pages
from scanning.station import DossierResult, Station, page_notes
from storage.durable import fsync_directory

UNASSIGNED = "unassigned"
THUMBNAIL_WIDTH = 240
BATCH_ID = re.compile(r"^b-[0-9]{8}-[0-9a-f]{8}$")
TURNS = {90: 1, 180: 2, 270: 3}


class StagingRefused(ScanningError):
    """A QC action that does not fit the staged batch (unknown batch, dossier, page, component
    …): nothing was changed. ``template`` and ``values`` let the tracker translate it."""

    def __init__(self, template: str, /, **values: Any) -> None:
        super().__init__(template.format(**values))
        self.template = template
        self.values = values


class StagingStore:
    """Staged batches under one folder; see the module docstring for the layout."""

    def __init__(self, root: Path, ocr: OcrSettings | None = None) -> None:
        self.root = Path(root)
        self.ocr = ocr or OcrSettings()

    # -- StagingPort: what the station writes ------------------------------------------------

    def begin(self, station: str, operator: str) -> str:
        batch = f"b-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}"
        folder = self.root / batch
        folder.mkdir(parents=True, mode=0o700)
        fsync_directory(self.root)
        self._save(batch, {"batch": batch, "station": station, "operator": operator,
                           "created": datetime.now(UTC).isoformat(timespec="seconds"),
                           "dossiers": [], "unassigned": [], "pages": {}})
        return batch

    def stage(self, batch: str, code: str | None,
              prepared: Sequence[tuple[CleanPage, PageText]],
              originals: Sequence[tuple[bytes, str]], separators: Sequence[int] = ()
              ) -> tuple[list[dict[str, Any]], list[int]]:
        notes, blank = page_notes(prepared, separators)
        with self._changing(batch) as state:
            ids = [self._keep(batch, state, tidy, text, original, number in separators)
                   for number, ((tidy, text), original) in enumerate(
                       zip(prepared, originals, strict=True), start=1)]
            if code is None:
                state["unassigned"].extend(ids)
            else:
                found = next((d for d in state["dossiers"] if d["code"] == code), None)
                if found is None:
                    state["dossiers"].append({"code": code, "pages": ids})
                else:  # a second cover of the same dossier in one batch: its pages follow
                    found["pages"].extend(ids)
        return notes, blank

    def end(self, batch: str) -> None:
        with self._changing(batch) as state:
            empty = not state["pages"]
        if empty:
            self.discard(batch)

    # -- reading ------------------------------------------------------------------------------

    def batches(self) -> list[dict[str, Any]]:
        """Every staged batch, oldest first, as ``show`` describes it."""
        if not self.root.is_dir():
            return []
        found = [self.show(p.name) for p in self.root.iterdir()
                 if BATCH_ID.match(p.name) and (p / "batch.json").is_file()]
        return sorted(found, key=lambda b: (b["created"], b["batch"]))

    def show(self, batch: str) -> dict[str, Any]:
        """The batch as the operator sees it: dossiers in cover order with their pages, then
        the unassigned pages; each page with its notes, blank flag, rotation, OCR confidence,
        component and exclusion."""
        state = self._load(batch)

        def pages(ids: list[str]) -> list[dict[str, Any]]:
            return [{"page": number, "id": pid, **_public(state["pages"][pid])}
                    for number, pid in enumerate(ids, start=1)]

        return {"batch": batch, "station": state["station"], "operator": state["operator"],
                "created": state["created"],
                "dossiers": [{"code": d["code"], "pages": pages(d["pages"])}
                             for d in state["dossiers"]],
                "unassigned": pages(state["unassigned"])}

    def thumbnail(self, batch: str, page_id: str) -> bytes:
        state = self._load(batch)
        if page_id not in state["pages"]:
            raise StagingRefused("batch {batch} has no page {page}", batch=batch, page=page_id)
        return (self.root / batch / f"{page_id}.jpg").read_bytes()

    # -- QC actions ---------------------------------------------------------------------------

    def move(self, batch: str, where: str, page: int, to: str) -> None:
        """Move a page to the end of dossier ``to`` of the batch, or to ``unassigned``."""
        with self._changing(batch) as state:
            source = _pages_of(state, where)
            pid = _page_id(source, where, page)
            target = _pages_of(state, to)
            if target is source:
                raise StagingRefused("page {page} is already in {where}", page=page, where=where)
            source.remove(pid)
            target.append(pid)
            state["pages"][pid]["component"] = None  # a component is of one dossier's pages

    def exclude(self, batch: str, where: str, page: int, reason: str) -> None:
        """Exclude a page with a reason: it stays, and the event names it excluded."""
        if not reason.strip():
            raise StagingRefused("an excluded page needs a reason")
        with self._changing(batch) as state:
            pid = _page_id(_pages_of(state, where), where, page)
            state["pages"][pid].update(excluded=reason.strip(), component=None)

    def include(self, batch: str, where: str, page: int) -> None:
        """Take back an exclusion."""
        with self._changing(batch) as state:
            pid = _page_id(_pages_of(state, where), where, page)
            state["pages"][pid]["excluded"] = None

    def mark(self, batch: str, where: str, pages: Collection[int], component: str | None,
             known: Collection[str] | None = None) -> None:
        """Mark ``pages`` of dossier ``where`` as ``component`` (None: as no component).
        ``known``, when given, are the procedure's component codes; otherwise the tracker
        checks the code at approval."""
        if component is not None and known is not None and component not in known:
            raise StagingRefused("the procedure of {where} has no component {component} (it "
                                 "has {known})", where=where, component=component,
                                 known=", ".join(sorted(known)) or "-")
        with self._changing(batch) as state:
            if where == UNASSIGNED:
                raise StagingRefused("unassigned pages belong to no dossier: move them first")
            source = _pages_of(state, where)
            ids = [_page_id(source, where, page) for page in pages]
            if not ids:
                raise StagingRefused("name at least one page")
            for pid in ids:
                if component is not None and state["pages"][pid]["excluded"]:
                    raise StagingRefused(
                        "page {page} of {where} is excluded: include it before marking it",
                        page=source.index(pid) + 1, where=where)
            for pid in ids:
                state["pages"][pid]["component"] = component

    def turn(self, batch: str, where: str, page: int, degrees: int) -> None:
        """Turn a page clockwise by 90, 180 or 270 degrees and read it again that way up."""
        if degrees not in TURNS:
            raise StagingRefused("turn by 90, 180 or 270 degrees, not {degrees}", degrees=degrees)
        with self._changing(batch) as state:
            pid = _page_id(_pages_of(state, where), where, page)
            folder = self.root / batch
            ((tidy, text),) = from_bundle((folder / f"{pid}.bundle").read_bytes())
            shown = tidy.turned(text.quarter_turns + TURNS[degrees])
            reread = read_clean(shown, self.ocr, second_look=False)
            self._write_page(batch, state, pid, shown, reread, None)

    def rescan(self, batch: str, where: str, page: int, file: Path) -> None:
        """Put the first page of ``file`` (the page scanned again) in the page's place; its
        component and exclusion are cleared (the new page is looked at anew)."""
        with self._changing(batch) as state:
            pid = _page_id(_pages_of(state, where), where, page)
            try:
                ((tidy, text),) = prepare_pages(Path(file), [1], self.ocr)
            except (ScanningError, OSError, ValueError) as error:
                raise StagingRefused("the rescanned page cannot be read: {error}",
                                     error=str(error)) from None
            content_type = _content_type(Path(file))
            original = ((Path(file).read_bytes(), content_type)
                        if content_type.startswith("image/") and content_type != "image/tiff"
                        else _png(tidy.page.pixels))
            self._write_page(batch, state, pid, tidy, text, original)
            state["pages"][pid].update(excluded=None, component=None, rescanned=True,
                                       separator=False)

    def approve(self, batch: str, code: str, station: Station) -> DossierResult:
        """Store and record dossier ``code`` of the batch as QC left it, through ``station``
        (its object store and TrackerPort); then drop it from staging. Raises
        StagingRefused, or what ``Station.record_prepared`` raises (RecordRefused,
        ObjectsSpooled), with staging unchanged."""
        with self._changing(batch) as state:
            if code == UNASSIGNED:
                raise StagingRefused("unassigned pages cannot be approved: move them to their "
                                     "dossier first")
            ids = list(_pages_of(state, code))
            if not ids:
                raise StagingRefused("dossier {code} has no page left to approve", code=code)
            folder = self.root / batch
            prepared: list[tuple[CleanPage, PageText]] = []
            originals: list[tuple[bytes, str]] = []
            components: dict[str, list[int]] = {}
            excluded: list[dict[str, Any]] = []
            separators: list[int] = []
            for number, pid in enumerate(ids, start=1):
                prepared += from_bundle((folder / f"{pid}.bundle").read_bytes())
                meta = state["pages"][pid]
                originals.append(((folder / f"{pid}.original").read_bytes(),
                                  meta["content_type"]))
                if meta["component"]:
                    components.setdefault(meta["component"], []).append(number)
                if meta["excluded"]:
                    excluded.append({"page": number, "reason": meta["excluded"]})
                if meta.get("separator"):
                    separators.append(number)
            result = DossierResult(code)
            station.record_prepared(result, prepared, originals, separators, components,
                                    excluded)
            state["dossiers"] = [d for d in state["dossiers"] if d["code"] != code]
            for pid in ids:
                del state["pages"][pid]
        for pid in ids:
            for suffix in (".bundle", ".original", ".jpg"):
                with contextlib.suppress(FileNotFoundError):
                    (folder / f"{pid}{suffix}").unlink()
        self.end(batch)
        return result

    def discard(self, batch: str) -> None:
        """Delete a batch and every page in it: nothing of it was stored or recorded."""
        self._load(batch)
        shutil.rmtree(self.root / batch)
        fsync_directory(self.root)

    # -- files ---------------------------------------------------------------------------------

    def _keep(self, batch: str, state: dict[str, Any], tidy: CleanPage, text: PageText,
              original: tuple[bytes, str], separator: bool) -> str:
        pid = secrets.token_hex(6)
        self._write_page(batch, state, pid, tidy, text, original)
        state["pages"][pid].update(excluded=None, component=None, rescanned=False,
                                   separator=separator)
        return pid

    def _write_page(self, batch: str, state: dict[str, Any], pid: str, tidy: CleanPage,
                    text: PageText, original: tuple[bytes, str] | None) -> None:
        folder = self.root / batch
        _write(folder / f"{pid}.bundle", to_bundle([(tidy, text)]))
        if original is not None:
            _write(folder / f"{pid}.original", original[0])
        shown = tidy.turned(text.quarter_turns)
        _write(folder / f"{pid}.jpg", _thumbnail(shown))
        notes, _ = page_notes([(tidy, text)])
        meta = state["pages"].setdefault(pid, {})
        meta.update(label=tidy.page.label, blank=tidy.blank, rotation=shown.rotation % 360,
                    confidence=round(text.confidence, 1), ocr_error=text.error,
                    notes=[{k: v for k, v in n.items() if k != "page"} for n in notes])
        if original is not None:
            meta["content_type"] = original[1]

    def _load(self, batch: str) -> dict[str, Any]:
        path = self.root / batch / "batch.json"
        if not BATCH_ID.match(batch) or not path.is_file():
            raise StagingRefused("no staged batch {batch}", batch=batch)
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return loaded

    def _save(self, batch: str, state: dict[str, Any]) -> None:
        _write(self.root / batch / "batch.json",
               json.dumps(state, ensure_ascii=False, indent=1).encode("utf-8"))

    @contextlib.contextmanager
    def _changing(self, batch: str) -> Iterator[dict[str, Any]]:
        """The batch's state under its lock, saved when the block ends without an error."""
        self._load(batch)
        with open(self.root / batch / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = self._load(batch)
            yield state
            self._save(batch, state)


def _pages_of(state: dict[str, Any], where: str) -> list[str]:
    if where == UNASSIGNED:
        pages: list[str] = state["unassigned"]
        return pages
    for dossier in state["dossiers"]:
        if dossier["code"] == where:
            found: list[str] = dossier["pages"]
            return found
    codes = ", ".join(d["code"] for d in state["dossiers"]) or "-"
    raise StagingRefused("the batch has no dossier {code} (its dossiers: {codes})", code=where,
                         codes=codes)


def _page_id(pages: list[str], where: str, page: int) -> str:
    if not 1 <= page <= len(pages):
        raise StagingRefused("{where} has {count} page(s): there is no page {page}",
                             where=where, count=len(pages), page=page)
    return pages[page - 1]


def _public(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: meta[k] for k in ("label", "blank", "rotation", "confidence", "ocr_error",
                                 "notes", "component", "excluded", "rescanned", "separator")}


def _write(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    with open(temp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)
    fsync_directory(path.parent)


def _thumbnail(page: CleanPage) -> bytes:
    pixels = page.straight
    image = Image.fromarray(pixels[:, :, ::-1] if pixels.ndim == 3 else pixels)
    image.thumbnail((THUMBNAIL_WIDTH, THUMBNAIL_WIDTH * 2))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def _png(pixels: Any) -> tuple[bytes, str]:
    out = io.BytesIO()
    Image.fromarray(pixels[:, :, ::-1] if pixels.ndim == 3 else pixels).save(out, format="PNG")
    return out.getvalue(), "image/png"


def _content_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or ""

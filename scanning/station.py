"""The scanning station: a batch of files in, per dossier stored objects and one Digitised record.

Stages, in order: load each file (a bad file, or a bad page of one, is refused by name and the
rest go on) → read cover and separator barcodes → split at covers and separators → per dossier:
clean, OCR, searchable PDF → store originals, cleaned copies, the PDF and the OCR JSON in the
object store (the station's spool absorbs outages) → ask the tracker to record ``Digitised``;
when it refuses, the objects that scan alone stored are deleted again (an object that was there
before the scan is left alone). The tracker is reached through ``TrackerPort``: in-process on
one machine (tracker/station_link.py) or over the HTTP API with a station token
(scanning/tracker_http.py). Blank pages and separator sheets are kept and flagged, never
dropped; pages behind a separator that no cover follows are reported ``unassigned``.

Pages are decoded twice (once for barcodes, once per dossier for clean-up), one page at a time,
so memory holds one dossier's pages at a time, not the whole feeder's. Both passes run file by
file in the OCR worker pool (scanning/stages.py); storing and recording stay in this process,
in page order.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import mimetypes
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from scanning.clean import CleanPage, effective_dpi
from scanning.errors import BadPage, ScanningError
from scanning.images import Page, measure
from scanning.ocr import OcrSettings, PageText, worker_pool
from scanning.pdf import searchable_pdf
from scanning.split import PATCH_T, Refusal, split_batch
from scanning.stages import FileCovers, joined_covers, prepare_pages, read_covers
from storage.objects import ObjectStore, StorageError, key_for
from storage.spool import SpoolingObjectStore

CLEANED_JPEG_QUALITY = 90
# The most pages of the next dossier read while one is recorded: each holds ~70 MB at 300 dpi
# until its dossier is recorded, and a dossier longer than this keeps the workers busy itself.
AHEAD_PAGES = 8
Progress = Callable[[str, int, int], None]


class ObjectsSpooled(ScanningError):
    """A dossier's objects are safe in the station's spool but not yet in the object store."""


class RecordRefused(ScanningError):
    """The tracker refused to record a scan (unknown dossier, custody rule, bad token…)."""


class PagePreparer(Protocol):
    """Cleans and OCRs runs of pages somewhere else (scale-out: tracker/ocr_queue.py)."""

    def prepare(self, runs: list[tuple[Path, list[int]]]
                ) -> list[tuple[CleanPage, PageText]]:
        """Every page of ``runs`` (file, 1-based page numbers) cleaned and read, in order.
        Raises ScanningError when a run cannot be done."""


Pending = Callable[[], list[tuple[CleanPage, PageText]]]
"""Pages being cleaned and read: called, it waits for them and gives them in order."""


class StagingPort(Protocol):
    """Where a batch scanned for QC goes instead of the tracker (scanning/staging.py)."""

    def begin(self, station: str, operator: str) -> str:
        """A new, empty staged batch; returns its id."""

    def stage(self, batch: str, code: str | None,
              prepared: Sequence[tuple[CleanPage, PageText]],
              originals: Sequence[tuple[bytes, str]], separators: Sequence[int] = ()
              ) -> tuple[list[dict[str, Any]], list[int]]:
        """Keep the pages for QC in ``batch`` under dossier ``code`` (None: unassigned);
        returns their quality notes and blank page numbers."""

    def end(self, batch: str) -> None:
        """The batch is complete: dropped if it holds no page."""


class TrackerPort(Protocol):
    """What the station needs from the tracker."""

    def known_dossier(self, code: str) -> bool:
        """True when ``code`` names a dossier the tracker has received."""

    def record_digitised(self, record: ScanRecord) -> dict[str, Any]:
        """Record the scan; returns the dossier's status. Raises RecordRefused."""


@dataclass(frozen=True)
class ScanRecord:
    """Everything a Digitised event needs, every key already in the object store."""

    code: str
    operator: str
    station: str
    pages: list[str]
    cleaned: list[str]
    pdf_key: str
    ocr_key: str
    dpi: int | None
    blank_pages: list[int]
    quality_notes: list[dict[str, Any]]
    device: str | None = None
    components: dict[str, list[int]] = field(default_factory=dict)
    excluded_pages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def quality(self) -> str:
        return "check" if self.quality_notes else "ok"

    def idempotency_key(self) -> str:
        """The same for every sending of this scan (its dossier and its content-addressed PDF),
        so a retry after a lost answer gets that answer instead of a second record."""
        digest = hashlib.sha256(f"{self.code}\n{self.pdf_key}".encode()).hexdigest()
        return f"scan-{digest}"

    def as_json(self) -> dict[str, Any]:
        return {"by": self.operator, "station": self.station, "pages": self.pages,
                "cleaned": self.cleaned, "pdf_key": self.pdf_key,
                "ocr_text_key": self.ocr_key, "dpi": self.dpi,
                "blank_pages": self.blank_pages, "quality_notes": self.quality_notes,
                "quality": self.quality, "device": self.device,
                "components": [{"component": c, "pages": p}
                               for c, p in self.components.items()],
                "excluded_pages": self.excluded_pages}


@dataclass(frozen=True)
class ScannedPage:
    """A page of the batch as the first pass saw it: where it is and what barcodes it has."""

    path: Path
    number: int  # in its file
    of: int  # pages in its file
    label: str
    codes: tuple[str, ...]


@dataclass
class DossierResult:
    code: str
    pages: int = 0
    blank_pages: list[int] = field(default_factory=list)
    quality_notes: list[dict[str, Any]] = field(default_factory=list)
    recorded: bool = False
    staged: bool = False
    error: str | None = None
    files: set[Path] = field(default_factory=set)


@dataclass
class BatchReport:
    """What happened to every page and file of a batch; ``file_outcomes`` drives hot folders."""

    dossiers: list[DossierResult] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # page labels, for the operator to assign
    # pages behind a separator no cover followed: [{"separators": [labels], "pages": [labels]}]
    unassigned: list[dict[str, list[str]]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)  # {"page", "label", "reason"}
    # {"file", "reason"}, and "page", "label" when one page of the file was refused
    bad_files: list[dict[str, Any]] = field(default_factory=list)
    file_outcomes: dict[Path, str] = field(default_factory=dict)  # done | held | failed
    batch: str | None = None  # the staged batch, when the station stages for QC

    @property
    def all_recorded(self) -> bool:
        return (not self.held and not self.unassigned and not self.refused and not self.bad_files
                and all(d.recorded for d in self.dossiers))

    def as_json(self) -> dict[str, Any]:
        return {
            "dossiers": [{"code": d.code, "pages": d.pages, "blank_pages": d.blank_pages,
                          "quality_notes": d.quality_notes, "recorded": d.recorded,
                          "staged": d.staged, "error": d.error} for d in self.dossiers],
            "held": self.held, "unassigned": self.unassigned, "refused": self.refused,
            "bad_files": self.bad_files, **({"batch": self.batch} if self.batch else {}),
        }


class Station:
    """Runs batches for one station and operator; holds no state between batches."""

    def __init__(self, store: ObjectStore, tracker: TrackerPort, station: str, operator: str,
                 jobs: int = 2, ocr: OcrSettings | None = None, device: str | None = None,
                 preparer: PagePreparer | None = None,
                 separators: Sequence[str] = (PATCH_T,),
                 staging: StagingPort | None = None) -> None:
        """With ``staging``, batches are cleaned and read into it and nothing is stored in
        the object store or recorded: the operator approves each dossier after QC."""
        self.store = store
        self.staging = staging
        self.tracker = tracker
        self.station = station
        self.operator = operator
        self.jobs = jobs
        self.ocr = ocr or OcrSettings()
        self.device = device
        self.preparer = preparer
        self.separators = tuple(separators)

    def process(self, files: Sequence[Path], assign_to: str | None = None,
                progress: Progress | None = None) -> BatchReport:
        """Process ``files`` as one batch, in order. ``assign_to`` names the dossier of the
        pages before the first cover (it must be known, else RecordRefused before any work)."""
        if assign_to is not None and not self.tracker.known_dossier(assign_to):
            raise RecordRefused(f"unknown dossier {assign_to}")
        report = BatchReport()
        if self.staging is not None:
            report.batch = self.staging.begin(self.station, self.operator)
        with worker_pool(self.jobs, self.ocr) as pool:
            scanned = self._read_covers(files, report, pool, progress)
            split = split_batch([p.codes for p in scanned], self.tracker.known_dossier,
                                assign_to, self.separators)
            for number in split.held:
                report.held.append(scanned[number - 1].label)
            for group in split.unassigned:
                report.unassigned.append(
                    {"separators": [scanned[n - 1].label for n in group.separators],
                     "pages": [scanned[n - 1].label for n in group.pages]})
            for refusal in split.refused:
                report.refused.append(self._refusal(refusal, scanned))
            done = 0
            total = sum(len(d.pages) for d in split.dossiers)
            shares = [(share, [scanned[n - 1] for n in share.pages]) for share in split.dossiers]
            ahead: Pending | None = None  # this dossier's pages, started in the previous turn
            for index, (share, pages) in enumerate(shares):
                pending, ahead = ahead, None
                result = DossierResult(share.code, files={p.path for p in pages}
                                       | {scanned[n - 1].path for n in share.covers})
                report.dossiers.append(result)
                if not pages:
                    result.error = "a cover with no pages behind it: nothing to record"
                    continue
                pending = pending or self.start_reading(pages, pool)
                # a small next dossier's pages are read while this one's are stored and recorded
                following = shares[index + 1][1] if index + 1 < len(shares) else []
                if following and len(following) <= AHEAD_PAGES:
                    ahead = self.start_reading(following, pool)
                flagged = [share.pages.index(n) + 1 for n in share.separators]
                try:
                    self._digitise(result, pages, pending, flagged, report.batch)
                except (ScanningError, OSError) as error:
                    result.error = str(error)
                done += len(pages)
                if progress:
                    progress("dossiers", done, total)
            held = [*split.held, *(n for group in split.unassigned for n in group.pages)]
            if report.batch is not None and held:
                stray = [scanned[n - 1] for n in held]
                prepared = self.prepare(stray, pool)
                self._stage(report.batch, None, prepared, [
                    self.original(wanted, tidy.page)
                    for wanted, (tidy, _) in zip(stray, prepared, strict=True)])
        if self.staging is not None and report.batch is not None:
            self.staging.end(report.batch)
        report.file_outcomes = self._outcomes(files, scanned, held, split.refused, report)
        return report

    # -- first pass: covers ------------------------------------------------------------------

    def _read_covers(self, files: Sequence[Path], report: BatchReport, pool: Executor,
                     progress: Progress | None) -> list[ScannedPage]:
        scanned: list[ScannedPage] = []
        planned = [cover_jobs(Path(path), pool) for path in files]
        for index, (path, parts) in enumerate(zip(files, planned, strict=True), start=1):
            found = joined_covers(Path(path), [part if isinstance(part, FileCovers)
                                               else part.result() for part in parts])
            if found.refused is not None:
                report.bad_files.append({"file": str(found.path), "reason": found.refused})
            for number, label, reason in found.refused_pages:  # the file's other pages go on
                report.bad_files.append({"file": str(found.path), "page": number,
                                         "label": label, "reason": reason})
            of = len(found.pages) + len(found.refused_pages)
            for number, label, codes in found.pages:
                scanned.append(ScannedPage(found.path, number, of, label, codes))
            if progress:
                progress("pages", index, len(files))
        return scanned

    @staticmethod
    def _refusal(refusal: Refusal, scanned: list[ScannedPage]) -> dict[str, Any]:
        return {"page": refusal.page, "label": scanned[refusal.page - 1].label,
                "reason": refusal.reason}

    # -- second pass: one dossier --------------------------------------------------------------

    def _digitise(self, result: DossierResult, pages: list[ScannedPage], pending: Pending,
                  separators: Sequence[int] = (), batch: str | None = None) -> None:
        """Store and record one dossier's ``pages`` once ``pending`` (``start_reading``'s) has them
        cleaned and read (or, given a staged ``batch``, keep them there for QC);
        ``separators`` (1-based among them) are separator sheets, kept and flagged."""
        prepared = pending()
        originals = [self.original(wanted, tidy.page)
                     for wanted, (tidy, _) in zip(pages, prepared, strict=True)]
        if batch is not None:
            notes, blank = self._stage(batch, result.code, prepared, originals, separators)
            result.pages, result.blank_pages, result.quality_notes = (len(prepared), blank,
                                                                      notes)
            result.staged = True
            return
        self.record_prepared(result, prepared, originals, separators)

    def _stage(self, batch: str, code: str | None,
               prepared: Sequence[tuple[CleanPage, PageText]],
               originals: Sequence[tuple[bytes, str]], separators: Sequence[int] = ()
               ) -> tuple[list[dict[str, Any]], list[int]]:
        if self.staging is None:
            raise ScanningError("this station stages nothing")
        return self.staging.stage(batch, code, prepared, originals, separators)

    def prepare(self, pages: Sequence[ScannedPage], pool: Executor
                ) -> list[tuple[CleanPage, PageText]]:
        """Every page of ``pages`` cleaned and read, in order (here or by the preparer)."""
        return self.start_reading(pages, pool)()

    def start_reading(self, pages: Sequence[ScannedPage], pool: Executor) -> Pending:
        """Start cleaning and reading ``pages`` on ``pool`` (the preparer starts when asked);
        calling what this returns waits for them and gives them in order.

        Each page is a job of its own, even beside others of the same file: a dossier scanned
        as one multi-page PDF or TIFF would otherwise be cleaned and read by one worker while
        the others wait. Each job decodes only its page, so nothing is decoded twice."""
        runs = [(wanted.path, [wanted.number]) for wanted in pages]
        preparer = self.preparer
        if preparer is not None:
            return lambda: preparer.prepare(runs)
        futures = [pool.submit(prepare_pages, path, numbers, self.ocr)
                   for path, numbers in runs]
        return lambda: [item for future in futures for item in future.result()]

    def record_prepared(self, result: DossierResult,
                        prepared: Sequence[tuple[CleanPage, PageText]],
                        originals: Sequence[tuple[bytes, str]],
                        separators: Sequence[int] = (),
                        components: dict[str, list[int]] | None = None,
                        excluded_pages: Sequence[dict[str, Any]] = ()) -> None:
        """Store the PDF, the OCR JSON, the ``originals`` (bytes, content type) and cleaned
        copies of one dossier's ``prepared`` pages and record them; what this scan alone stored
        is deleted again when the tracker refuses. Raises RecordRefused, ObjectsSpooled."""
        pdf = searchable_pdf(prepared)
        loaded = [tidy.page for tidy, _ in prepared]
        texts = [text for _, text in prepared]
        # OCR may find a page upside down that geometry missed: keep its second opinion
        cleaned = [tidy.turned(text.quarter_turns) for tidy, text in prepared]
        notes, blank = page_notes(prepared, separators)
        ocr_doc = [{**text.as_dict(), "page": number, "rotation": tidy.rotation,
                    "skew": tidy.skew, "blank": tidy.blank}
                   for number, (tidy, text) in enumerate(zip(cleaned, texts, strict=True),
                                                         start=1)]
        fresh: list[str] = []  # keys this scan stored that were not there before it
        keys = [self._put(data, content_type, fresh) for data, content_type in originals]
        straight = [self._put(_jpeg(tidy), "image/jpeg", fresh) for tidy in cleaned]
        pdf_key = self._put(pdf, "application/pdf", fresh)
        ocr_key = self._put(json.dumps(
            {"code": result.code, "station": self.station, "pages": ocr_doc},
            ensure_ascii=False).encode("utf-8"), "application/json", fresh)
        dpis = {round(effective_dpi(p)) for p in loaded if p.dpi}  # as the pages were read
        record = ScanRecord(
            code=result.code, operator=self.operator, station=self.station, pages=keys,
            cleaned=straight, pdf_key=pdf_key, ocr_key=ocr_key,
            dpi=min(dpis) if dpis else None, blank_pages=blank, quality_notes=notes,
            device=self.device, components=dict(components or {}),
            excluded_pages=[dict(e) for e in excluded_pages])
        result.pages, result.blank_pages, result.quality_notes = len(loaded), blank, notes
        if isinstance(self.store, SpoolingObjectStore):
            waiting = [k for k in [*keys, *straight, pdf_key, ocr_key]
                       if self.store.is_pending(k)]
            if waiting:  # the tracker would refuse: it reads every object from the primary
                raise ObjectsSpooled(
                    f"{len(waiting)} object(s) wait in the station's spool (object store "
                    "unreachable); they upload by themselves (hoso storage sync): scan these "
                    "files again then to record the dossier")
        try:
            self.tracker.record_digitised(record)
        except RecordRefused:
            self._forget(fresh)
            raise
        result.recorded = True

    def _put(self, data: bytes, content_type: str, fresh: list[str]) -> str:
        """Store ``data``; its key joins ``fresh`` when no object held those bytes before.
        Unknown (the store unreachable) counts as there before: such a key is never deleted
        here, and ``hoso storage gc`` finds it if no event ever names it."""
        key = key_for(hashlib.sha256(data).hexdigest())
        try:
            before = self.store.exists(key)
        except StorageError:
            before = True
        self.store.put(data, content_type)
        if not before and key not in fresh:
            fresh.append(key)
        return key

    def _forget(self, keys: list[str]) -> None:
        """Delete what a refused scan alone stored: no event names it (the tracker records
        only objects it read back, and these were not there when this scan began). What
        cannot be deleted now is left for ``hoso storage gc``."""
        for key in keys:
            with contextlib.suppress(StorageError, OSError):
                self.store.remove(key)

    @staticmethod
    def original(scanned: ScannedPage, page: Page) -> tuple[bytes, str]:
        """What is archived of a page: a one-page image file byte for byte, a page of a
        multi-page file (TIFF, PDF) as a lossless PNG of exactly the pixels decoded from it."""
        content_type = mimetypes.guess_type(scanned.path.name)[0] or ""
        if scanned.of == 1 and content_type.startswith("image/"):
            return scanned.path.read_bytes(), content_type
        return _png(page.pixels), "image/png"

    # -- outcomes per file -------------------------------------------------------------------

    @staticmethod
    def _outcomes(files: Sequence[Path], scanned: list[ScannedPage], held: list[int],
                  refused: list[Refusal], report: BatchReport) -> dict[Path, str]:
        outcome = {Path(f): "done" for f in files}
        for bad in report.bad_files:
            outcome[Path(bad["file"])] = "failed"
        for number in held:
            outcome[scanned[number - 1].path] = "held"
        for refusal in refused:
            outcome[scanned[refusal.page - 1].path] = "failed"
        for result in report.dossiers:
            if not result.recorded and not result.staged:
                for path in result.files:
                    outcome[path] = "failed"
        return outcome


def cover_jobs(path: Path, pool: Executor) -> list[FileCovers | Future[FileCovers]]:
    """A covers job on ``pool`` per page of ``path``, its pages counted from its headers (a
    file that cannot be a scan is refused here, undecoded), so one multi-page file is shared
    among the workers as files of a page each are."""
    try:
        count = len(measure(path).sizes)
    except BadPage as error:
        return [FileCovers(path, refused=error.reason)]
    return [pool.submit(read_covers, path, (number,)) for number in range(1, count + 1)]


def page_notes(prepared: Sequence[tuple[CleanPage, PageText]], separators: Sequence[int] = ()
               ) -> tuple[list[dict[str, Any]], list[int]]:
    """The quality notes the operator is told about ``prepared`` pages (1-based
    ``separators`` among them are separator sheets) and the numbers of the blank ones."""
    notes: list[dict[str, Any]] = []
    blank: list[int] = []
    for number, (tidy, text) in enumerate(prepared, start=1):
        label = tidy.page.label
        if number in separators:
            notes.append({"page": number, "code": "separator", "message":
                          f"{label} is a separator sheet: kept and flagged"})
        if tidy.blank:
            blank.append(number)
            notes.append({"page": number, "code": "blank", "message":
                          f"{label} looks blank: kept and flagged; rescan if not"})
        notes += [{"page": number, **note.as_dict()} for note in tidy.quality]
        if text.error:
            notes.append({"page": number, "code": "ocr_failed", "message": text.error})
    return notes, blank


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(_rgb(pixels)).save(buffer, format="PNG")
    return buffer.getvalue()


def _jpeg(page: CleanPage) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(_rgb(page.straight)).save(buffer, format="JPEG",
                                              quality=CLEANED_JPEG_QUALITY,
                                              dpi=(page.ocr_dpi, page.ocr_dpi))
    return buffer.getvalue()


def _rgb(pixels: np.ndarray) -> np.ndarray:
    """OpenCV's BGR order to the RGB Pillow expects (grey stays grey)."""
    return pixels[:, :, ::-1] if pixels.ndim == 3 else pixels

"""The OCR stage on a batch of files: each page loaded, cleaned, read and typeset by a worker.

One worker process per core does everything for one page (load, clean-up, Tesseract, a one-page
searchable PDF), so clean-up of one page overlaps OCR of another, a multi-page PDF or TIFF keeps
every worker busy, and no page image crosses a process boundary: workers send back the page's
text, PDF and summary, and the caller joins a file's pages into ``<stem>.txt`` and
``<stem>.pdf``. A file that cannot be a page is refused with its name and the others go on; a
page whose Tesseract outlives the timeout is reported and skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanning.clean import clean
from scanning.errors import BadPage
from scanning.images import load_pages, measure
from scanning.ocr import OcrSettings, read_clean, worker_pool
from scanning.pdf import joined_pdf, searchable_pdf


@dataclass(frozen=True)
class PageSummary:
    """What the operator and ``summary.json`` learn about one page."""

    file: str
    seconds: float
    confidence: float
    rotation: int
    skew: float
    blank: bool
    quality: list[dict[str, str]]
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "seconds": self.seconds, "confidence": self.confidence,
                "rotation": self.rotation, "skew": self.skew, "blank": self.blank,
                "quality": self.quality, "error": self.error}


@dataclass(frozen=True)
class FileResult:
    """One input file: its pages, or why it was refused (``refused`` names the file)."""

    source: Path
    pages: list[PageSummary] = field(default_factory=list)
    refused: str | None = None


@dataclass(frozen=True)
class PageDone:
    """One page as a worker hands it back: its text, a one-page searchable PDF, its summary."""

    text: str
    pdf: bytes
    summary: PageSummary


def ocr_page(source: Path, number: int, settings: OcrSettings) -> PageDone:
    """Load, clean and read page ``number`` (1-based) of ``source``; a blank page is flagged,
    not read. Runs in a worker process. Raises BadPage when the page cannot be a scan."""
    page, = load_pages(source, wanted={number})
    started = time.monotonic()
    cleaned = clean(page)
    text = read_clean(cleaned, settings)
    cleaned = cleaned.turned(text.quarter_turns)
    return PageDone(text=text.text, pdf=searchable_pdf([(cleaned, text)]), summary=PageSummary(
        file=page.label, seconds=round(time.monotonic() - started, 3),
        confidence=text.confidence, rotation=cleaned.rotation, skew=cleaned.skew,
        blank=cleaned.blank, quality=[note.as_dict() for note in cleaned.quality],
        error=text.error))


def ocr_files(sources: Sequence[Path], out_dir: Path, jobs: int,
              settings: OcrSettings | None = None,
              progress: Callable[[FileResult], None] | None = None) -> list[FileResult]:
    """Every page of every source read on ``jobs`` worker processes (``ocr_page``), each
    file's ``<stem>.txt`` (pages separated by form feeds) and ``<stem>.pdf`` written to
    ``out_dir``; results in input order. A file with a page that cannot be a scan is refused
    whole, as ``load_pages`` refuses it.

    Two sources with the same stem would overwrite each other's outputs: refused up front.
    """
    settings = settings or OcrSettings()
    stems: dict[str, Path] = {}
    for source in sources:
        if source.stem in stems and stems[source.stem] != source:
            raise BadPage(source.name, f"has the same name stem as {stems[source.stem]}; "
                                       "their .txt and .pdf would overwrite each other")
        stems[source.stem] = source
    out_dir.mkdir(parents=True, exist_ok=True)
    with worker_pool(jobs, settings) as pool:
        planned: list[tuple[Path, str | list[Future[PageDone]]]] = []
        for source in sources:
            try:
                count = _page_count(source)
            except BadPage as error:
                planned.append((source, str(error)))
                continue
            planned.append((source, [pool.submit(ocr_page, source, number, settings)
                                     for number in range(1, count + 1)]))
        results = []
        for source, work in planned:
            result = _written(source, work, out_dir)
            if progress:
                progress(result)
            results.append(result)
    return results


def _page_count(source: Path) -> int:
    """How many pages ``source`` holds, from its headers; raises BadPage, as ``load_pages``
    would, when the file or any of its pages cannot be a scan."""
    found = measure(source)
    for number, why in enumerate(found.refusals, start=1):
        if why is not None:
            raise BadPage(source.name, f"page {number}: {why}")
    return len(found.sizes)


def _written(source: Path, work: str | list[Future[PageDone]], out_dir: Path) -> FileResult:
    """The file's result once its pages are done, its text and PDF written; or its refusal."""
    if isinstance(work, str):
        return FileResult(source=source, refused=work)
    try:
        pages = [future.result() for future in work]
    except BadPage as error:
        return FileResult(source=source, refused=str(error))
    stem = out_dir / source.stem
    stem.with_suffix(".txt").write_text("\f".join(page.text for page in pages) + "\n",
                                        encoding="utf-8")
    stem.with_suffix(".pdf").write_bytes(joined_pdf([page.pdf for page in pages]))
    return FileResult(source=source, pages=[page.summary for page in pages])

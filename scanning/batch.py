"""The OCR stage on a batch of files: each file loaded, cleaned, read and written by a worker.

One worker process per core does everything for one file (load, clean-up, Tesseract, text and
PDF), so clean-up of one page overlaps OCR of another and no page image crosses a process
boundary: workers send back only the summary. A file that cannot be a page is refused with its
name and the others go on; a page whose Tesseract outlives the timeout is reported and skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanning.clean import CleanPage, clean
from scanning.errors import BadPage
from scanning.images import load_pages
from scanning.ocr import OcrSettings, PageText, read_clean, worker_pool
from scanning.pdf import searchable_pdf


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


def read_cleaned(cleaned: CleanPage, settings: OcrSettings) -> tuple[CleanPage, PageText]:
    """OCR one cleaned page (a blank page is not read, only flagged) and turn it the way OCR
    found it reads."""
    text = read_clean(cleaned, settings)
    return cleaned.turned(text.quarter_turns), text


def ocr_file(source: Path, out_dir: Path, settings: OcrSettings) -> FileResult:
    """Load, clean and read every page of ``source``; write ``<stem>.txt`` (pages separated by
    form feeds) and ``<stem>.pdf`` to ``out_dir``. Runs in a worker process."""
    try:
        pages = load_pages(source)
    except BadPage as error:
        return FileResult(source=source, refused=str(error))
    done: list[tuple[CleanPage, PageText]] = []
    summaries: list[PageSummary] = []
    for page in pages:
        started = time.monotonic()
        cleaned, text = read_cleaned(clean(page), settings)
        done.append((cleaned, text))
        summaries.append(PageSummary(
            file=page.label, seconds=round(time.monotonic() - started, 3),
            confidence=text.confidence, rotation=cleaned.rotation, skew=cleaned.skew,
            blank=cleaned.blank, quality=[note.as_dict() for note in cleaned.quality],
            error=text.error))
    stem = out_dir / source.stem
    stem.with_suffix(".txt").write_text("\f".join(text.text for _, text in done) + "\n",
                                        encoding="utf-8")
    stem.with_suffix(".pdf").write_bytes(searchable_pdf(done))
    return FileResult(source=source, pages=summaries)


def ocr_files(sources: Sequence[Path], out_dir: Path, jobs: int,
              settings: OcrSettings | None = None,
              progress: Callable[[FileResult], None] | None = None) -> list[FileResult]:
    """``ocr_file`` for every source on ``jobs`` worker processes; results in input order.

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
        futures = [pool.submit(ocr_file, source, out_dir, settings) for source in sources]
        results = []
        for future in futures:
            result = future.result()
            if progress:
                progress(result)
            results.append(result)
    return results

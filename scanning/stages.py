"""The station's per-page work, run in the OCR worker processes: covers, then clean-up and OCR.

Each function takes a file path and page numbers (not pixels) so no page image crosses into a
worker, and decodes only those pages itself; it returns plain results (a refused file as its
reason, not an exception, so nothing depends on pickling exceptions). The station gives each
page to a job of its own, so a batch spreads over every core whether the scanner wrote a file
a page or one PDF for all, and clean-up of one page overlaps OCR of another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scanning.barcodes import read_barcodes
from scanning.clean import CleanPage, clean
from scanning.errors import BadPage
from scanning.images import Page, RefusedPage, iter_pages
from scanning.ocr import OcrSettings, PageText, read_clean


@dataclass(frozen=True)
class FileCovers:
    """What the first pass learnt about a file: per page (number, label, barcode texts) and
    per refused page (number, label, reason), or why the whole file cannot be a scan."""

    path: Path
    pages: tuple[tuple[int, str, tuple[str, ...]], ...] = ()
    refused: str | None = None
    refused_pages: tuple[tuple[int, str, str], ...] = ()


def read_covers(path: Path, numbers: Sequence[int]) -> FileCovers:
    """Barcodes of pages ``numbers`` (1-based) of ``path``, decoding one at a time."""
    pages, refused = [], []
    try:
        for page in iter_pages(path, wanted=set(numbers)):
            if isinstance(page, RefusedPage):
                refused.append((page.number, page.label, page.reason))
            else:
                pages.append((page.number, page.label,
                              tuple(b.text for b in read_barcodes(page.pixels))))
    except BadPage as error:
        return FileCovers(path, refused=error.reason)
    return FileCovers(path, tuple(sorted(pages)), refused_pages=tuple(refused))


def joined_covers(path: Path, parts: Sequence[FileCovers]) -> FileCovers:
    """One file's covers from those of its pages read apart: refused whole if any part was."""
    for part in parts:
        if part.refused is not None:
            return FileCovers(path, refused=part.refused)
    return FileCovers(path, tuple(page for part in parts for page in part.pages),
                      refused_pages=tuple(page for part in parts for page in part.refused_pages))


def prepare_pages(path: Path, numbers: Sequence[int], settings: OcrSettings
                  ) -> list[tuple[CleanPage, PageText]]:
    """Clean and OCR pages ``numbers`` (1-based) of ``path``. A page OCR found upside down
    comes back as clean-up left it, its text saying so (``PageText.quarter_turns``): the
    caller turns it. Raises BadPage if the file changed into something unreadable since the
    first pass."""
    decoded = {page.number: page for page in iter_pages(path, wanted=set(numbers))
               if isinstance(page, Page)}
    prepared = []
    for number in numbers:
        if number not in decoded:
            raise BadPage(path.name, f"page {number} is gone or no longer a page")
        tidy = clean(decoded.pop(number))
        prepared.append((tidy, read_clean(tidy, settings)))
    return prepared

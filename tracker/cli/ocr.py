"""``hoso ocr``: the OCR stage alone on image files, for operators and for measuring.

Writes ``<stem>.txt`` (pages separated by form feeds) and a searchable ``<stem>.pdf`` per input
file, and ``summary.json`` for the batch. Exit 0 when every page was read; 2 when a file was
refused (named on stderr; the others were still read); 1 when Tesseract timed out on a page.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tracker.cli.output import emit, json_option
from tracker.domain.errors import BadInput

if TYPE_CHECKING:
    from scanning.batch import FileResult

# OpenCV, pytesseract and reportlab load inside the command: at module level they would slow
# every other ``hoso`` command down.


@contextmanager
def _progress(total: int) -> Iterator[Any]:
    """A rich progress bar on stderr when it is a terminal; a no-op otherwise."""
    if not sys.stderr.isatty():
        yield lambda _result: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("OCR", total=total)
        yield lambda _result: bar.advance(task)


@click.command()
@click.argument("pages", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Where <stem>.txt, <stem>.pdf and summary.json go.")
@click.option("--jobs", type=click.IntRange(1, 256), default=lambda: os.cpu_count() or 1,
              show_default="one per core", help="Worker processes, each one Tesseract.")
@click.option("--timeout", type=click.FloatRange(0.01, 3600), default=120.0,
              show_default=True, help="Seconds before a page's Tesseract is stopped.")
@click.option("--lang", "languages", default="vie", show_default=True,
              help="Tesseract languages, e.g. vie or vie+eng.")
@json_option
def ocr(pages: tuple[Path, ...], out_dir: Path, jobs: int, timeout: float,
        languages: str) -> None:
    """Clean up and OCR PAGES (PNG, JPEG, TIFF, PDF) into OUT_DIR."""
    from scanning.batch import ocr_files
    from scanning.errors import BadPage
    from scanning.ocr import OcrSettings

    started = time.monotonic()
    settings = OcrSettings(languages=languages, timeout=timeout)
    try:
        with _progress(len(pages)) as advance:
            results = ocr_files(list(pages), out_dir, jobs, settings, progress=advance)
    except BadPage as error:
        raise BadInput(str(error)) from error
    summary = {"pages": [entry for result in results for entry in _entries(result)],
               "seconds": round(time.monotonic() - started, 3)}
    (out_dir / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    emit(summary, lambda: _lines(results))
    refused = [result.refused for result in results if result.refused]
    if refused:
        raise BadInput(f"{len(refused)} of {len(results)} files refused: " + "; ".join(refused))
    stopped = [page.file for result in results for page in result.pages if page.error]
    if stopped:
        raise click.ClickException(
            f"Tesseract was stopped after {timeout:g} s on: {', '.join(stopped)}")


def _entries(result: FileResult) -> list[dict[str, Any]]:
    if result.refused:
        return [{"file": result.source.name, "seconds": 0.0, "confidence": 0.0, "rotation": 0,
                 "skew": 0.0, "blank": False, "quality": [], "error": result.refused}]
    return [page.as_dict() for page in result.pages]


def _lines(results: list[FileResult]) -> Iterator[str]:
    for result in results:
        if result.refused:
            yield f"{result.source.name}  REFUSED  {result.refused}"
        for page in result.pages:
            flags = ["BLANK"] if page.blank else []
            flags += [note["code"] for note in page.quality]
            flags += ["STOPPED"] if page.error else []
            yield (f"{page.file}  confidence {page.confidence:.1f}  rotation {page.rotation}  "
                   f"skew {page.skew:+.2f}  {page.seconds:.1f}s  {' '.join(flags)}").rstrip()


COMMANDS = (ocr,)

"""``hoso scan``, ``hoso barcode read``, ``hoso search`` and ``hoso cover``: the scanning station.

``hoso scan`` takes its batch from files, a SANE scanner (``--device``) or a watched folder
(``--watch``), and records each dossier through the tracker: in-process, or over the HTTP API
when HOSO_TRACKER_URL is set (a station on another machine, with HOSO_STATION_TOKEN); with
``--kafka`` clean-up and OCR go to ``hoso worker ocr`` processes (tracker/cli/worker.py). A
progress bar appears only on a terminal. Exit 0 when every page went into a recorded dossier; 2
when any file, page or dossier was refused or held (the rest still went through, the summary
says which).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tracker.cli.context import application, services
from tracker.cli.output import emit, json_option, to_json, wants_json
from tracker.domain.errors import N_, BadInput, UnknownReference

if TYPE_CHECKING:
    from scanning.station import BatchReport, Progress, Station

# The image libraries (OpenCV, zxing-cpp, Tesseract's wrapper, reportlab) are imported inside
# the commands that use them: at module level they would add half a second to every ``hoso``.


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Progress | None]:
    """A rich progress bar on stderr when it is a terminal; nothing otherwise."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress as Bar

    with Bar(transient=True) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                label = "reading covers" if stage == "pages" else "cleaning, OCR, storing"
                tasks[stage] = bar.add_task(label, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


@click.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--device", metavar="DEV", help="SANE device to scan from (scanimage -L).")
@click.option("--resolution", default=300, show_default=True, type=click.IntRange(75, 1200))
@click.option("--mode", default="Color", show_default=True, help="SANE scan mode.")
@click.option("--source", help="SANE source, e.g. 'Automatic Document Feeder'.")
@click.option("--batch-count", type=click.IntRange(1, 10_000),
              help="Stop after this many sheets (default: until the feeder is empty).")
@click.option("--scanner-option", "scanner_options", multiple=True, metavar="OPT",
              help="A further scanimage option, e.g. --scanner-option=--test-picture=Grid.")
@click.option("--watch", type=click.Path(file_okay=False, path_type=Path),
              help="Process files dropped into this folder (done/, held/ and failed/ inside).")
@click.option("--settle", default=2.0, show_default=True, type=click.FloatRange(0.0, 600.0),
              help="Seconds a watched file must stay unchanged before it is taken.")
@click.option("--once", is_flag=True, help="With --watch: stop once the folder is idle.")
@click.option("--station", required=True, help="This scanning station's name.")
@click.option("--operator", required=True, metavar="STAFF", help="Staff id of the operator.")
@click.option("--dossier", metavar="CODE", help="The dossier of pages before any cover.")
@click.option("--jobs", default=2, show_default=True, type=click.IntRange(1, 64),
              help="OCR worker processes (one per core).")
@click.option("--ocr-timeout", default=120.0, show_default=True,
              type=click.FloatRange(1.0, 3600.0), help="Seconds before a page's OCR is stopped.")
@click.option("--kafka", "over_kafka", is_flag=True,
              help="Leave clean-up and OCR to 'hoso worker ocr' processes (HOSO_KAFKA_BOOTSTRAP).")
@click.option("--stage", "staged", is_flag=True,
              help="Keep the batch in the staging area for QC (hoso stage): nothing is stored "
                   "or recorded until each dossier is approved.")
@json_option
def scan(files: tuple[Path, ...], device: str | None, resolution: int, mode: str,
         source: str | None, batch_count: int | None, scanner_options: tuple[str, ...],
         watch: Path | None, settle: float, once: bool, station: str, operator: str,
         dossier: str | None, jobs: int, ocr_timeout: float, over_kafka: bool,
         staged: bool) -> None:
    """Scan a batch: split it at cover sheets, clean, OCR, store, and record each dossier."""
    from scanning.acquire import (
        ScannerFailed,
        ScannerSettings,
        WatchedFolder,
        from_files,
        from_scanner,
    )
    from scanning.ocr import OcrSettings

    if sum([bool(files), device is not None, watch is not None]) != 1:
        raise BadInput(N_("scan needs exactly one of FILES…, --device DEV or --watch DIR"))
    worker = services().scanning_station(station, operator, jobs=jobs,
                                         ocr=OcrSettings(timeout=ocr_timeout), device=device,
                                         over_kafka=over_kafka, stage=staged)
    if watch is not None and wants_json() and not once:
        raise BadInput(
            N_("--json with --watch needs --once (one document when the folder is idle)"))
    reports: list[BatchReport] = []
    with progress_bar(not wants_json()) as progress:
        if watch is not None:
            folder = WatchedFolder(watch, settle=settle)
            for batch in folder.watch(stop_after_idle=max(settle * 2, 0.5) if once else None):
                report = _run(worker, batch, dossier, progress)
                for path, outcome in report.file_outcomes.items():
                    folder.finish(path, outcome)
                if once:
                    reports.append(report)  # a long-running watch keeps nothing per batch
                if not wants_json():
                    _print_summary(report)
                    if not once and (problems := list(_problems(report))):
                        click.echo(f"hoso: {'; '.join(problems)}", err=True)
        elif device is not None:
            with tempfile.TemporaryDirectory(prefix="hoso-scan-") as folder_name:
                try:
                    pages = from_scanner(ScannerSettings(
                        device=device, resolution=resolution, mode=mode, source=source,
                        batch_count=batch_count, options=scanner_options), Path(folder_name))
                except ScannerFailed as error:  # the device, not the input: exit 1
                    raise click.ClickException(str(error)) from None
                reports.append(_run(worker, pages, dossier, progress))
        else:
            reports.append(_run(worker, from_files(files), dossier, progress))
    documents = [r.as_json() for r in reports]
    if wants_json():
        click.echo(to_json(documents[0] if watch is None else documents))
    elif watch is None:
        _print_summary(reports[0])
    problems = [line for r in reports for line in _problems(r)]
    if problems:
        click.echo(f"hoso: {'; '.join(problems)}", err=True)
        raise click.exceptions.Exit(2)


def _run(worker: Station, files: list[Path], dossier: str | None,
         progress: Progress | None) -> BatchReport:
    from scanning.station import RecordRefused
    from scanning.tracker_http import TrackerUnavailable

    try:
        return worker.process(files, assign_to=dossier, progress=progress)
    except RecordRefused as error:  # the named dossier is unknown: nothing was done
        raise UnknownReference(str(error)) from None
    except TrackerUnavailable as error:  # not the operator's input: exit 1, files untouched
        raise click.ClickException(str(error)) from None


def _problems(report: BatchReport) -> Iterable[str]:
    for bad in report.bad_files:
        yield f"{bad.get('label') or Path(bad['file']).name} refused: {bad['reason']}"
    for refused in report.refused:
        yield f"page {refused['page']} ({refused['label']}) refused: {refused['reason']}"
    if report.batch is not None:  # held and unassigned pages wait in staging, unassigned
        pass
    elif report.held:
        yield (f"{len(report.held)} page(s) before any cover held: "
               f"{', '.join(report.held)} (assign them with --dossier CODE)")
    for group in report.unassigned if report.batch is None else []:
        yield (f"{len(group['pages'])} page(s) behind separator {group['separators'][0]} "
               f"with no cover: {', '.join(group['pages'])} (unassigned: rescan them behind "
               "their dossier's cover, or alone with --dossier CODE)")
    for result in report.dossiers:
        if not result.recorded and not result.staged:
            yield f"{result.code} not recorded: {result.error}"


def _print_summary(report: BatchReport) -> None:
    for result in report.dossiers:
        state = ("recorded" if result.recorded else f"staged in {report.batch}" if result.staged
                 else f"NOT recorded ({result.error})")
        blank = f", blank: {result.blank_pages}" if result.blank_pages else ""
        click.echo(f"{result.code}  {result.pages} page(s){blank}  {state}")
        for note in result.quality_notes:
            click.echo(f"    page {note['page']}: {note['message']}")


@click.group()
def barcode() -> None:
    """Cover-sheet barcodes."""


@barcode.command(name="read")
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@json_option
def read(images: tuple[Path, ...]) -> None:
    """Decode the Code 128 and QR symbols on each image (every page of a multi-page file)."""
    from scanning.barcodes import read_barcodes
    from scanning.errors import BadPage
    from scanning.images import load_pages

    rows: list[dict[str, Any]] = []
    bad: list[str] = []
    for path in images:
        try:
            pages = load_pages(path)
        except BadPage as error:
            bad.append(str(error))
            continue
        for page in pages:
            codes = [{"text": b.text, "format": b.format} for b in read_barcodes(page.pixels)]
            rows.append({"file": str(path) if page.number == 1 else f"{path}#{page.number}",
                         "codes": codes})
    emit(rows, lambda: [f"{r['file']}: " + (", ".join(f"{c['text']} ({c['format']})"
                                                     for c in r["codes"]) or "no code")
                        for r in rows])
    if bad:
        click.echo(f"hoso: {'; '.join(bad)}", err=True)
        raise click.exceptions.Exit(2)


@click.command()
@click.argument("query", required=False)
@click.option("--office", help="Only dossiers digitised at this office.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
@click.option("--reindex", is_flag=True, help="Rebuild the index from the Digitised events.")
@json_option
def search(query: str | None, office: str | None, limit: int, reindex: bool) -> None:
    """Find dossiers by the words in their scans, accents and case ignored."""
    app = application()
    if reindex:
        count = app.reindex_search()
        if not query:
            emit({"reindexed": count}, lambda: [f"reindexed {count} scan(s)"])
            return
    if not query or not query.strip():
        raise BadInput(N_("search needs a QUERY (or --reindex)"))
    hits = [{"code": h.code, "office": h.office, "snippet": h.snippet}
            for h in app.search(query, office=office, limit=limit)]
    emit(hits, lambda: [f"{h['code']}  {h['snippet']}" for h in hits])


@click.command()
@click.argument("code")
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the PDF.")
@json_option
def cover(code: str, out: Path) -> None:
    """Print the cover sheet (Code 128 + QR) that goes on top of the dossier when scanned."""
    from tracker.cover_sheet import cover_sheet_pdf

    pdf = cover_sheet_pdf(application().status(code))
    out.write_bytes(pdf)
    emit({"code": code, "file": str(out), "size": len(pdf)}, lambda: [str(out)])


COMMANDS = [scan, barcode, search, cover]

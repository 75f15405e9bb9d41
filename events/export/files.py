"""Reading custody exports from their files: JSON, CSV, or the JSON attached to a PDF slip.

CSV layout (written by ``events.export.build``), UTF-8, CRLF line ends: the line ``# <FORMAT>``, the
line ``# <base64 of the JSON of every part but "events">``, the header row of CSV_COLUMNS, then
one row per event. An empty cell is null, except in ``inclusion_proof``: ``-`` is null (not yet
covered), an empty cell the empty proof of a one-leaf tree, else hex hashes joined by ``;``.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from pathlib import Path
from typing import Any

FORMAT = "hoso-custody-export/1"
ATTACHMENT = "hoso-export.json"
CSV_COLUMNS = ("leaf_index", "position", "originator_id", "version", "topic", "state",
               "leaf_hash", "inclusion_proof", "type", "time", "actor", "office", "custodian")
NOT_COVERED = "-"
HUMAN_FIELDS = ("type", "time", "actor", "office", "custodian")


class MalformedExport(ValueError):
    """Not a hoso custody export, or unreadable as one: nothing in it could be checked."""

    code = "malformed_export"
    exit_code = 2
    http_status = 400


def load_export(path: Path | str) -> dict[str, Any]:
    """The export document in a JSON, CSV or PDF file (told apart by content, not by name)."""
    try:
        return parse_export(Path(path).read_bytes())
    except OSError as error:
        raise MalformedExport(f"cannot read {path}: {error.strerror or error}") from None


def parse_export(data: bytes) -> dict[str, Any]:
    if data.startswith(b"%PDF-"):
        data = _pdf_attachment(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedExport("an export is UTF-8 text, or a PDF") from None
    start = text.lstrip()
    if start.startswith("#"):
        return _from_csv(start)
    if not start.startswith("{"):
        raise MalformedExport("not a hoso custody export: expected JSON, CSV or PDF")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise MalformedExport(f"the export is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise MalformedExport("an export is a JSON object")
    return document


def _pdf_attachment(data: bytes) -> bytes:
    try:
        from pypdf import PdfReader
    except ImportError:
        raise MalformedExport("reading a PDF export needs pypdf (pip install pypdf)") from None
    try:
        found = PdfReader(io.BytesIO(data)).attachments.get(ATTACHMENT)
    except Exception as error:  # pypdf raises many kinds of error on a damaged file
        raise MalformedExport(f"the PDF cannot be read: {error}") from None
    if not found or len(found) > 1:
        raise MalformedExport(f"the PDF carries {len(found or [])} {ATTACHMENT} attachments, "
                              "not one")
    return found[0]


def _from_csv(text: str) -> dict[str, Any]:
    lines = io.StringIO(text, newline="")
    if lines.readline().strip() != f"# {FORMAT}":
        raise MalformedExport(f"a CSV export starts with '# {FORMAT}'")
    header = lines.readline()
    if not header.startswith("#"):
        raise MalformedExport("a CSV export's second line is '# ' and the base64 header")
    try:
        meta = json.loads(base64.b64decode(header[1:].strip(), validate=True))
    except (binascii.Error, ValueError, RecursionError) as error:
        raise MalformedExport(f"the CSV header is not base64 JSON: {error}") from None
    if not isinstance(meta, dict):
        raise MalformedExport("the CSV header is not a JSON object")
    rows = [row for row in csv.reader(lines) if row]
    if not rows or tuple(rows[0]) != CSV_COLUMNS:
        raise MalformedExport(f"the CSV columns must be {','.join(CSV_COLUMNS)}")
    return {**meta, "events": [_csv_event(n, row) for n, row in enumerate(rows[1:], 1)]}


def _csv_event(n: int, row: list[str]) -> dict[str, Any]:
    if len(row) != len(CSV_COLUMNS):
        raise MalformedExport(f"CSV row {n} has {len(row)} cells, not {len(CSV_COLUMNS)}")
    cells: dict[str, Any] = {k: (v or None) for k, v in zip(CSV_COLUMNS, row, strict=True)}
    try:
        for name in ("leaf_index", "position", "version"):
            cells[name] = None if cells[name] is None else int(cells[name])
    except ValueError:
        raise MalformedExport(f"CSV row {n}: leaf_index, position and version are "
                              "numbers") from None
    proof = row[CSV_COLUMNS.index("inclusion_proof")]
    cells["inclusion_proof"] = None if proof == NOT_COVERED else proof.split(";") if proof else []
    return cells

"""The report as a table for downloads: CSV rows and an XLSX workbook (the one xlsxwriter user).

Both hold the same table: a header of figure names, one row per group, then the totals row
named ``total``; the by-reason breakdowns are ``reason: n`` lists joined by ``; ``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]

from tracker.projections.report import BY_REASON, CHANNELS, COUNTS

COLUMNS: tuple[str, ...] = (
    *COUNTS, "received_outside_locality", "satisfaction_count", "satisfaction_mean",
    "digitisation_rate", "reuse_rate", *(f"received_{channel}" for channel in CHANNELS),
    *BY_REASON)
"""The figures of a row, in the order of the table's columns (after the group's)."""


def _cell(row: dict[str, Any], name: str) -> Any:
    if name in BY_REASON:
        return "; ".join(f"{reason}: {n}" for reason, n in row[name].items())
    if name.startswith("received_") and name[len("received_"):] in CHANNELS:
        return row["received_by_channel"][name[len("received_"):]]
    return row[name]


def csv_rows(document: dict[str, Any], by: str) -> Iterable[list[Any]]:
    """The report as rows: a header, one row per group, then the totals."""
    yield [by, *COLUMNS]
    for row in document["rows"]:
        yield [row[by], *(_cell(row, name) for name in COLUMNS)]
    yield ["total", *(_cell(document["totals"], name) for name in COLUMNS)]


def xlsx_bytes(document: dict[str, Any], by: str, period: str) -> bytes:
    """The workbook: one sheet ``report`` holding the rows of ``csv_rows``, the period in the
    first row above them."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("report")
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, ["period", period], bold)
    for number, row in enumerate(csv_rows(document, by), start=2):
        sheet.write_row(number, 0, ["" if value is None else value for value in row],
                        bold if number == 2 or row[0] == "total" else None)
    sheet.set_column(0, 0, 22)
    book.close()
    return out.getvalue()

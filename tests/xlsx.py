"""Reads back the cells of an XLSX sheet with the standard library, so the tests check the
workbook the report writes without trusting the writer's own reader."""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def sheet_rows(data: bytes, sheet: int = 1) -> list[list[str | float]]:
    """The rows of sheet ``sheet`` (1-based), each as its cells' values from column A; text
    from the shared strings, numbers as floats, empty cells as ''."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        shared = []
        if "xl/sharedStrings.xml" in book.namelist():
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in item.iter(f"{{{NS['m']}}}t"))
                      for item in root.findall("m:si", NS)]
        root = ElementTree.fromstring(book.read(f"xl/worksheets/sheet{sheet}.xml"))
    rows: list[list[str | float]] = []
    for row in root.iter(f"{{{NS['m']}}}row"):
        cells: list[str | float] = []
        for cell in row.findall("m:c", NS):
            column = _column(cell.get("r", "A1"))
            cells.extend([""] * (column - len(cells)))
            value = cell.find("m:v", NS)
            if value is None or value.text is None:
                cells.append("")
            elif cell.get("t") == "s":
                cells.append(shared[int(value.text)])
            elif cell.get("t") in ("str", "inlineStr"):
                cells.append(value.text)
            else:
                cells.append(float(value.text))
        rows.append(cells)
    return rows


def _column(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference)
    number = 0
    for letter in letters.group(0) if letters else "A":
        number = number * 26 + ord(letter) - ord("A") + 1
    return number - 1

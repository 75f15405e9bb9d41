"""The reader decodes every rough zint-made cover (Code 128, QR) and separator sheet (Code 39
PATCH T, Code 128, QR): faxed, blurred, distorted, at any rotation."""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.graphics.barcode.code39 import Standard39
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from scanning.barcodes import read_barcodes
from scanning.images import load_pages
from scanning.split import PATCH_T, is_separator
from tests.station.covers import ROUGH_SET, CoverCase, cover_page
from tests.station.separators import ROUGH_SEPARATORS, SeparatorCase, separator_page

CODE = "000.21.11.H40-260310-0042"


@pytest.mark.parametrize("case", ROUGH_SET, ids=lambda c: c.name)
def test_every_rough_cover_is_decoded(case: CoverCase, tmp_path: Path) -> None:
    # GIVEN a cover drawn by zint and degraded like a scan WHEN read
    found = read_barcodes(cover_page(CODE, case, tmp_path))
    # THEN each symbol it carries is decoded with the dossier code, and nothing else is
    assert {(b.text, b.format) for b in found} == {(CODE, f) for f in case.formats}


def test_a_page_without_a_symbol_reads_nothing(tmp_path: Path) -> None:
    page = cover_page(CODE, CoverCase(formats=()), tmp_path)
    assert read_barcodes(page) == []


@pytest.mark.parametrize("case", ROUGH_SEPARATORS, ids=lambda c: c.name)
def test_every_rough_separator_sheet_is_found(case: SeparatorCase, tmp_path: Path) -> None:
    # GIVEN a separator sheet drawn by zint, then faxed, blurred, distorted or turned
    page = separator_page(case, tmp_path)
    # WHEN read THEN its text is found, and the split takes the page for a separator
    found = read_barcodes(page)
    assert (case.text + case.check, case.format) in {(b.text, b.format) for b in found}
    assert is_separator([b.text for b in found], [PATCH_T, "TACH-HO-SO"])


def test_a_patch_t_sheet_printed_by_reportlab_separates(tmp_path: Path) -> None:
    """Another Code 39 printer: reportlab's ``Standard39`` adds the optional mod-43 check
    character unless told not to, so its PATCH T sheet reads ``PATCHT-``."""
    # GIVEN a PDF separator sheet drawn with reportlab's defaults, as a program would print it
    canvas = Canvas(str(tmp_path / "patch-t.pdf"), pagesize=A4)
    Standard39("PATCHT", barWidth=0.5 * mm, barHeight=25 * mm).drawOn(canvas, 40 * mm, 150 * mm)
    canvas.save()
    page, = load_pages(tmp_path / "patch-t.pdf")
    # WHEN read THEN the check character comes with the text, and the page still separates
    found = read_barcodes(page.pixels)
    assert [(b.text, b.format) for b in found] == [("PATCHT-", "Code39")]
    assert is_separator([b.text for b in found], [PATCH_T])

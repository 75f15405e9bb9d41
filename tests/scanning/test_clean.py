"""Clean-up on the generated corpus: pages and forms come out upright and level, blank backs are
told from near-blank pages whatever the scanner adds, and the quality gate names the reason to
rescan."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from scanning.batch import ocr_files
from scanning.clean import (
    _dots_may_chain,
    _fit_ring,
    _may_run,
    _paint,
    _seal_rings,
    clean,
    effective_dpi,
)
from scanning.images import Page, load_pages
from scanning.ocr import OcrSettings
from scanning.quality import components
from tests.scanning.corpus import (
    ADMIN_SET,
    BLANK_SET,
    FORM_SET,
    QUALITY_SET,
    TEXT_SET,
    Generated,
    PageCase,
    write_case,
)
from tests.scanning.layouts import font

Corpus = Callable[[str], Generated]


@pytest.mark.parametrize("case", TEXT_SET + ADMIN_SET, ids=lambda c: c.name)
def test_every_page_comes_out_upright_and_level(case: PageCase, generated: Corpus) -> None:
    # GIVEN a page laid on the glass turned by `turn` quarter turns and skewed by `angle`
    page, = load_pages(generated(case.name).path)
    # WHEN cleaned
    cleaned = clean(page)
    # THEN the turn is undone, the skew measured to a tenth of a degree, nothing is blank
    assert cleaned.rotation == (90 * case.turn) % 360
    assert cleaned.skew == pytest.approx(-case.angle, abs=0.15)
    assert not cleaned.blank
    # AND the black-and-white copy is mostly paper; the archive keeps the original untouched
    assert np.median(cleaned.binary) == 255
    assert cleaned.binary.shape == cleaned.reading_copy().shape == cleaned.straight.shape[:2]
    assert cleaned.page is page
    assert cleaned.page.pixels.shape == page.pixels.shape


def test_an_off_white_page_is_blank_but_one_with_a_faint_stamp_is_not(generated: Corpus) -> None:
    blank, = load_pages(generated("blank-offwhite").path)
    stamped, = load_pages(generated("blank-faint-stamp").path)
    assert clean(blank).blank
    assert not clean(stamped).blank


@pytest.mark.parametrize("case", QUALITY_SET, ids=lambda c: c.name)
def test_the_quality_gate_names_the_reason_to_rescan(case: PageCase, generated: Corpus) -> None:
    page, = load_pages(generated(case.name).path)
    codes = [note.code for note in clean(page).quality]
    # a page too faint to read may also be too faint to tell which way up it is
    assert codes in ([case.klass], [case.klass, "orientation-unsure"])


@pytest.mark.parametrize("name", ["text-300-skew-noise", "text-200-jpeg", "photocopy-300",
                                  "text-300-shadow", "notice-300"])
def test_good_scans_pass_the_gate(name: str, generated: Corpus) -> None:
    page, = load_pages(generated(name).path)
    assert clean(page).quality == []


def test_low_and_unknown_resolution_are_flagged(generated: Corpus, tmp_path: Path) -> None:
    fax, = load_pages(generated("fax-150").path)
    assert [n.code for n in clean(fax).quality] == ["low-resolution"]
    with Image.open(generated("text-200-jpeg").path) as image:
        image.save(tmp_path / "no-dpi.png")  # PNG without pHYs: resolution unknown
    bare, = load_pages(tmp_path / "no-dpi.png")
    assert [n.code for n in clean(bare).quality] == ["unknown-resolution"]


def test_a_resolution_no_paper_could_have_is_not_believed(generated: Corpus,
                                                          tmp_path: Path) -> None:
    # GIVEN a 300 dpi scan saved by a program that tags every image 72 dpi (a 34 × 49 in page)
    with Image.open(generated("text-300-clean").path) as image:
        image.convert("RGB").save(tmp_path / "tagged-72.jpg", dpi=(72, 72), quality=90)
    page, = load_pages(tmp_path / "tagged-72.jpg")
    assert page.dpi == 72.0
    # WHEN cleaned THEN it is read as the A4 sheet it fills, at its own size, and flagged so
    assert round(effective_dpi(page)) == 300
    cleaned = clean(page)
    assert (cleaned.ocr_dpi, cleaned.ocr_image.shape) == (effective_dpi(page),
                                                          page.pixels.shape[:2])
    assert [n.code for n in cleaned.quality] == ["implausible-resolution"]
    # … while a tag that fits a paper size is believed, however low (a 150 dpi fax above)
    # or high (a 600 dpi scan, which Tesseract reads better and faster reduced to 300 dpi)
    assert effective_dpi(Page(pixels=page.pixels, source="a3.png", number=1,
                              dpi=210.0)) == 210.0
    fine = Page(pixels=cv2.resize(page.pixels, None, fx=2, fy=2), source="fine.png", number=1,
                dpi=600.0)
    reduced = clean(fine)
    assert (reduced.ocr_dpi, reduced.ocr_image.shape) == (300, page.pixels.shape[:2])


def test_the_dark_border_of_an_open_lid_is_cropped(generated: Corpus) -> None:
    # GIVEN a page scanned with the lid open: black glass 120 px deep along the top and left
    page, = load_pages(generated("text-200-jpeg").path)
    pixels = cv2.copyMakeBorder(page.pixels, 120, 0, 120, 0, cv2.BORDER_CONSTANT,
                                value=(12, 12, 12))
    bordered = Page(pixels=pixels, source="lid-open.png", number=1, dpi=page.dpi)
    # WHEN cleaned
    cleaned = clean(bordered)
    # THEN the straightened copy ends where the paper does and the original is kept whole
    height, width = page.pixels.shape[:2]
    assert abs(cleaned.straight.shape[0] - height) <= 6
    assert abs(cleaned.straight.shape[1] - width) <= 6
    assert cleaned.page.pixels.shape == pixels.shape


@pytest.mark.parametrize("angle", [12.0, -14.0])
def test_deskew_reaches_fifteen_degrees(angle: float, corpus_dir: Path) -> None:
    case = PageCase(f"text-200-skew{angle:g}", dpi=200, angle=angle, noise=6, seed=51)
    page, = load_pages(write_case(case, corpus_dir).path)
    cleaned = clean(page)
    assert cleaned.rotation == 0
    assert cleaned.skew == pytest.approx(-angle, abs=0.15)


BLANK_BACKS = [c for c in BLANK_SET if c.klass in ("blank", "blank-back")]
NEAR_BLANK = [c for c in BLANK_SET if c.klass in ("stamp", "near-blank")]


@pytest.mark.parametrize("case", BLANK_BACKS, ids=lambda c: c.name)
def test_a_blank_back_is_flagged_whatever_the_scanner_adds(case: PageCase,
                                                          generated: Corpus) -> None:
    # GIVEN the blank back of a duplex scan: the lid's band at an edge, the dark frame of a
    # sheet laid askew, punch holes, dust, noise, the other side showing through
    page, = load_pages(generated(case.name).path)
    # WHEN cleaned
    cleaned = clean(page)
    # THEN it is blank, left as scanned (never turned or deskewed) and has no reading copy
    assert cleaned.blank
    assert (cleaned.rotation, cleaned.skew) == (0, 0.0)
    assert cleaned.ocr_image is None


@pytest.mark.parametrize("case", NEAR_BLANK, ids=lambda c: c.name)
def test_a_page_with_only_a_stamp_a_line_or_a_signature_is_not_blank(
        case: PageCase, generated: Corpus) -> None:
    page, = load_pages(generated(case.name).path)
    cleaned = clean(page)
    assert not cleaned.blank
    # too little text to tell which way up: kept as scanned, and the note says so
    assert (cleaned.rotation, cleaned.skew) == (0, 0.0)
    assert "orientation-unsure" in [note.code for note in cleaned.quality]


@pytest.mark.parametrize("case", FORM_SET, ids=lambda c: c.name)
def test_forms_come_out_upright_and_level(case: PageCase, generated: Corpus) -> None:
    cleaned = clean(load_pages(generated(case.name).path)[0])
    assert cleaned.rotation == (90 * case.turn) % 360
    assert cleaned.skew == pytest.approx(-case.angle, abs=0.15)
    assert not cleaned.blank
    assert "orientation-unsure" not in [note.code for note in cleaned.quality]


def test_blank_backs_are_not_read(generated: Corpus, tmp_path: Path) -> None:
    # GIVEN blank backs and a Tesseract that fails if it is ever asked to read a page
    script = tmp_path / "tesseract-must-not-run"
    script.write_text('#!/bin/sh\n[ "$1" = --version ] && exec tesseract --version\nexit 3\n')
    script.chmod(0o755)
    backs = [generated(c.name).path for c in BLANK_BACKS[:3]]
    # WHEN the OCR stage runs on them
    results = ocr_files(backs, tmp_path / "out", jobs=2,
                        settings=OcrSettings(tesseract_cmd=str(script)))
    # THEN each page is flagged blank with no text and no error, and unturned
    for result in results:
        summary, = result.pages
        assert summary.blank
        assert summary.error is None
        assert summary.rotation == 0
        text = (tmp_path / "out" / f"{result.source.stem}.txt").read_text(encoding="utf-8")
        assert text.strip() == ""



def test_a_dark_seal_ring_is_lifted_and_the_print_under_it_stays() -> None:
    # GIVEN black print at 300 dpi, and a seal's two dark rings over it (a photocopied or faxed
    # seal: no colour left to drop)
    image = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(image)
    for row in range(30):
        draw.text((250, 300 + row * 90), "Ủy ban nhân dân xã An Phú tiếp nhận hồ sơ số "
                  f"{row + 1:02d} ngày 12/04/2026", fill=0, font=font(50))
    print_only = np.asarray(image) < 128
    rings = np.zeros(print_only.shape, dtype=np.uint8)
    for radius, width in ((210, 7), (150, 4)):
        draw.ellipse((1500 - radius, 2100 - radius, 1500 + radius, 2100 + radius), outline=0,
                     width=width)
        cv2.circle(rings, (1500, 2100), radius - width // 2, 1, thickness=width)
    binary = np.where(np.asarray(image) < 128, 0, 255).astype(np.uint8)
    # WHEN the clean-up looks for seal rings on its black-and-white copy
    lifted = _seal_rings(binary, binary, 300.0) > 0
    # THEN the rings are lifted (all but specks at their edge), and of the print only what a
    # ring crosses
    assert lifted[rings > 0].mean() > 0.9
    assert (lifted & print_only).sum() <= 0.02 * print_only.sum()
    # AND a page of print alone has no ring
    plain = np.where(print_only, 0, 255).astype(np.uint8)
    assert not _seal_rings(plain, plain, 300.0).any()


def test_a_stroke_running_across_a_ring_keeps_its_ink_where_the_ring_is_lifted() -> None:
    # GIVEN a dark seal ring at 300 dpi, and a letter's upright stroke (a "T" of the signer's
    # title) running down across it
    page = np.full((3508, 2480), 255, dtype=np.uint8)
    cv2.circle(page, (1500, 2100), 210, 0, thickness=7)
    stroke = np.zeros(page.shape, dtype=bool)
    stroke[2100 - 260:2100 - 160, 1495:1506] = True
    page[stroke] = 0
    # WHEN the clean-up lifts the ring
    lifted = _seal_rings(page, page, 300.0) > 0
    # THEN the ring goes, but not where the stroke crosses it
    assert lifted[2100 + 210 - 3, 1500]
    assert not (lifted & stroke).any()


def test_a_thin_ring_is_lifted_no_wider_than_it_is() -> None:
    # GIVEN a fax's thin ring (3 px at 300 dpi) and, running along it 4 px outside, a letter's
    # crossbar (the top of a "T" of the signer's title)
    page = np.full((3508, 2480), 255, dtype=np.uint8)
    cv2.circle(page, (1500, 2100), 210, 0, thickness=3)
    bar = np.zeros(page.shape, dtype=bool)
    bar[2100 - 210 - 9:2100 - 210 - 5, 1460:1540] = True
    page[bar] = 0
    # WHEN the clean-up lifts the ring
    lifted = _seal_rings(page, page, 300.0) > 0
    # THEN the ring goes and the crossbar keeps its ink
    assert lifted[2100 + 210, 1500]
    assert lifted[2100, 1500 - 210]
    assert not (lifted & bar).any()


def test_a_seal_lighter_than_the_print_goes_by_its_tone_and_the_title_keeps_every_stroke(
        ) -> None:
    # GIVEN a photocopy's flattened grey at 300 dpi: dark print (the signer's title, two
    # lines) and, over it, a red seal come out lighter grey: two rings crossing the title,
    # lettering between them, a star in the middle
    print_layer = Image.new("L", (2480, 3508), 255)
    ImageDraw.Draw(print_layer).text((1200, 1880), "TM. ỦY BAN NHÂN DÂN", fill=40,
                                     font=font(55))
    ImageDraw.Draw(print_layer).text((1290, 1960), "KT. CHỦ TỊCH", fill=40, font=font(55))
    seal_layer = Image.new("L", print_layer.size, 255)
    draw = ImageDraw.Draw(seal_layer)
    for radius, width in ((210, 7), (150, 4)):
        draw.ellipse((1300 - radius, 2100 - radius, 1300 + radius, 2100 + radius), outline=170,
                     width=width)
    for k, letter in enumerate("NHÂNDÂN"):
        angle = np.pi * (0.9 - k / 9)
        draw.text((1300 + 180 * np.cos(angle) - 12, 2100 - 180 * np.sin(angle) - 15), letter,
                  fill=170, font=font(30))
    draw.regular_polygon((1300, 2100, 50), 5, fill=170)
    printed = np.asarray(print_layer)
    flat = np.minimum(printed, np.asarray(seal_layer))
    _, binary = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # WHEN the clean-up looks for seals
    lifted = _seal_rings(binary, flat, 300.0) > 0
    # THEN the seal's ink goes, rings, lettering and star alike
    seal_only = (np.asarray(seal_layer) < 200) & (printed == 255)
    assert lifted[seal_only].mean() > 0.95
    # AND not one dark pixel of the title, not even where a ring crosses it
    assert not (lifted & (printed < 100)).any()


def test_a_thin_ring_is_fitted_from_a_guess_a_few_pixels_out() -> None:
    # GIVEN a fax's thin ring (2 px at 200 dpi) and the coarse circle search's guess, 3 px out
    # in each direction and 2 px in radius
    ink = np.zeros((2339, 1653), dtype=np.uint8)
    cv2.circle(ink, (800, 1500), 140, 255, thickness=2)
    # WHEN the ring is fitted
    share, (x, y, radius) = _fit_ring(ink, (803.0, 1497.0, 142.0), stroke=4)
    # THEN the fit lies on the ring, where the guess mostly missed it
    angles = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    guessed = ink[(1497 + 142 * np.sin(angles)).round().astype(int),
                  (803 + 142 * np.cos(angles)).round().astype(int)].astype(bool).mean()
    assert guessed < 0.4
    assert share > 0.8
    assert abs(x - 800) <= 1.5
    assert abs(y - 1500) <= 1.5
    assert abs(radius - 140) <= 1.5


@pytest.mark.parametrize("gap_mm", [0.0, 1.0, 2.0])
def test_a_ring_alone_whole_or_in_dashes_is_still_found(gap_mm: float) -> None:
    """The circle search is skipped only on a page with no mark as large as a seal: a dark
    ring on an otherwise empty page, whole or broken by a fax into dashes up to 2 mm apart, is
    still lifted."""
    page = np.full((3508, 2480), 255, dtype=np.uint8)
    ring = np.zeros(page.shape, dtype=np.uint8)
    radius, width, dash = 210, 7, 12.0  # px at 300 dpi, dash in degrees
    # a thick arc's ends are round: each reaches half the stroke past its angle
    step = np.degrees((gap_mm / 25.4 * 300 + width) / radius) if gap_mm else 0.0
    for start in np.arange(0.0, 360.0, dash + step):
        end = min(start + dash, 360.0)
        cv2.ellipse(page, (1240, 1750), (radius, radius), 0, start, end, 0, thickness=width)
        cv2.ellipse(ring, (1240, 1750), (radius, radius), 0, start, end, 1, thickness=width)
    lifted = _seal_rings(page, page, 300.0) > 0
    assert lifted[ring > 0].mean() > 0.9


def test_a_page_with_more_marks_than_16_bit_labels_can_number_is_still_cleaned(
        generated: Corpus) -> None:
    """Components are numbered with 16-bit labels for speed; a page speckled with more marks
    than they can number (dust on the glass, a dithered copy) falls back to 32-bit labels and
    cleans like any other."""
    page, = load_pages(generated("form-ruled-300").path)
    level = clean(page)
    dusty = page.pixels.copy()
    dust = np.zeros(dusty.shape[:2], dtype=bool)
    dust[4::7, 4::7] = True
    dust &= page.pixels.min(axis=2) > 200  # on bare paper, away from the print
    dusty[dust] = 0
    cleaned = clean(Page(pixels=dusty, source=page.source, number=1, dpi=page.dpi))
    marks, *_ = cv2.connectedComponentsWithStats(cv2.bitwise_not(cleaned.binary),
                                                 connectivity=8)
    assert marks > 65_535
    assert not cleaned.blank
    assert (cleaned.rotation, round(cleaned.skew, 1)) == (level.rotation, round(level.skew, 1))


def _opening_finds(ink: np.ndarray, close: int, length: int) -> bool:
    """What the exact test finds: a horizontal run ``length`` long once gaps under ``close``
    are bridged (``_rules`` bridges 3, ``_leaders`` the leader's gap)."""
    joined = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((1, close), np.uint8))
    return cv2.countNonZero(
        cv2.morphologyEx(joined, cv2.MORPH_OPEN, np.ones((1, length), np.uint8))) > 0


def test_the_quick_look_for_a_leader_never_misses_one_the_exact_test_finds() -> None:
    """Leaders are found by painting the page's dots and opening them along rows; that is only
    done where a look at the dots' boxes says a row of them could reach a leader's length. On
    rows of dots of every pitch, size and wobble, short and long, against the page's sides, the
    look never says no where the exact test finds a leader, and it does say no to most rows too
    short or too sparse to be one."""
    rng = np.random.default_rng(11)
    gap, length, side = 18, 105, 9
    found = refused = 0
    for _ in range(400):
        ink = np.zeros((40, 320), np.uint8)
        x, y, pitch = int(rng.integers(-30, 300)), 15, int(rng.integers(3, gap + 8))
        for k in range(int(rng.integers(2, 24))):
            w, h = (int(v) for v in rng.integers(1, side + 1, 2))
            left, top = x + k * pitch, y + int(rng.integers(-3, 4))
            ink[top:top + h, max(0, left):max(0, left + w)] = 255
        _count, labels, stats, _ = components(ink)
        small = (stats[:, cv2.CC_STAT_WIDTH] <= side) & (stats[:, cv2.CC_STAT_HEIGHT] <= side)
        small[0] = False
        exact = _opening_finds(_paint(small, labels), gap, length)
        quick = _dots_may_chain(stats[small], gap, length, ink.shape[1])
        assert quick or not exact
        found += exact
        refused += not quick
    assert found > 25
    assert refused > 80


def test_the_quick_look_for_a_rule_never_misses_one_the_exact_test_finds(
        generated: Corpus) -> None:
    """Rules are found by opening the page along rows and columns; that is only done where
    solid ink sampled every few columns says a run could reach a rule's length. On strokes of
    every length about that, broken by a fax's one- and two-pixel gaps, against the page's sides
    too, the look never says no where the opening finds a rule; and on a page of running text
    it says no both ways."""
    rng = np.random.default_rng(12)
    length = 120
    found = refused = 0
    for _ in range(400):
        ink = np.zeros((30, 600), np.uint8)
        left = int(rng.integers(-60, 560))
        right = left + int(rng.integers(60, 180))
        ink[10:10 + int(rng.integers(1, 4)), max(0, left):max(0, right)] = 255
        for gap_at in rng.integers(0, 600, int(rng.integers(0, 6))):
            ink[:, gap_at:gap_at + int(rng.integers(1, 3))] = 0
        closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((1, 3), np.uint8))
        exact = _opening_finds(ink, 3, length)
        quick = _may_run(closed, length)
        assert quick or not exact
        found += exact
        refused += not quick
    assert found > 100
    assert refused > 40
    text = cv2.bitwise_not(clean(load_pages(generated("text-300-clean").path)[0]).binary)
    across = cv2.morphologyEx(text, cv2.MORPH_CLOSE, np.ones((1, 3), np.uint8))
    down = cv2.morphologyEx(text, cv2.MORPH_CLOSE, np.ones((3, 1), np.uint8))
    assert not _may_run(across, length)
    assert not _may_run(np.ascontiguousarray(down.T), length)

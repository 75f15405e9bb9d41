"""The generated scan corpus: Vietnamese pages degraded like real scans, with ground truth.

Every page is drawn by tests/scanning/layouts.py at its scan resolution, then put through what a
scanner and a counter do to paper: skew, a quarter turn or two, a scanner shadow, grey paper or
a faint photocopy, blur, noise, fax binarisation, JPEG artefacts. Seeds are fixed, so a case is
the same image on every machine; ``write_case`` caches by file name, so a session draws each once.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from tests.scanning.forms import form_page, form_table_page
from tests.scanning.layouts import (
    Sheet,
    _signature,
    notice_page,
    receipt_page,
    table_page,
    text_page,
)

LAYOUTS = {"text": text_page, "notice": notice_page, "receipt": receipt_page,
           "table": table_page, "form": form_page, "form-table": form_table_page}


@dataclass(frozen=True)
class PageCase:
    """One generated scan. ``turn`` is how the sheet lay on the glass: quarter turns
    counter-clockwise of the upright page (1 = sideways, 2 = upside down); ``angle`` a further
    skew in degrees, counter-clockwise positive. ``mono`` is a photocopier's grey (seals and
    signatures lose their colour). A ``blank`` page is ``empty``, or holds only a ``stamp``, a
    ``line`` of print or a ``signature``; ``bands`` names the edges (``l``, ``r``, ``t``, ``b``)
    where the scanner lid shows dark, ``frame`` adds the dark glass around a sheet laid askew,
    ``holes`` two punch holes, ``show`` text from the other side showing through (its contrast
    as a share of black) and ``speckle`` dark specks of dust."""

    name: str
    layout: str = "text"
    dpi: int = 300
    turn: int = 0
    angle: float = 0.0
    blur: float = 0.0
    noise: float = 0.0
    jpeg: int | None = None
    shadow: bool = False
    paper: int = 255
    faint: float = 0.0
    fax: bool = False
    mono: bool = False
    blank: str = ""
    bands: str = ""
    frame: bool = False
    holes: bool = False
    show: float = 0.0
    speckle: int = 0
    seed: int = 1
    klass: str = field(default="")

    @property
    def page_class(self) -> str:
        return self.klass or self.layout

    @property
    def file_name(self) -> str:
        return f"{self.name}.{'jpg' if self.jpeg else 'png'}"


# The degraded text pages (one page class each), then the administrative layouts.
TEXT_SET = [
    PageCase("text-300-clean", dpi=300, angle=0.6, seed=11, klass="text-300"),
    PageCase("text-300-skew-noise", dpi=300, angle=-4.5, noise=10, seed=12, klass="text-300"),
    PageCase("text-200-skew-blur", dpi=200, angle=2.7, blur=0.8, noise=8, seed=13,
             klass="text-200"),
    PageCase("text-200-jpeg", dpi=200, angle=-1.8, jpeg=45, noise=6, seed=14, klass="text-200"),
    PageCase("text-200-upside-down", dpi=200, turn=2, angle=1.2, noise=8, seed=15,
             klass="upside-down"),
    PageCase("text-300-upside-down", dpi=300, turn=2, angle=-3.0, jpeg=60, seed=16,
             klass="upside-down"),
    PageCase("text-200-sideways", dpi=200, turn=1, angle=-2.2, noise=8, seed=17,
             klass="sideways"),
    PageCase("text-300-sideways", dpi=300, turn=3, angle=4.8, blur=0.7, seed=18,
             klass="sideways"),
    PageCase("text-300-shadow", dpi=300, angle=-2.5, shadow=True, noise=6, seed=19,
             klass="shadow"),
]
ADMIN_SET = [
    PageCase("notice-300", layout="notice", dpi=300, angle=1.5, noise=6, seed=21),
    PageCase("notice-200", layout="notice", dpi=200, angle=-2.0, noise=6, jpeg=70, seed=22),
    PageCase("receipt-300", layout="receipt", dpi=300, angle=-1.0, noise=6, seed=23),
    PageCase("photocopy-300", dpi=300, angle=2.0, paper=185, faint=0.45, noise=8, seed=24,
             klass="photocopy"),
    PageCase("fax-150", dpi=150, angle=-1.5, fax=True, seed=25, klass="fax"),
    PageCase("table-sideways-300", layout="table", dpi=300, turn=1, angle=1.0, noise=6, seed=26),
    PageCase("table-sideways-200", layout="table", dpi=200, turn=3, angle=-1.5, noise=6,
             seed=27),
]
# Forms as printed and scanned: tight ruled tables, seal over the signature, photocopied (grey,
# faint), faxed, and a landscape register laid sideways.
FORM_SET = [
    PageCase("form-ruled-300", layout="form", dpi=300, angle=-1.2, noise=6, seed=61,
             klass="form-ruled"),
    PageCase("form-seal-200", layout="form", dpi=200, angle=2.2, noise=7, jpeg=75, seed=62,
             klass="form-seal"),
    PageCase("form-photocopy-300", layout="form", dpi=300, angle=1.4, mono=True, paper=200,
             faint=0.5, blur=0.6, noise=8, seed=63, klass="form-photocopy"),
    PageCase("form-fax-150", layout="form", dpi=150, angle=-0.8, fax=True, seed=64,
             klass="form-fax"),
    PageCase("form-landscape-200", layout="form-table", dpi=200, turn=1, angle=-1.3, noise=6,
             seed=65, klass="form-landscape"),
]
# Backs of duplex scans that are blank (flagged, never read) and near-blank pages that are not.
BLANK_SET = [
    PageCase("blank-offwhite", dpi=200, paper=236, noise=7, jpeg=70, blank="empty", seed=31,
             klass="blank"),
    PageCase("blank-faint-stamp", dpi=200, paper=236, noise=7, jpeg=70, blank="stamp", seed=32,
             klass="stamp"),
    PageCase("blank-back-band-left-200", dpi=200, blank="empty", bands="l", speckle=300,
             noise=7, jpeg=70, seed=33, klass="blank-back"),
    PageCase("blank-back-band-right-300", dpi=300, blank="empty", bands="r", show=0.07,
             speckle=200, noise=6, seed=34, klass="blank-back"),
    PageCase("blank-back-bands-tb-200", dpi=200, blank="empty", bands="tb", holes=True,
             paper=240, noise=8, seed=35, klass="blank-back"),
    PageCase("blank-back-frame-300", dpi=300, blank="empty", frame=True, angle=1.5, holes=True,
             show=0.08, speckle=400, noise=6, jpeg=80, seed=36, klass="blank-back"),
    PageCase("near-blank-line-200", dpi=200, blank="line", bands="b", speckle=200, noise=7,
             seed=37, klass="near-blank"),
    PageCase("near-blank-signature-300", dpi=300, blank="signature", bands="l", show=0.06,
             noise=6, seed=38, klass="near-blank"),
]

# Pages the quality gate must send back, each for one reason (and readable text pages not).
QUALITY_SET = [
    PageCase("gate-blurred", dpi=300, blur=3.0, noise=4, seed=41, klass="blurred"),
    PageCase("gate-dark", dpi=300, paper=95, noise=4, seed=42, klass="too-dark"),
    PageCase("gate-light", dpi=300, faint=0.18, noise=3, seed=43, klass="too-light"),
]
# One page of each class: what the test suite reads with Tesseract (bench/ocr.py reads all).
OCR_TEST_SET = ["text-300-skew-noise", "text-200-skew-blur", "text-200-upside-down",
                "text-200-sideways", "text-300-shadow", "notice-200", "receipt-300",
                "photocopy-300", "fax-150", "table-sideways-200"]


@dataclass(frozen=True)
class Generated:
    """A case written to disk with its ground truth (printed lines in reading order)."""

    case: PageCase
    path: Path
    truth: list[str]

    @property
    def truth_text(self) -> str:
        return "\n".join(self.truth)


def render(case: PageCase) -> tuple[np.ndarray, list[str]]:
    """The scanned page (BGR) and its ground truth."""
    if case.blank:
        image, truth = _near_blank(case)
    else:
        image, truth = LAYOUTS[case.layout](case.dpi, case.seed)
    page = np.ascontiguousarray(np.asarray(image)[:, :, ::-1])
    rng = np.random.default_rng(case.seed)
    if case.blank == "stamp":
        page = _faint_stamp(page, case.dpi)
    if case.show:
        page = _show_through(page, case)
    if case.holes:
        page = _punch_holes(page, case.dpi)
    if case.mono:
        page = cv2.cvtColor(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    if case.faint:
        page = cv2.convertScaleAbs(page, alpha=case.faint, beta=255 * (1 - case.faint))
    if case.paper != 255:
        page = cv2.convertScaleAbs(page, alpha=case.paper / 255)
    if case.turn:
        page = np.ascontiguousarray(np.rot90(page, case.turn))
    if case.frame:
        page = _framed(page, case.dpi)
    if case.angle:
        page = _skew(page, case.angle, 45 if case.frame else case.paper)
    if case.bands:
        page = _bands(page, case.bands, case.dpi, rng)
    if case.speckle:
        page = _speckle(page, case.speckle, rng)
    if case.shadow:
        page = _shadow(page)
    if case.blur:
        page = cv2.GaussianBlur(page, (0, 0), case.blur)
    if case.noise:
        page = _noisy(page, case.noise, rng)
    if case.fax:
        grey = _noisy(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY), 25, rng)
        page = cv2.cvtColor(np.where(grey < 150, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    if case.jpeg:
        _, data = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, case.jpeg])
        page = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return page, truth


def write_case(case: PageCase, directory: Path) -> Generated:
    """``case`` as an image file in ``directory`` carrying its dpi; drawn only once."""
    path = directory / case.file_name
    truth_path = directory / f"{case.name}.truth.txt"
    if not (path.exists() and truth_path.exists()):
        # Written under a temporary name and renamed: test workers may share the directory.
        page, truth = render(case)
        partial = directory / f".{os.getpid()}.{path.name}"
        Image.fromarray(page[:, :, ::-1]).save(partial, format="JPEG" if case.jpeg else "PNG",
                                               dpi=(case.dpi, case.dpi),
                                               **({"quality": case.jpeg} if case.jpeg
                                                  else {"compress_level": 1}))
        os.replace(partial, path)
        partial_truth = directory / f".{os.getpid()}.{truth_path.name}"
        partial_truth.write_text("\n".join(truth), encoding="utf-8")
        os.replace(partial_truth, truth_path)
    text = truth_path.read_text(encoding="utf-8")
    return Generated(case=case, path=path, truth=text.split("\n") if text else [])


def _noisy(page: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian sensor noise, drawn by OpenCV (seeded from ``rng``): numpy takes a second for
    a 300 dpi page, OpenCV a tenth of that."""
    cv2.setRNGSeed(int(rng.integers(1 << 30)))
    noise = np.empty(page.shape, np.int16)
    cv2.randn(noise, 0, sigma)
    return np.clip(page.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def _skew(page: np.ndarray, angle: float, paper: int) -> np.ndarray:
    """Lay the sheet askew on a glass of the same size (corners cut, paper-coloured fill)."""
    height, width = page.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return cv2.warpAffine(page, matrix, (width, height), flags=cv2.INTER_LINEAR,
                          borderValue=(paper, paper, paper))


def _shadow(page: np.ndarray) -> np.ndarray:
    """The dark band a lifted page or the lid edge throws along the left side."""
    width = page.shape[1]
    band = int(width * 0.08)
    ramp = np.ones(width, np.float32)
    ramp[:band] = np.linspace(0.12, 1.0, band) ** 0.7
    return cv2.multiply(page.astype(np.float32), np.broadcast_to(
        ramp[None, :, None], page.shape).astype(np.float32), dtype=cv2.CV_8U)


def _faint_stamp(page: np.ndarray, dpi: int) -> np.ndarray:
    """A light violet 'ĐÃ SCAN' box stamp, some 25 grey levels under the paper."""
    stamp = np.full_like(page, 255)
    x, y = int(5.2 * dpi), int(1.0 * dpi)
    cv2.rectangle(stamp, (x, y), (x + int(2.2 * dpi), y + int(0.8 * dpi)), (225, 215, 232),
                  max(2, dpi // 60))
    cv2.putText(stamp, "DA SCAN 10/03/2026", (x + dpi // 10, y + dpi // 2),
                cv2.FONT_HERSHEY_SIMPLEX, dpi / 250, (225, 215, 232), max(2, dpi // 80))
    return np.minimum(page, stamp)


def _near_blank(case: PageCase) -> tuple[Image.Image, list[str]]:
    """An empty sheet, or one holding only a single printed line or a signature."""
    sheet = Sheet(case.dpi)
    if case.blank == "line":
        sheet.text(sheet.margin, 1.6 * case.dpi, "Trang này để trống theo quy định.", 13)
    elif case.blank == "signature":
        _signature(sheet, 4.6 * case.dpi, 2.0 * case.dpi, 2.2 * case.dpi,
                   random.Random(case.seed))
    return sheet.image, sheet.lines


def _show_through(page: np.ndarray, case: PageCase) -> np.ndarray:
    """The other side's print seen through the paper: mirrored, soft and faint."""
    other, _ = text_page(case.dpi, case.seed + 100)
    grey = np.ascontiguousarray(cv2.cvtColor(np.asarray(other), cv2.COLOR_RGB2GRAY)[:, ::-1])
    grey = cv2.GaussianBlur(grey, (0, 0), case.dpi / 120)
    ghost = cv2.convertScaleAbs(grey, alpha=case.show, beta=255 * (1 - case.show))
    return np.minimum(page, cv2.cvtColor(ghost, cv2.COLOR_GRAY2BGR))


def _punch_holes(page: np.ndarray, dpi: int) -> np.ndarray:
    """Two 6 mm holes 12 mm in from the left edge, 80 mm apart: the dark lid seen through."""
    out = page.copy()
    height = page.shape[0]
    radius, x = round(3 / 25.4 * dpi), round(12 / 25.4 * dpi)
    for y in (height // 2 - round(40 / 25.4 * dpi), height // 2 + round(40 / 25.4 * dpi)):
        cv2.circle(out, (x, y), radius, (38, 38, 38), -1, lineType=cv2.LINE_AA)
    return out


def _framed(page: np.ndarray, dpi: int) -> np.ndarray:
    """The sheet a little smaller than the glass: a dark frame 4 mm wide all round."""
    inset = round(4 / 25.4 * dpi)
    out = np.full_like(page, 45)
    out[inset:-inset, inset:-inset] = page[inset:-inset, inset:-inset]
    return out


def _bands(page: np.ndarray, edges: str, dpi: int, rng: np.random.Generator) -> np.ndarray:
    """Dark bands where the lid shows along ``edges``, 5-12 mm deep, fading into the paper."""
    out = page.astype(np.float32)
    for edge in edges:
        depth = round(float(rng.uniform(5, 12)) / 25.4 * dpi)
        fade = round(2 / 25.4 * dpi)
        ramp = np.concatenate([np.full(depth, 0.15, np.float32),
                               np.linspace(0.15, 1.0, fade, dtype=np.float32)])
        view = {"l": out, "r": out[:, ::-1], "t": out.transpose(1, 0, 2),
                "b": out[::-1].transpose(1, 0, 2)}[edge]
        view[:, :len(ramp)] *= ramp[None, :, None]
    return np.clip(out, 0, 255).astype(np.uint8)


def _speckle(page: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Dust on the glass: ``count`` dark specks of 1-3 pixels."""
    out = page.copy()
    height, width = page.shape[:2]
    for _ in range(count):
        y, x, size = int(rng.integers(height)), int(rng.integers(width)), int(rng.integers(1, 4))
        out[y:y + size, x:x + size] = int(rng.integers(20, 120))
    return out

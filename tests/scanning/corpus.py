"""The generated scan corpus: Vietnamese pages degraded like real scans, with ground truth.

Every page is drawn by tests/scanning/layouts.py at its scan resolution, then put through what a
scanner and a counter do to paper: skew, a quarter turn or two, a scanner shadow, grey paper or
a faint photocopy, blur, noise, fax binarisation, JPEG artefacts. Seeds are fixed, so a case is
the same image on every machine; ``write_case`` caches by file name, so a session draws each once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from tests.scanning.layouts import notice_page, receipt_page, table_page, text_page

LAYOUTS = {"text": text_page, "notice": notice_page, "receipt": receipt_page,
           "table": table_page}


@dataclass(frozen=True)
class PageCase:
    """One generated scan. ``turn`` is how the sheet lay on the glass: quarter turns
    counter-clockwise of the upright page (1 = sideways, 2 = upside down); ``angle`` a further
    skew in degrees, counter-clockwise positive."""

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
    blank: str = ""
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
BLANK_SET = [
    PageCase("blank-offwhite", dpi=200, paper=236, noise=7, jpeg=70, blank="empty", seed=31,
             klass="blank"),
    PageCase("blank-faint-stamp", dpi=200, paper=236, noise=7, jpeg=70, blank="stamp", seed=32,
             klass="stamp"),
]


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
        image = Image.new("RGB", (round(8.27 * case.dpi), round(11.69 * case.dpi)), "white")
        truth: list[str] = []
    else:
        image, truth = LAYOUTS[case.layout](case.dpi, case.seed)
    page = np.ascontiguousarray(np.asarray(image)[:, :, ::-1])
    rng = np.random.default_rng(case.seed)
    if case.blank == "stamp":
        page = _faint_stamp(page, case.dpi)
    if case.faint:
        page = (255 - (255 - page.astype(np.float32)) * case.faint).astype(np.uint8)
    page = (page.astype(np.float32) * (case.paper / 255)).astype(np.uint8)
    if case.turn:
        page = np.ascontiguousarray(np.rot90(page, case.turn))
    if case.angle:
        page = _skew(page, case.angle, case.paper)
    if case.shadow:
        page = _shadow(page)
    if case.blur:
        page = cv2.GaussianBlur(page, (0, 0), case.blur)
    if case.noise:
        noisy = page + rng.normal(0, case.noise, page.shape)
        page = np.clip(noisy, 0, 255).astype(np.uint8)
    if case.fax:
        grey = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
        grey = np.where(grey + rng.normal(0, 25, grey.shape) < 150, 0, 255).astype(np.uint8)
        page = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    if case.jpeg:
        _, data = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, case.jpeg])
        page = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return page, truth


def write_case(case: PageCase, directory: Path) -> Generated:
    """``case`` as an image file in ``directory`` carrying its dpi; drawn only once."""
    path = directory / case.file_name
    truth_path = directory / f"{case.name}.truth.txt"
    if not (path.exists() and truth_path.exists()):
        page, truth = render(case)
        Image.fromarray(page[:, :, ::-1]).save(path, dpi=(case.dpi, case.dpi),
                                               **({"quality": case.jpeg} if case.jpeg else {}))
        truth_path.write_text("\n".join(truth), encoding="utf-8")
    text = truth_path.read_text(encoding="utf-8")
    return Generated(case=case, path=path, truth=text.split("\n") if text else [])


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
    return (page.astype(np.float32) * ramp[None, :, None]).astype(np.uint8)


def _faint_stamp(page: np.ndarray, dpi: int) -> np.ndarray:
    """A light violet 'ĐÃ SCAN' box stamp, some 25 grey levels under the paper."""
    stamp = np.full_like(page, 255)
    x, y = int(5.2 * dpi), int(1.0 * dpi)
    cv2.rectangle(stamp, (x, y), (x + int(2.2 * dpi), y + int(0.8 * dpi)), (225, 215, 232),
                  max(2, dpi // 60))
    cv2.putText(stamp, "DA SCAN 10/03/2026", (x + dpi // 10, y + dpi // 2),
                cv2.FONT_HERSHEY_SIMPLEX, dpi / 250, (225, 215, 232), max(2, dpi // 80))
    return np.minimum(page, stamp)

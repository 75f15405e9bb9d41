"""Safe page loading: image files (and PDF pages) become pixel arrays or a ``BadPage`` naming them.

Every check happens before pixels are decoded in full: the header's size is compared with
``MAX_PIXELS`` (a decompression bomb is refused without allocating it), then the whole file is
decoded so a truncated JPEG or PNG fails here and not half-way through clean-up. PDF pages are
rasterised by poppler's ``pdftoppm`` at ``PDF_DPI``.
"""

from __future__ import annotations

import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageSequence
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from scanning.errors import BadPage

# A4 at 600 dpi is 35 Mpx; a legal-size page at 600 dpi 40 Mpx. Anything above this is no scan.
MAX_PIXELS = 60_000_000
MAX_PAGES_PER_FILE = 500
PDF_DPI = 300
PDFTOPPM_TIMEOUT = 120.0


@dataclass(frozen=True, eq=False)
class Page:
    """One scanned page: BGR ``uint8`` pixels, where it came from, and its resolution if known.

    ``number`` is 1-based within ``source``. ``dpi`` is ``None`` when the file does not say; the
    quality gate then asks the operator to check the scanner settings.
    """

    pixels: np.ndarray
    source: str
    number: int
    dpi: float | None

    @property
    def label(self) -> str:
        """``file`` or ``file page N``: how an operator finds the page again."""
        return self.source if self.number == 1 else f"{self.source} page {self.number}"


def load_pages(path: Path | str) -> list[Page]:
    """Every page of an image file (PNG, JPEG, TIFF incl. multi-page, anything Pillow reads) or
    PDF, in file order. Raises ``BadPage`` naming the file when it cannot be a scan."""
    path = Path(path)
    name = path.name
    try:
        with path.open("rb") as file:
            head = file.read(8)
    except OSError as error:
        raise BadPage(name, f"cannot be read ({error.strerror or error})") from error
    if not head:
        raise BadPage(name, "the file is empty (0 bytes)")
    if head.startswith(b"%PDF"):
        return _pdf_pages(path)
    return _image_pages(path)


def _image_pages(path: Path) -> list[Page]:
    name = path.name
    pages: list[Page] = []
    try:
        with warnings.catch_warnings():
            # Pillow warns (then errors) on its own bomb limit; ours is checked explicitly.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
                    if number > MAX_PAGES_PER_FILE:
                        raise BadPage(name, f"more than {MAX_PAGES_PER_FILE} pages")
                    _refuse_bomb(name, frame.size)
                    frame.load()
                    pages.append(Page(pixels=_bgr(frame), source=name, number=number,
                                      dpi=_dpi(frame)))
    except BadPage:
        raise
    except Image.DecompressionBombError as error:
        raise BadPage(name, f"too many pixels to be a page scan ({error})") from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        kind = "not an image Pillow can read" if "cannot identify" in str(error) else \
            f"corrupt or truncated image ({error})"
        raise BadPage(name, kind) from error
    return pages


def _refuse_bomb(name: str, size: tuple[int, int]) -> None:
    width, height = size
    if width * height > MAX_PIXELS:
        raise BadPage(name, f"{width}×{height} pixels is more than a page scan can be "
                            f"(limit {MAX_PIXELS:,}); refused as a possible decompression bomb")
    if width < 16 or height < 16:
        raise BadPage(name, f"{width}×{height} pixels is too small to be a page")


def _dpi(image: Image.Image) -> float | None:
    dpi = image.info.get("dpi")
    if not dpi:
        return None
    try:
        value = float(dpi[0])
    except (TypeError, ValueError, IndexError):
        return None
    # JFIF "no units" says 1. PNG stores pixels per metre, so 200 dpi reads back 199.9994.
    return float(round(value)) if value >= 50 else None


def _bgr(image: Image.Image) -> np.ndarray:
    rgb = np.asarray(image.convert("RGB"))
    return np.ascontiguousarray(rgb[:, :, ::-1])


def _pdf_pages(path: Path) -> list[Page]:
    name = path.name
    _refuse_pdf_bomb(path)
    with tempfile.TemporaryDirectory(prefix="hoso-pdf-") as tmp:
        prefix = Path(tmp) / "page"
        try:
            done = subprocess.run(
                ["pdftoppm", "-r", str(PDF_DPI), "-png", "-l", str(MAX_PAGES_PER_FILE),
                 str(path), str(prefix)],
                capture_output=True, timeout=PDFTOPPM_TIMEOUT, check=False)
        except subprocess.TimeoutExpired as error:
            raise BadPage(name, "the PDF took too long to rasterise") from error
        files = sorted(Path(tmp).glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
        if done.returncode != 0 or not files:
            detail = done.stderr.decode(errors="replace").strip().splitlines()
            raise BadPage(name, "corrupt PDF" + (f" ({detail[0]})" if detail else ""))
        pages = []
        for number, file in enumerate(files, start=1):
            with Image.open(file) as image:
                image.load()
                pages.append(Page(pixels=_bgr(image), source=name, number=number,
                                  dpi=float(PDF_DPI)))
        return pages


def _refuse_pdf_bomb(path: Path) -> None:
    """Page sizes come from the PDF's page tree, so a poster-sized page is refused unrendered."""
    try:
        reader = PdfReader(path)
        boxes = [page.mediabox for page in reader.pages[:MAX_PAGES_PER_FILE]]
    except (PyPdfError, OSError, ValueError, KeyError) as error:
        raise BadPage(path.name, f"corrupt PDF ({error})") from error
    for box in boxes:
        pixels = (float(box.width) / 72 * PDF_DPI, float(box.height) / 72 * PDF_DPI)
        _refuse_bomb(path.name, (int(pixels[0]), int(pixels[1])))

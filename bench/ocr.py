"""OCR throughput (pages/min) and accuracy (CER) of hoso against OCRmyPDF and the bare-Tesseract
limit, on the generated scan corpus, all in one run.

The set is tests/scanning/corpus.py's degraded text pages and administrative layouts (skewed up
to ±5°, noisy, blurred, JPEG, 150-300 dpi, upside down and sideways, shadowed, faint, seal and
signature, ruled tables), drawn once before any timing. Three readers, each with two cores:

- **hoso**: ``scanning.batch.ocr_files`` with ``--jobs`` workers, the files as scanned; load,
  clean-up, orientation, OCR, text and searchable PDF all timed.
- **ocrmypdf**: ``ocrmypdf --jobs 2 --rotate-pages --deskew -l vie`` on one PDF of the same
  pages (one image a page at its dpi, built before timing), its defaults otherwise, text from
  ``--sidecar``.
- **limit**: bare ``tesseract IMG - -l vie`` with ``OMP_THREAD_LIMIT=1``, two at a time, on the
  pages already turned and deskewed by their known rotation and skew (geometry for free).

CER is order-free: both texts' words are sorted before the Levenshtein distance, so the reading
order of a two-column header or a table (which tools legitimately differ on) is not counted as
misreading; it is summed per page class and overall. Word recall per class is printed too, and
how many of hoso's PDFs give back the OCR text exactly through ``pdftotext``.
hoso and the limit run ``--rounds`` times each in palindromic order around OCRmyPDF's one run
(other work on a shared machine drifts; their mean times then centre on the same moment).
Blank backs (the lid's band, frame, holes, dust, show-through) are in the mixed batch: their
truth is empty, so they count in pages/min and not in CER; ``cer_by_page`` gives the characters
each reader put on them, and ``blank_vs_text_page`` hoso's mean seconds on a blank back over a
page of text (clean-up and OCR, from its summaries). Targets (2 cores): hoso ≥ 0.9× the limit's
pages/min and ≥ 1.6× ocrmypdf's; CER ≤ 0.2 % overall and ≤ 1 % on every class; word recall
≥ 99 % on every form class and ≥ OCRmyPDF's; a blank back ≤ 0.1× a page of text.

Usage, from the repository root:
    .venv/bin/python bench/ocr.py [--pages N] [--jobs 2] [--rounds 2] [--skip-ocrmypdf]
One JSON document goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path; the repository root holds the
# scanning package and the corpus generator in tests/, which is not installed.
ROOT = Path(__file__).resolve().parents[1]
sys.path[:1] = [str(ROOT)]

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from scanning.batch import ocr_files  # noqa: E402
from tests.scanning.corpus import (  # noqa: E402
    ADMIN_SET,
    BLANK_SET,
    FORM_SET,
    TEXT_SET,
    Generated,
    PageCase,
    write_case,
)
from tests.scanning.measure import collapse, edit_distance, word_recall, words  # noqa: E402

# Cheapest first, so ``--pages 2`` (the test suite's run) stays quick.
ORDER = ["fax-150", "table-sideways-200"]
BLANK_BACKS = [c for c in BLANK_SET if c.klass == "blank-back"]
CASES = sorted(TEXT_SET + ADMIN_SET + FORM_SET + BLANK_BACKS,
               key=lambda c: (c.name not in ORDER, ORDER.index(c.name) if c.name in ORDER else 0))


def sorted_words(text: str) -> str:
    return " ".join(sorted(words(text).elements()))


def score(pages: list[Generated], texts: list[str]) -> dict[str, Any]:
    """Order-free CER overall and per class, and word recall per class."""
    edits: dict[str, int] = defaultdict(int)
    chars: dict[str, int] = defaultdict(int)
    found: dict[str, float] = defaultdict(float)
    total: dict[str, int] = defaultdict(int)
    per_page = {}
    for page, text in zip(pages, texts, strict=True):
        if not page.truth:  # a blank back: its cost is measured, its text must be empty
            per_page[page.case.name] = len(collapse(text))
            continue
        truth = sorted_words(page.truth_text)
        distance = edit_distance(truth, sorted_words(text))
        klass = page.case.page_class
        edits[klass] += distance
        chars[klass] += len(truth)
        count = sum(words(page.truth_text).values())
        found[klass] += word_recall(page.truth_text, text) * count
        total[klass] += count
        per_page[page.case.name] = round(distance / max(1, len(truth)), 5)
    return {
        "cer": round(sum(edits.values()) / max(1, sum(chars.values())), 5),
        "cer_by_class": {k: round(edits[k] / max(1, chars[k]), 5) for k in sorted(edits)},
        "word_recall_by_class": {k: round(found[k] / max(1, total[k]), 5) for k in sorted(found)},
        "cer_by_page": per_page,
    }


PAGE_SECONDS: dict[str, list[float]] = defaultdict(list)


def run_hoso(pages: list[Generated], out: Path, jobs: int) -> tuple[float, list[str]]:
    started = time.perf_counter()
    results = ocr_files([p.path for p in pages], out, jobs)
    seconds = time.perf_counter() - started
    for page, result in zip(pages, results, strict=True):
        PAGE_SECONDS["blank" if not page.truth else "text"] += [s.seconds for s in result.pages]
    return seconds, [(out / f"{p.path.stem}.txt").read_text(encoding="utf-8") for p in pages]


def text_layers_equal(pages: list[Generated], out: Path) -> str:
    """How many of hoso's PDFs give back, through ``pdftotext``, exactly the OCR text (NFC,
    whitespace collapsed): ``"equal/pages"``."""
    equal = 0
    for page in pages:
        layer = subprocess.run(["pdftotext", "-enc", "UTF-8", str(out / f"{page.path.stem}.pdf"),
                                "-"], capture_output=True, text=True, check=True).stdout
        text = (out / f"{page.path.stem}.txt").read_text(encoding="utf-8")
        equal += collapse(layer) == collapse(text)
    return f"{equal}/{len(pages)}"


def run_ocrmypdf(pages: list[Generated], work: Path) -> tuple[float, list[str]]:
    work.mkdir()
    source = work / "ocrmypdf-in.pdf"
    canvas = Canvas(str(source))
    for page in pages:
        with Image.open(page.path) as image:
            width, height = image.size
        size = (width * 72 / page.case.dpi, height * 72 / page.case.dpi)
        canvas.setPageSize(size)
        canvas.drawImage(str(page.path), 0, 0, *size)
        canvas.showPage()
    canvas.save()
    sidecar = work / "ocrmypdf.txt"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ocrmypdf", "--jobs", "2", "--rotate-pages",
                    "--deskew", "-l", "vie", "--sidecar", str(sidecar), str(source),
                    str(work / "ocrmypdf-out.pdf")], check=True, capture_output=True)
    seconds = time.perf_counter() - started
    texts = sidecar.read_text(encoding="utf-8").split("\f")
    return seconds, (texts + [""] * len(pages))[:len(pages)]


def straightened(page: Generated, folder: Path) -> Path:
    """The page with its known geometry undone: the turn, then the skew (as generated)."""
    case: PageCase = page.case
    image = cv2.imread(str(page.path), cv2.IMREAD_COLOR)
    if case.angle:
        height, width = image.shape[:2]
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), -case.angle, 1.0)
        image = cv2.warpAffine(image, matrix, (width, height), borderValue=(255, 255, 255))
    if case.turn:
        image = np.ascontiguousarray(np.rot90(image, -case.turn))
    path = folder / f"{case.name}.png"
    Image.fromarray(image[:, :, ::-1]).save(path, dpi=(case.dpi, case.dpi), compress_level=1)
    return path


def run_limit(pages: list[Generated], folder: Path) -> tuple[float, list[str]]:
    folder.mkdir()
    images = [straightened(page, folder) for page in pages]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def read(image: Path) -> str:
        return subprocess.run(["tesseract", str(image), "-", "-l", "vie"], env=env, check=True,
                              capture_output=True, text=True).stdout

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        texts = list(pool.map(read, images))
    return time.perf_counter() - started, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=len(CASES),
                        help=f"how many corpus pages (of {len(CASES)}, cheapest first)")
    parser.add_argument("--jobs", type=int, default=2, help="hoso's worker processes")
    parser.add_argument("--rounds", type=int, default=2,
                        help="runs of hoso and of the limit each, in palindromic order")
    parser.add_argument("--skip-ocrmypdf", action="store_true",
                        help="leave OCRmyPDF out (its ratio is then absent)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hoso-bench-ocr-") as tmp:
        work = Path(tmp)
        (work / "corpus").mkdir()
        pages = [write_case(case, work / "corpus") for case in CASES[:args.pages]]
        results: dict[str, dict[str, Any]] = {}
        # Palindromic order (hoso, limit, [ocrmypdf,] limit, hoso): the other work on the
        # machine drifts, and each reader's runs then centre on the same moment.
        order = ["hoso", "limit"] * args.rounds
        order = order[:2] + (["ocrmypdf"] if not args.skip_ocrmypdf else []) + order[2:][::-1]
        runs = {"hoso": lambda out: run_hoso(pages, out, args.jobs),
                "limit": lambda out: run_limit(pages, out),
                "ocrmypdf": lambda out: run_ocrmypdf(pages, out)}
        seconds: dict[str, float] = defaultdict(float)
        texts: dict[str, list[str]] = {}
        for index, name in enumerate(order):
            took, texts[name] = runs[name](work / f"{index}-{name}")
            seconds[name] += took
        for name, total in seconds.items():
            each = total / order.count(name)
            results[name] = {"seconds": round(each, 2), "runs": order.count(name),
                             "pages_per_min": round(len(pages) / each * 60, 2),
                             **score(pages, texts[name])}
        last_hoso = max(i for i, name in enumerate(order) if name == "hoso")
        results["hoso"]["pdf_text_layer_equal"] = text_layers_equal(
            pages, work / f"{last_hoso}-hoso")
    hoso = results["hoso"]["pages_per_min"]
    ratios = {"hoso_vs_limit": round(hoso / results["limit"]["pages_per_min"], 3)}
    if "ocrmypdf" in results:
        ratios["hoso_vs_ocrmypdf"] = round(hoso / results["ocrmypdf"]["pages_per_min"], 3)
    forms = [k for k in results["hoso"]["word_recall_by_class"] if k.startswith("form")]
    blank_cost = (sum(PAGE_SECONDS["blank"]) / max(1, len(PAGE_SECONDS["blank"]))) / max(
        1e-9, sum(PAGE_SECONDS["text"]) / max(1, len(PAGE_SECONDS["text"])))
    ratios["blank_vs_text_page"] = round(blank_cost, 3)
    targets = {"hoso_vs_ocrmypdf": 1.6, "hoso_vs_limit": 0.9, "cer": 0.002,
               "cer_by_class": 0.01, "form_recall": 0.99, "blank_vs_text_page": 0.1}
    met = {"hoso_vs_limit": ratios["hoso_vs_limit"] >= targets["hoso_vs_limit"],
           "cer": results["hoso"]["cer"] <= targets["cer"],
           "cer_by_class": all(v <= targets["cer_by_class"]
                               for v in results["hoso"]["cer_by_class"].values())}
    recall = results["hoso"]["word_recall_by_class"]
    met["form_recall"] = all(recall[k] >= targets["form_recall"] for k in forms)
    met["blank_vs_text_page"] = blank_cost <= targets["blank_vs_text_page"]
    met["blank_backs_empty"] = all(results["hoso"]["cer_by_page"][c.name] == 0
                                   for c in BLANK_BACKS if c.name in results["hoso"]["cer_by_page"])
    if "hoso_vs_ocrmypdf" in ratios:
        met["hoso_vs_ocrmypdf"] = ratios["hoso_vs_ocrmypdf"] >= targets["hoso_vs_ocrmypdf"]
        theirs = results["ocrmypdf"]["word_recall_by_class"]
        met["form_recall_vs_ocrmypdf"] = all(recall[k] >= theirs[k] for k in forms)
    print(json.dumps({
        "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
        "benchmark": "ocr", "pages": len(pages), "pages_by_class": _classes(pages),
        "results": results, "ratios": ratios, "targets": targets, "met": met,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average_1min": round(os.getloadavg()[0], 2)},
    }, ensure_ascii=False, indent=2))


def _classes(pages: list[Generated]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for page in pages:
        counts[page.case.page_class] += 1
    return dict(counts)


if __name__ == "__main__":
    main()

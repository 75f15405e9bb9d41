"""OCR with Tesseract through pytesseract: the one module that imports pytesseract.

One worker process per core, each running one single-threaded Tesseract at a time
(``OMP_THREAD_LIMIT=1``: with OpenMP threads on, one page took 4× longer on 2 cores). A page
gets a wall-clock ``timeout``; pytesseract kills a Tesseract that outlives it and the page is
reported with ``error`` set, never waited on forever. Text, words and confidence come from one
TSV run (two on a form, whose unsure words are read again: scanning.second_look); text is NFC so
Vietnamese compares and searches the same whatever produced it, and syllables Tesseract ran
together are parted again (scanning.syllables).
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import tempfile
import time
import unicodedata
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytesseract
from PIL import Image

from scanning.clean import CleanPage, one_thread_per_process
from scanning.second_look import better_reading, stack, unsure
from scanning.syllables import part_words
from scanning.words import Word

# Tesseract's Vietnamese model alone: on the generated corpus ``vie+eng`` lost diacritics
# ("Văn" read "Van") and table words, ~1 point of word recall (docs/DESIGN-NOTES.md).
LANGUAGES = "vie"
DEFAULT_TIMEOUT = 120.0
_WORKER_CONTEXT = multiprocessing.get_context("forkserver")
_WORKER_CONTEXT.set_forkserver_preload([__name__])
# Below this mean confidence the page is read again turned 180°: an upside-down page read the
# wrong way scores far lower (40-60, figures included) than the worst page read right (~88).
FLIP_CONFIDENCE = 75.0
# ...but only when the turned reading finds this many words: a few words (a stamp, a signature
# read as letters) are no evidence of which way up a page is.
FLIP_MIN_WORDS = 10


@dataclass(frozen=True)
class PageText:
    """What Tesseract read on one page.

    ``quarter_turns`` says how many further clockwise quarter turns the page needed after
    clean-up (2 when the second opinion found it upside down). ``error`` is set, and the text
    empty, when the page could not be read (e.g. the timeout).
    """

    label: str
    text: str
    confidence: float
    words: tuple[Word, ...] = ()
    seconds: float = 0.0
    quarter_turns: int = 0
    error: str | None = None
    lines: tuple[tuple[int, int, int, int], ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "text": self.text, "confidence": self.confidence,
                "seconds": self.seconds, "quarter_turns": self.quarter_turns,
                "error": self.error,
                "words": [[w.text, w.left, w.top, w.width, w.height, w.confidence, w.line]
                          for w in self.words]}


@dataclass(frozen=True)
class OcrSettings:
    """How to run Tesseract: languages, per-page timeout, and which program (tests point it at
    a program that hangs)."""

    languages: str = LANGUAGES
    timeout: float = DEFAULT_TIMEOUT
    tesseract_cmd: str = "tesseract"


def init_worker(settings: OcrSettings) -> None:
    """Worker process set-up: Tesseract and OpenCV single-threaded, the configured program."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    one_thread_per_process()
    pytesseract.pytesseract.tesseract_cmd = settings.tesseract_cmd


def worker_pool(jobs: int, settings: OcrSettings) -> ProcessPoolExecutor:
    """``jobs`` worker processes (one per core is right: each runs one Tesseract).

    Workers are forked from a forkserver, a single-threaded process started once with this
    module imported, never from the caller: the station's upload route runs in one of
    waitress's threads, and a process forked from a threaded one inherits whatever locks the
    other threads held at that instant. The forkserver keeps forking cheap (numpy, OpenCV and
    pytesseract are imported once, in it) where spawning would import them per worker.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    return ProcessPoolExecutor(max_workers=jobs, mp_context=_WORKER_CONTEXT,
                               initializer=init_worker, initargs=(settings,))


def ocr_pages(images: Sequence[tuple[str, np.ndarray]], jobs: int,
              settings: OcrSettings | None = None,
              dpis: Sequence[float] | None = None) -> list[PageText]:
    """OCR each ``(label, image)`` in a pool of ``jobs`` processes; results in order. The
    image is a ``CleanPage.ocr_image`` (its ``binary`` reads 1-2 points worse on 150-200 dpi
    pages); ``dpis``, one per page (``CleanPage.ocr_dpi``), helps Tesseract's layout analysis."""
    settings = settings or OcrSettings()
    resolutions = list(dpis) if dpis is not None else [None] * len(images)
    with worker_pool(jobs, settings) as pool:
        futures = [pool.submit(read_page, label, image, settings, dpi)
                   for (label, image), dpi in zip(images, resolutions, strict=True)]
        return [future.result() for future in futures]


def read_clean(page: CleanPage, settings: OcrSettings, second_look: bool = True) -> PageText:
    """OCR a cleaned page as clean-up left it: its reading copy at its dpi, a form's unsure
    words read again. A blank page is not read: its text is empty."""
    if page.blank:
        return PageText(label=page.page.label, text="", confidence=0.0)
    return read_page(page.page.label, page.reading_copy(), settings, page.ocr_dpi,
                     second_look=second_look, reread_unsure=page.reread_unsure)


def read_page(label: str, image: np.ndarray, settings: OcrSettings,
              dpi: float | None = None, second_look: bool = True,
              reread_unsure: bool = False) -> PageText:
    """OCR one page in this process; a page read with low confidence gets a second look at
    180° unless ``second_look`` is False (a person said which way up it is). ``dpi`` is told
    to Tesseract (the PGM it is handed carries none). With ``reread_unsure``
    (``CleanPage.reread_unsure``: a form) the words read unsurely are read again one by one
    (scanning.second_look)."""
    started = time.monotonic()
    try:
        first = _tesseract(label, image, settings, dpi, reread_unsure)
        if second_look and (first.confidence < FLIP_CONFIDENCE or not first.words):
            flipped = _tesseract(label, np.ascontiguousarray(image[::-1, ::-1]), settings, dpi,
                                 reread_unsure)
            if (flipped.confidence > first.confidence + 10
                    and len(flipped.words) >= FLIP_MIN_WORDS):
                first = PageText(label=label, text=flipped.text, confidence=flipped.confidence,
                                 words=flipped.words, quarter_turns=2, lines=flipped.lines)
    except pytesseract.TesseractError as error:
        return PageText(label=label, text="", confidence=0.0,
                        seconds=round(time.monotonic() - started, 3),
                        error=f"Tesseract failed: {error.message or error.status}")
    except RuntimeError as error:
        if "timeout" not in str(error).lower():
            raise
        return PageText(label=label, text="", confidence=0.0,
                        seconds=round(time.monotonic() - started, 3),
                        error=f"Tesseract did not finish within {settings.timeout:g} s; "
                              "stopped")
    return PageText(label=label, text=first.text, confidence=first.confidence,
                    words=first.words, seconds=round(time.monotonic() - started, 3),
                    quarter_turns=first.quarter_turns, lines=first.lines)


_version_answered: set[str] = set()  # the programs that answered --version in this process


def _ask_version_first(settings: OcrSettings) -> None:
    """pytesseract asks ``tesseract --version`` once per process with no timeout, so a program
    that hangs there would hold the worker for ever: ask first, with the page timeout (a
    RuntimeError naming the timeout, which the page reports like any other)."""
    if settings.tesseract_cmd in _version_answered:
        return
    try:
        subprocess.run([settings.tesseract_cmd, "--version"], capture_output=True,
                       timeout=settings.timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"Tesseract timeout: {settings.tesseract_cmd} --version did not "
                           f"answer within {settings.timeout:g} s") from error
    _version_answered.add(settings.tesseract_cmd)


def _tesseract(label: str, image: np.ndarray, settings: OcrSettings,
               dpi: float | None, reread_unsure: bool) -> PageText:
    data = _run(image, settings, f"--psm 3 --dpi {round(dpi)}" if dpi else "--psm 3")
    words: list[Word] = []
    line_keys: dict[tuple[int, int, int], int] = {}
    for i, text, confidence in _read_words(data):
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        words.append(Word(text=text, left=int(data["left"][i]), top=int(data["top"][i]),
                          width=int(data["width"][i]), height=int(data["height"][i]),
                          confidence=confidence, line=line_keys.setdefault(key, len(line_keys))))
    if reread_unsure:
        words = _looked_again(image, words, settings, dpi)
    if "vie" in settings.languages.split("+"):
        words = [part for word in words for part in _parted(word)]
    lines: list[list[Word]] = [[] for _ in line_keys]
    for word in words:
        lines[word.line].append(word)
    text = "\n".join(" ".join(w.text for w in line) for line in lines)
    confidence = round(sum(w.confidence for w in words) / len(words), 2) if words else 0.0
    return PageText(label=label, text=text, confidence=confidence, words=tuple(words),
                    lines=tuple(_box(line) for line in lines))


def _run(image: np.ndarray, settings: OcrSettings, config: str) -> dict[str, list[Any]]:
    """Tesseract's TSV for ``image``, within the page timeout."""
    _ask_version_first(settings)
    # Handed over as an uncompressed PGM file: pytesseract would otherwise spend ~0.15 s a page
    # compressing a PNG that Tesseract then decompresses.
    with tempfile.TemporaryDirectory(prefix="hoso-ocr-") as folder:
        path = Path(folder) / "page.pgm"
        Image.fromarray(image).save(path)
        data: dict[str, list[Any]] = pytesseract.image_to_data(
            str(path), lang=settings.languages, config=config, timeout=settings.timeout,
            output_type=pytesseract.Output.DICT)
    return data


def _read_words(data: dict[str, list[Any]]) -> Iterator[tuple[int, str, float]]:
    """Each word of a TSV: its row, its text (NFC, trimmed) and its confidence."""
    for i, raw in enumerate(data["text"]):
        text = unicodedata.normalize("NFC", str(raw)).strip()
        confidence = float(data["conf"][i])
        if data["level"][i] == 5 and text and confidence >= 0:
            yield i, text, confidence


def _looked_again(image: np.ndarray, words: list[Word], settings: OcrSettings,
                  dpi: float | None) -> list[Word]:
    """``words`` with the unsure ones read again on their own (scanning.second_look), in one
    more Tesseract run of the page's timeout."""
    chosen = unsure(words)
    if not chosen:
        return words
    pile = stack(image, [words[i] for i in chosen])
    data = _run(pile.image, settings, f"--psm 6 --dpi {round(dpi)}" if dpi else "--psm 6")
    readings: dict[int, list[tuple[str, float]]] = {}
    for i, text, confidence in _read_words(data):
        band = pile.band_of(int(data["top"][i]), int(data["height"][i]))
        if band is not None:
            readings.setdefault(band, []).append((text, confidence))
    looked = list(words)
    for band, i in enumerate(chosen):
        better = better_reading(words[i], readings.get(band, []))
        if better is not None:
            looked[i] = replace(words[i], text=better[0], confidence=better[1])
    return looked


def _parted(word: Word) -> list[Word]:
    """``word`` as the syllables Tesseract ran together (scanning.syllables), the box shared
    out by letters."""
    texts = part_words(word.text)
    if len(texts) == 1:
        return [word]
    letters = sum(len(text) for text in texts)
    parted, done = [], 0
    for text in texts:
        left = word.left + word.width * done // letters
        done += len(text)
        right = word.left + word.width * done // letters
        parted.append(replace(word, text=text, left=left, width=right - left))
    return parted


def _box(words: list[Word]) -> tuple[int, int, int, int]:
    left = min(w.left for w in words)
    top = min(w.top for w in words)
    right = max(w.left + w.width for w in words)
    bottom = max(w.top + w.height for w in words)
    return left, top, right - left, bottom - top

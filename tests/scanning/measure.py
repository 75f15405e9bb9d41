"""How well a page was read: character error rate and order-free word recall against truth."""

from __future__ import annotations

import unicodedata
from collections import Counter

import numpy as np

PUNCTUATION = ".,;:!?()[]\"'“”‘’-–…"


def collapse(text: str) -> str:
    """NFC with every run of whitespace made one space: how the acceptance compares texts."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, one numpy row at a time."""
    if not a:
        return len(b)
    if not b:
        return len(a)
    codes_b = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    index = np.arange(len(b) + 1, dtype=np.int64)
    previous = index.copy()
    for i, code in enumerate(np.frombuffer(a.encode("utf-32-le"), dtype=np.uint32), start=1):
        cost = (codes_b != code).astype(np.int64)
        current = np.empty_like(previous)
        current[0] = i
        current[1:] = np.minimum(previous[1:] + 1, previous[:-1] + cost)
        current = np.minimum.accumulate(current - index) + index
        previous = current
    return int(previous[-1])


def cer(truth: str, read: str) -> float:
    """Character error rate of ``read`` against ``truth``, both collapsed."""
    truth, read = collapse(truth), collapse(read)
    return edit_distance(truth, read) / max(1, len(truth))


def words(text: str) -> Counter[str]:
    found = (w.strip(PUNCTUATION) for w in collapse(text).split())
    return Counter(w for w in found if w)


def word_recall(truth: str, read: str) -> float:
    """Share of the truth's words found in ``read``, each as often as printed, in any order."""
    expected = words(truth)
    total = sum(expected.values())
    return sum((expected & words(read)).values()) / total if total else 1.0

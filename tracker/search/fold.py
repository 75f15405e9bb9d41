"""Folds Vietnamese text for accent-insensitive search: "Nguyễn Văn Đức" → "nguyen van duc".

Each character folds to exactly one character (its base letter, lower-cased; đ/Đ → d), so a
position in the folded text is the same position in the NFC original: matches are found in the
folded copy and snippets cut from the original, diacritics intact.

A word is a run of letters and digits; anything else, ``_`` included, separates words, so
``10/03/2026`` is the words 10, 03 and 2026 and a dossier code the words of its parts. The index
stores ``indexed_words`` and a query asks for ``query_terms``: both come from ``WORD`` here, so
every backend sees the same words whatever its own tokenizer makes of punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=4096)
def fold_char(char: str) -> str:
    if char in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", char)[0]
    lower = base.lower()
    return lower if len(lower) == 1 else base


def fold(text: str) -> str:
    """The folded copy of ``text`` (NFC first), the same length as its NFC form."""
    return "".join(fold_char(c) for c in unicodedata.normalize("NFC", text))


def indexed_words(text: str) -> str:
    """The words of ``text`` as the index stores them: folded, separated by single spaces."""
    return " ".join(WORD.findall(fold(text)))


def query_terms(query: str) -> list[str]:
    """The folded words of a search query, each once, in order."""
    return list(dict.fromkeys(WORD.findall(fold(query))))


def snippet(text: str, terms: list[str], width: int = 120) -> str:
    """A window of the NFC ``text`` around the first place its folded copy has the terms
    closest together, with each matched word marked «like this»."""
    original = unicodedata.normalize("NFC", text)
    folded = fold(original)
    spans = [(m.start(), m.end()) for m in WORD.finditer(folded) if m.group() in terms]
    if not spans:
        return " ".join(original[:width].split())
    start = max(0, spans[0][0] - width // 3)
    end = min(len(original), start + width)
    pieces, cursor = [], start
    for left, right in spans:
        if left < start or right > end:
            continue
        pieces += [original[cursor:left], "«", original[left:right], "»"]
        cursor = right
    pieces.append(original[cursor:end])
    body = " ".join("".join(pieces).split())
    return ("…" if start > 0 else "") + body + ("…" if end < len(original) else "")

"""The search index port and the rows it keeps: one per Digitised scan, found by dossier code.

Rows live beside the events in the same database and are written after the Digitised event is
stored; ``hoso search --reindex`` rebuilds them from the events and the OCR objects, so a crash
between the two loses nothing that cannot be rebuilt. Tables are created only by ``hoso init``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from tracker.search.fold import indexed_words, query_terms, snippet


@dataclass(frozen=True)
class ScanText:
    """The OCR text of one scan of a dossier, as indexed."""

    code: str
    office: str
    scan: str  # the OCR object's key (or the event id): one row per scan
    text: str

    @property
    def words(self) -> str:
        """What the index matches: the folded words, space-separated (``fold.indexed_words``)."""
        return indexed_words(self.text)


@dataclass(frozen=True)
class Hit:
    code: str
    office: str
    snippet: str


class StoredScan(NamedTuple):
    """A row as the index holds it: ``words`` is the folded text it matches on."""

    code: str
    scan: str
    office: str
    text: str
    words: str


class SearchIndex(Protocol):
    def create_tables(self) -> None:
        """Run the DDL (only ``hoso init`` calls this)."""

    def add(self, row: ScanText) -> None:
        """Index a scan's text; adding the same scan again replaces its row."""

    def clear(self) -> None:
        """Remove every row (before a rebuild)."""

    def matching(self, terms: list[str], office: str | None, limit: int
                 ) -> list[tuple[str, str, str]]:
        """(code, office, text) of scans whose words have every term, best first."""

    def rows(self, codes: Sequence[str] | None = None) -> list[StoredScan]:
        """Every row as stored (only those of ``codes`` when given), by code and scan; a row
        stored twice is listed twice."""


def search(index: SearchIndex, query: str, office: str | None = None, limit: int = 20
           ) -> list[Hit]:
    """Dossiers whose scans contain every word of ``query``, accents and case ignored, each
    once with a snippet of its best-matching scan."""
    terms = query_terms(query)
    if not terms:
        return []
    hits: dict[str, Hit] = {}
    for code, row_office, text in index.matching(terms, office, limit * 4):
        if code not in hits:
            hits[code] = Hit(code=code, office=row_office, snippet=snippet(text, terms))
        if len(hits) == limit:
            break
    return list(hits.values())


def ocr_text(document: bytes) -> str:
    """The text of a stored OCR object: the station's JSON (``{"pages": [{"text"}…]}``) or, for
    scans recorded by hand with ``hoso digitise --ocr-text``, plain UTF-8 text."""
    try:
        parsed = json.loads(document)
    except ValueError:
        return document.decode("utf-8", errors="replace")
    if isinstance(parsed, dict) and isinstance(parsed.get("pages"), list):
        return "\n\n".join(str(page.get("text", "")) for page in parsed["pages"]
                           if isinstance(page, dict))
    return document.decode("utf-8", errors="replace")

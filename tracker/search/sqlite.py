"""The search index in the SQLite event store's file: an FTS5 table over the folded text."""

from __future__ import annotations

from collections.abc import Sequence

from eventsourcing.sqlite import SQLiteDatastore

from tracker.search.index import ScanText, StoredScan

CREATE = ("CREATE VIRTUAL TABLE IF NOT EXISTS dossier_text USING fts5("
          "folded, code UNINDEXED, office UNINDEXED, scan UNINDEXED, text UNINDEXED, "
          "tokenize='unicode61 remove_diacritics 0')")
DELETE_SCAN = "DELETE FROM dossier_text WHERE scan = ? AND code = ?"
INSERT = "INSERT INTO dossier_text (folded, code, office, scan, text) VALUES (?, ?, ?, ?, ?)"
DELETE_ALL = "DELETE FROM dossier_text"
ROWS = "SELECT code, scan, office, text, folded FROM dossier_text"
IN_CHUNK = 500  # well under SQLite's limit on bound parameters
SELECT = ("SELECT code, office, text FROM dossier_text WHERE dossier_text MATCH ? "
          "AND (? IS NULL OR office = ?) ORDER BY bm25(dossier_text) LIMIT ?")


class SQLiteSearchIndex:
    """FTS5 with the ``unicode61`` tokenizer over the words hoso folded and split (so the same
    words serve SQLite and PostgreSQL); the original text is kept unindexed for snippets."""

    def __init__(self, datastore: SQLiteDatastore) -> None:
        self.datastore = datastore

    def create_tables(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(CREATE)

    def add(self, row: ScanText) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(DELETE_SCAN, (row.scan, row.code))
            c.execute(INSERT, (row.words, row.code, row.office, row.scan, row.text))

    def clear(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(DELETE_ALL)

    def matching(self, terms: list[str], office: str | None, limit: int
                 ) -> list[tuple[str, str, str]]:
        # Each term is quoted as an FTS5 string, so no query syntax can be injected.
        match = " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)
        with self.datastore.transaction(commit=False) as c:
            c.execute(SELECT, (match, office, office, limit))
            return [(r[0], r[1], r[2]) for r in c.fetchall()]

    def rows(self, codes: Sequence[str] | None = None) -> list[StoredScan]:
        chunks = [tuple(codes[i:i + IN_CHUNK]) for i in range(0, len(codes), IN_CHUNK)
                  ] if codes is not None else []
        queries = [(ROWS, ())] if codes is None else [
            (f"{ROWS} WHERE code IN ({', '.join('?' * len(chunk))})", chunk) for chunk in chunks]
        found: list[StoredScan] = []
        with self.datastore.transaction(commit=False) as c:
            for sql, params in queries:
                c.execute(sql, params)
                found += [StoredScan(*r) for r in c.fetchall()]
        return sorted(found, key=lambda r: (str(r.code), str(r.scan)))

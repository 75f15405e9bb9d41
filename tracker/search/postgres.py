"""The search index in the PostgreSQL event store's schema: a 'simple' tsvector over hoso's words.

``unaccent`` is an extension hoso cannot count on being installed; folding in Python and
indexing with the 'simple' configuration (no stemming, no stop words: right for names) gives the
same matches as on SQLite. The ``folded`` column holds the words hoso split (``fold.WORD``), one
space apart, not the folded text: PostgreSQL's parser would keep ``10/03/2026``, ``12.5`` or
``000.21.11`` as one token that the query's words never match. Rows stored as folded text, with
that punctuation in them, are rebuilt as words by ``hoso search --reindex``. A GIN index serves
the ``@@`` queries.
"""

from __future__ import annotations

from collections.abc import Sequence

from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier

from tracker.search.index import ScanText, StoredScan

TABLE = "dossier_text"


class PostgresSearchIndex:
    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore
        self.table = (Identifier(datastore.schema), Identifier(TABLE))

    def create_tables(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(SQL(
                "CREATE TABLE IF NOT EXISTS {}.{} ("
                "code text NOT NULL, scan text NOT NULL, office text NOT NULL, "
                "text text NOT NULL, folded text NOT NULL, "
                "tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', folded)) STORED, "
                "PRIMARY KEY (code, scan))").format(*self.table))
            c.execute(SQL("CREATE INDEX IF NOT EXISTS {} ON {}.{} USING gin (tsv)").format(
                Identifier(f"{TABLE}_tsv"), *self.table))

    def add(self, row: ScanText) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(SQL(
                "INSERT INTO {}.{} (code, scan, office, text, folded) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (code, scan) DO UPDATE SET "
                "office = EXCLUDED.office, text = EXCLUDED.text, folded = EXCLUDED.folded"
            ).format(*self.table), (row.code, row.scan, row.office, row.text, row.words))

    def clear(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(SQL("DELETE FROM {}.{}").format(*self.table))

    def matching(self, terms: list[str], office: str | None, limit: int
                 ) -> list[tuple[str, str, str]]:
        # terms are folded letters and digits: joined with & they form a tsquery of plain words
        query = " & ".join(terms)
        with self.datastore.transaction(commit=False) as c:
            c.execute(SQL(
                "SELECT code, office, text FROM {}.{} WHERE tsv @@ to_tsquery('simple', %s) "
                "AND (%s::text IS NULL OR office = %s) "
                "ORDER BY ts_rank(tsv, to_tsquery('simple', %s)) DESC, code LIMIT %s"
            ).format(*self.table), (query, office, office, query, limit))
            return [(r["code"], r["office"], r["text"]) for r in c.fetchall()]

    def rows(self, codes: Sequence[str] | None = None) -> list[StoredScan]:
        where = SQL("") if codes is None else SQL(" WHERE code = ANY(%s)")
        with self.datastore.transaction(commit=False) as c:
            c.execute(SQL("SELECT code, scan, office, text, folded FROM {}.{}{} "
                          "ORDER BY code, scan").format(*self.table, where),
                      () if codes is None else (list(codes),))
            return [StoredScan(r["code"], r["scan"], r["office"], r["text"], r["folded"])
                    for r in c.fetchall()]

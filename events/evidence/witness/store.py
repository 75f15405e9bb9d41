"""Where the log keeps its witnesses' cosignatures: a table beside the checkpoints, and files.

``<events>_cosignatures`` holds one row per checkpoint size and witness (``name+keyid``): the
cosignature line as the witness sent it. The checkpoint folder holds the same line as a file
``<checkpoint file stem>.<witness name>+<key id>.cosignature`` beside the checkpoint it signs, so
an inspector with the folder alone has both. A line is only ever added, never replaced: a second
cosignature of the same checkpoint by the same witness (a resubmission) is equally valid and the
first is kept. The SQLite table is here, the PostgreSQL one in ``store_postgres`` (psycopg loaded
only there); the composition root picks one, like the relay positions.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from eventsourcing.sqlite import SQLiteApplicationRecorder

from events.evidence.checkpoints import SUFFIX, file_name
from events.evidence.notes import Checkpoint
from events.store.leaves import checkpoints_table
from storage.durable import fsync_directory

COSIGNATURE_SUFFIX = ".cosignature"
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")


def cosignatures_table(events_table_name: str) -> str:
    return f"{events_table_name}_cosignatures"


class CosignatureStore(Protocol):
    """The cosignatures kept in the event store's database, and its newest checkpoint."""

    def create_table(self) -> None: ...

    def add(self, tree_size: int, witness: str, line: str) -> None:
        """Keep ``line`` (committed) unless ``witness`` already has one for ``tree_size``."""

    def lines_for(self, tree_size: int) -> list[str]:
        """Every kept cosignature line of the checkpoint of ``tree_size`` leaves."""

    def newest_by(self, witness: str) -> int | None:
        """The largest checkpoint size ``witness`` cosigned, None if it never did."""

    def latest_checkpoint(self) -> str | None:
        """The signed note of the checkpoint with the largest size, None before the first."""


class SQLiteCosignatures:
    def __init__(self, recorder: SQLiteApplicationRecorder) -> None:
        self.datastore = recorder.datastore
        table = cosignatures_table(recorder.events_table_name)
        notes = checkpoints_table(recorder.events_table_name)
        self.create_statement = (f"CREATE TABLE IF NOT EXISTS {table} (tree_size INTEGER NOT "
                                 "NULL, witness TEXT NOT NULL, line TEXT NOT NULL, "
                                 "PRIMARY KEY (tree_size, witness))")
        self.insert_statement = (f"INSERT OR IGNORE INTO {table} (tree_size, witness, line) "
                                 "VALUES (?, ?, ?)")
        self.select_statement = f"SELECT line FROM {table} WHERE tree_size = ? ORDER BY witness"
        self.newest_statement = f"SELECT MAX(tree_size) FROM {table} WHERE witness = ?"
        self.latest_statement = f"SELECT note FROM {notes} ORDER BY tree_size DESC LIMIT 1"

    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(self.create_statement)

    def add(self, tree_size: int, witness: str, line: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(self.insert_statement, (tree_size, witness, line))

    def lines_for(self, tree_size: int) -> list[str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_statement, (tree_size,))
            return [str(row[0]) for row in c.fetchall()]

    def newest_by(self, witness: str) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.newest_statement, (witness,))
            row = c.fetchone()
            return None if row is None or row[0] is None else int(row[0])

    def latest_checkpoint(self) -> str | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.latest_statement)
            row = c.fetchone()
            return None if row is None else str(row[0])


class CosignatureDirectory:
    """Cosignature lines as files beside the checkpoint files (HOSO_CHECKPOINT_DIR)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @staticmethod
    def _stem(checkpoint: Checkpoint) -> str:
        return file_name(checkpoint).removesuffix(SUFFIX)

    def write(self, checkpoint: Checkpoint, witness: str, line: str) -> Path:
        """Keep ``line`` for ``checkpoint`` (fsynced); an existing file for the same witness
        and checkpoint is left as it is."""
        final = self.path / f"{self._stem(checkpoint)}.{_UNSAFE.sub('_', witness)}" \
                            f"{COSIGNATURE_SUFFIX}"
        if final.exists():
            return final
        self.path.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self.path, prefix=".", suffix=".partial")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(line.encode("utf-8"))
                out.flush()
                os.fchmod(out.fileno(), 0o644)
                os.fsync(out.fileno())
            try:
                os.link(temp, final)  # never replaces a file another process wrote first
            except FileExistsError:
                pass
            except OSError:
                if not final.exists():
                    os.rename(temp, final)
        finally:
            Path(temp).unlink(missing_ok=True)
        fsync_directory(self.path)
        return final

    def lines_for(self, checkpoint: Checkpoint) -> list[str]:
        """The kept lines of ``checkpoint``'s cosignatures (bytes as written)."""
        if not self.path.is_dir():
            return []
        found = sorted(self.path.glob(f"{self._stem(checkpoint)}.*{COSIGNATURE_SUFFIX}"))
        return [p.read_bytes().decode("utf-8", errors="surrogateescape") for p in found]

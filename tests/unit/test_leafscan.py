"""events.store._leafscan, the C hot loop of audit verify, against its definitions: leaves as
events.evidence.records hashes them (over a sample with every edge of the encoding), Merkle pairs as
hashlib does, and the SQLite range scan's verdict on a real file, clean and each way a range is
not."""

from __future__ import annotations

import hashlib
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from events.evidence.records import record_leaf_hash
from events.store._leafscan import hash_pairs, scan_sqlite

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
Record = tuple[int, str, int, str, bytes]  # position, originator id, version, topic, state
ALPHABET = "abcxyz0189-_.:đồhsơthủtụcẢỹ😀"  # ASCII, Vietnamese (2-3 bytes) and a 4-byte emoji


def text(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(size))


def leaf(record: Record) -> bytes:
    return record_leaf_hash(*record)


# ---- the record encoding -------------------------------------------------------------------


def random_records(seed: int = 6962, count: int = 400) -> list[Record]:
    """Records with every edge the encoding has, then random ones (fixed seed)."""
    rng = random.Random(seed)
    records: list[Record] = [
        (0, "a", 0, "", b""),
        (-1, "", -1, "t", b"\x00"),
        (INT64_MAX, uuid.UUID(int=1).hex, INT64_MAX, "x" * 255, bytes(255)),
        (INT64_MIN, "b", INT64_MIN, "y" * 256, bytes(256)),
        (9, "c" * 256, 1, "đồ " * 100, rng.randbytes(65_536)),
        (10, "d" * 70_000, 2, "Ả" * 30_000, rng.randbytes(65_537)),
        (11, text(rng, 300), 3, text(rng, 40), rng.randbytes(1_000_000)),
    ]
    for _ in range(count):
        position = rng.choice([rng.randrange(1_000_000), rng.randrange(INT64_MIN, INT64_MAX)])
        version = rng.choice([1, rng.randrange(1_000), rng.randrange(INT64_MIN, INT64_MAX)])
        oid = rng.choice([uuid.UUID(int=rng.getrandbits(128)).hex, text(rng, rng.randrange(40))])
        topic = rng.choice(["", "tracker.domain.dossier:Dossier.Received",
                            text(rng, rng.randrange(1, 400))])
        size = rng.choice([0, 1, 255, 256, 257, 450, 65_535, 65_536, 65_537, rng.randrange(5_000)])
        records.append((position, oid, version, topic, rng.randbytes(size)))
    return records


RECORDS = random_records()


def test_the_sample_holds_every_edge_of_the_encoding() -> None:
    fields = [(r[1].encode(), r[3].encode(), r[4]) for r in RECORDS]
    assert {0, -1, INT64_MIN, INT64_MAX} <= {r[0] for r in RECORDS}
    assert any(r[0] < -1 for r in RECORDS)
    for i in range(3):  # each of id, topic and state: empty, >= 256 and > 65,536 bytes
        sizes = [len(f[i]) for f in fields]
        assert 0 in sizes
        assert any(256 <= s <= 65_536 for s in sizes)
        assert any(s > 65_536 for s in sizes)
    assert any(len(r[3].encode()) > len(r[3]) for r in RECORDS)  # non-ASCII topics


def test_scanned_leaves_equal_record_leaf_hash(tmp_path: Path) -> None:
    """GIVEN the sample stored as the SQLite recorder stores events (one per position, the
    positions in order, leaves from record_leaf_hash) THEN the C scan finds every leaf it
    recomputes equal: the C encoding is the reference one at every edge."""
    by_key = {(r[1], r[2]): r for r in RECORDS}  # the table's primary key
    records = sorted({r[0]: r for r in by_key.values()}.values())
    path = tmp_path / "sample.sqlite"
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE events (originator_id TEXT, originator_version INTEGER, "
                     "topic TEXT, state BLOB, leaf_index INTEGER, leaf_hash BLOB, "
                     "PRIMARY KEY (originator_id, originator_version))")
        conn.executemany("INSERT INTO events (rowid, originator_id, originator_version, topic, "
                         "state, leaf_index, leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [(*r, i, leaf(r)) for i, r in enumerate(records)])
    clean, first, last, hashes = scan_sqlite(
        str(path), "SELECT rowid, originator_id, originator_version, topic, state, leaf_index, "
        "leaf_hash FROM events WHERE rowid >= ?1 ORDER BY rowid", (INT64_MIN,), 0, len(records))
    assert (clean, first, last) == (True, INT64_MIN, INT64_MAX)
    assert hashes == b"".join(map(leaf, records))
    assert len(records) > 300


# ---- hash_pairs ----------------------------------------------------------------------------


@pytest.mark.parametrize("pairs", [0, 1, 3, 1000])
@pytest.mark.parametrize("as_buffer", [bytes, bytearray, memoryview])
def test_hash_pairs_equal_hashlib(pairs: int, as_buffer: Callable[[bytes], object]) -> None:
    level = random.Random(pairs).randbytes(64 * pairs)
    expected = b"".join(hashlib.sha256(b"\x01" + level[i:i + 64]).digest()
                        for i in range(0, len(level), 64))
    assert hash_pairs(as_buffer(level)) == expected  # type: ignore[arg-type]
    assert len(expected) == 32 * pairs


@pytest.mark.parametrize("size", [1, 32, 63, 65, 96, 64 * 1000 + 32])
def test_hash_pairs_refuse_a_level_of_broken_pairs(size: int) -> None:
    with pytest.raises(ValueError, match=rf"multiple of 64 bytes, got {size}"):
        hash_pairs(bytes(size))


def test_hash_pairs_refuse_text() -> None:
    with pytest.raises(TypeError):
        hash_pairs("x" * 64)  # type: ignore[arg-type]


# ---- scan_sqlite ---------------------------------------------------------------------------

SIZE = 60
SCHEMA = ("CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
          "topic TEXT, state BLOB, leaf_index INTEGER, leaf_hash BLOB, "
          "PRIMARY KEY (originator_id, originator_version))")
COLUMNS = "originator_id, originator_version, topic, state"
BY_LEAF = (f"SELECT rowid, {COLUMNS}, leaf_index, leaf_hash FROM stored_events "
           "WHERE leaf_index >= ?1 AND leaf_index < ?2 ORDER BY leaf_index")
BY_ROWID = (f"SELECT rowid, {COLUMNS}, leaf_index, leaf_hash FROM stored_events "
            "WHERE rowid >= ?1 AND rowid < ?2 ORDER BY rowid")
ASCII_ROW, EMPTY_ROW, LARGE_ROW = 7, 3, 4  # leaf indices of rows with those states


def make_store(path: Path, journal_mode: str = "wal") -> list[Record]:
    """A store of SIZE events with their leaves, positions 100, 103, 106…, closed again."""
    rng = random.Random(1)
    records: list[Record] = []
    for i in range(SIZE):
        state = rng.randbytes(rng.randrange(1, 900))
        if i == ASCII_ROW:
            state = b'{"holder": "pl-rcv-003"}'
        elif i == EMPTY_ROW:
            state = b""
        elif i == LARGE_ROW:
            state = rng.randbytes(70_000)
        topic = "" if i == 5 else f"tracker.domain.dossier:Hồ sơ.{text(rng, 8)}"
        records.append((100 + 3 * i, uuid.UUID(int=rng.getrandbits(128)).hex, 1 + i % 4, topic,
                        state))
    with closing(sqlite3.connect(path)) as conn, conn:
        assert conn.execute(f"PRAGMA journal_mode={journal_mode}").fetchone()[0] == journal_mode
        conn.execute(SCHEMA)
        conn.executemany("INSERT INTO stored_events (rowid, originator_id, originator_version, "
                         "topic, state, leaf_index, leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [(*r[:5], i, leaf(r)) for i, r in enumerate(records)])
        assert conn.execute("SELECT typeof(state) FROM stored_events WHERE leaf_index = ?",
                            (EMPTY_ROW,)).fetchone() == ("blob",)
    return records


def tamper(path: Path, sql: str, params: tuple[object, ...] = ()) -> None:
    with closing(sqlite3.connect(path)) as conn, conn:
        assert conn.execute(sql, params).rowcount >= 1


@pytest.fixture
def store(tmp_path: Path) -> tuple[str, list[Record]]:
    path = tmp_path / "hoso.db"
    return str(path), make_store(path)


def leaves_of(records: list[Record]) -> bytes:
    return b"".join(leaf(r) for r in records)


def test_a_clean_range_gives_its_first_and_last_positions_and_leaves(store) -> None:
    path, records = store
    expected = (True, records[0][0], records[-1][0], leaves_of(records))
    assert scan_sqlite(path, BY_LEAF, (0, SIZE), 0, SIZE) == expected
    assert scan_sqlite(path, BY_ROWID, (100, 100 + 3 * SIZE), 0, SIZE) == expected
    assert scan_sqlite(path=path, sql=BY_LEAF, params=(0, SIZE), first_leaf=0,
                       count=SIZE) == expected


def test_a_clean_sub_range_is_numbered_from_its_first_leaf(store) -> None:
    path, records = store
    assert scan_sqlite(path, BY_LEAF, (10, 30), 10, 20) == (
        True, records[10][0], records[29][0], leaves_of(records[10:30]))
    assert scan_sqlite(path, BY_LEAF, (10, 30), 0, 20)[0] is False
    assert scan_sqlite(path, BY_LEAF, (10, 30), 11, 20)[0] is False


def test_an_empty_range_is_clean_only_without_rows(store) -> None:
    path, _ = store
    assert scan_sqlite(path, BY_LEAF, (5, 5), 5, 0) == (True, -1, -1, b"")
    assert scan_sqlite(path, BY_LEAF, (5, 6), 5, 0) == (False, -1, -1, b"")


NOT_CLEAN = (False, -1, -1, b"")
CAST_WHERE = "WHERE leaf_index = ?"


@pytest.mark.parametrize(("sql", "params"), [
    pytest.param("UPDATE stored_events SET state = ? WHERE leaf_index = ?", "flip", id="state"),
    pytest.param("UPDATE stored_events SET leaf_index = leaf_index + 1 WHERE leaf_index >= 30",
                 (), id="leaf-index-gap"),
    pytest.param("UPDATE stored_events SET leaf_index = 29 WHERE leaf_index = 30", (),
                 id="duplicate-leaf-index"),
    pytest.param("UPDATE stored_events SET leaf_hash = NULL " + CAST_WHERE, (12,),
                 id="null-leaf"),
    pytest.param("UPDATE stored_events SET leaf_hash = substr(leaf_hash, 1, 31) " + CAST_WHERE,
                 (SIZE - 1,), id="31-byte-leaf"),
    pytest.param("UPDATE stored_events SET leaf_hash = CAST(leaf_hash || x'00' AS BLOB) "
                 + CAST_WHERE, (0,),
                 id="33-byte-leaf"),
    pytest.param("UPDATE stored_events SET state = CAST(state AS TEXT) " + CAST_WHERE,
                 (ASCII_ROW,), id="state-as-text"),
    pytest.param("UPDATE stored_events SET originator_id = CAST(originator_id AS BLOB) "
                 + CAST_WHERE, (20,), id="id-as-blob"),
    pytest.param("UPDATE stored_events SET topic = CAST(topic AS BLOB) " + CAST_WHERE, (21,),
                 id="topic-as-blob"),
    pytest.param("UPDATE stored_events SET leaf_hash = CAST(leaf_hash AS TEXT) " + CAST_WHERE,
                 (22,), id="leaf-as-text"),
])
def test_a_tampered_row_makes_the_range_not_clean(store, sql: str, params: object) -> None:
    """GIVEN a clean range WHEN one row is changed THEN the range is not clean."""
    path, records = store
    assert scan_sqlite(path, BY_LEAF, (0, SIZE), 0, SIZE)[0] is True
    if params == "flip":
        state = bytearray(records[40][4])
        state[len(state) // 2] ^= 0x01
        params = (bytes(state), 40)
    tamper(path, sql, params)  # type: ignore[arg-type]
    assert scan_sqlite(path, BY_LEAF, (0, SIZE), 0, SIZE) == NOT_CLEAN


def test_a_row_stored_as_text_holds_the_same_bytes(store) -> None:
    """The storage class alone makes the state-as-text row above not clean: its bytes, and so
    its recomputed leaf, are unchanged."""
    path, records = store
    tamper(path, "UPDATE stored_events SET state = CAST(state AS TEXT) " + CAST_WHERE,
           (ASCII_ROW,))
    with closing(sqlite3.connect(path)) as conn:
        conn.text_factory = bytes
        assert conn.execute("SELECT typeof(state), state FROM stored_events " + CAST_WHERE,
                            (ASCII_ROW,)).fetchone() == (b"text", records[ASCII_ROW][4])


@pytest.mark.parametrize(("params", "count"), [((0, SIZE), SIZE - 1), ((0, SIZE - 1), SIZE),
                                               ((1, SIZE), SIZE), ((0, 0), 1)])
def test_a_row_more_or_fewer_than_count_is_not_clean(store, params: tuple[int, int],
                                                     count: int) -> None:
    path, _ = store
    assert scan_sqlite(path, BY_LEAF, params, params[0], count) == NOT_CLEAN


ROW_NUMBERED = (f"SELECT e.rowid, {COLUMNS}, ?1 + ROW_NUMBER() OVER (ORDER BY e.rowid {{0}}) - 1, "
                "leaf_hash FROM stored_events e {1} ORDER BY e.rowid {0}")


@pytest.mark.parametrize(("direction", "join", "clean"), [
    ("ASC", "", True), ("DESC", "", False),
    ("ASC", "CROSS JOIN (SELECT 1 UNION ALL SELECT 2)", False),  # each position twice
])
def test_positions_must_strictly_increase(store, direction: str, join: str,
                                          clean: bool) -> None:
    """Leaves numbered in the order read, so only the order of positions decides."""
    path, records = store
    rows = SIZE * (2 if join else 1)
    result = scan_sqlite(path, ROW_NUMBERED.format(direction, join), (0,), 0, rows)
    assert result[0] is clean
    if clean:
        assert result == (True, records[0][0], records[-1][0], leaves_of(records))


def test_the_scan_stops_reading_at_the_first_row_that_is_not_clean(store) -> None:
    """Rows from leaf 50 on fail in SQLite itself (abs of int64's minimum overflows), so a scan
    that read past a bad row 10 would raise instead of answering. (In rowid order: ordering by
    leaf_index would sort, and so compute, every row before the first is returned.)"""
    path, _ = store
    sql = BY_ROWID.replace("leaf_hash FROM", "CASE WHEN leaf_index < 50 THEN leaf_hash "
                          "ELSE abs(-9223372036854775807 - 1) END FROM")
    with pytest.raises(RuntimeError, match="integer overflow"):
        scan_sqlite(path, sql, (100, 100 + 3 * SIZE), 0, SIZE)
    tamper(path, "UPDATE stored_events SET leaf_hash = NULL " + CAST_WHERE, (10,))
    assert scan_sqlite(path, sql, (100, 100 + 3 * SIZE), 0, SIZE) == NOT_CLEAN


def test_sqlite_errors_raise_runtime_error_with_sqlites_message(store, tmp_path: Path) -> None:
    path, _ = store
    missing = str(tmp_path / "missing.db")
    with pytest.raises(RuntimeError, match=f"cannot open {missing}: unable to open database"):
        scan_sqlite(missing, BY_LEAF, (0, 1), 0, 1)
    with pytest.raises(RuntimeError, match='near "SELEC": syntax error'):
        scan_sqlite(path, BY_LEAF.replace("SELECT", "SELEC"), (0, 1), 0, 1)
    with pytest.raises(RuntimeError, match="no such table: stored"):
        scan_sqlite(path, BY_LEAF.replace("stored_events", "stored"), (0, 1), 0, 1)
    not_a_database = tmp_path / "garbage.db"
    not_a_database.write_bytes(b"not SQLite" * 1000)
    with pytest.raises(RuntimeError, match="file is not a database"):
        scan_sqlite(str(not_a_database), BY_LEAF, (0, 1), 0, 1)


def test_the_scan_opens_the_file_read_only(store) -> None:
    path, _ = store
    with pytest.raises(RuntimeError, match="readonly database"):
        scan_sqlite(path, "UPDATE stored_events SET topic = 'x' RETURNING rowid, "
                    f"{COLUMNS}, leaf_index, leaf_hash", (), 0, SIZE)


@pytest.mark.parametrize(("sql", "params", "first", "count", "error", "message"), [
    (BY_LEAF.replace(", leaf_hash", ""), (0, 1), 0, 1, ValueError, "must select 7 columns"),
    (BY_LEAF, (0,), 0, 1, ValueError, "sql takes 2 parameters, params holds 1"),
    (BY_LEAF + "; SELECT 1", (0, 1), 0, 1, ValueError, "exactly one statement"),
    ("-- nothing", (), 0, 1, ValueError, "exactly one statement"),
    (BY_LEAF, (0, 1), 0, -1, ValueError, "count must be >= 0"),
    (BY_LEAF, (0, 1), INT64_MAX, 1, ValueError, "first_leaf \\+ count must fit"),
    (BY_LEAF, [0, 1], 0, 1, TypeError, "must be tuple"),
    (BY_LEAF, (0, "1"), 0, 1, TypeError, "params\\[1\\] must be an int"),
    (BY_LEAF, (0, 2**63), 0, 1, OverflowError, "params\\[1\\] does not fit"),
])
def test_scan_sqlite_refuses_arguments_of_the_wrong_shape(
        store, sql: str, params: object, first: int, count: int, error: type[Exception],
        message: str) -> None:
    path, _ = store
    with pytest.raises(error, match=message):
        scan_sqlite(path, sql, params, first, count)  # type: ignore[arg-type]


def test_two_threads_scan_at_once_while_sqlite_waits_without_the_gil(tmp_path: Path) -> None:
    """GIVEN a rollback-journal store whose writer holds the exclusive lock
    WHEN two threads scan it, and the main thread commits half a second later
    THEN both scans waited (SQLite's busy handler) and finish clean: a scan that kept the GIL
    while it waited would keep the main thread from committing until its 30 s timeout."""
    path = tmp_path / "rollback.db"
    records = make_store(path, journal_mode="delete")
    expected = (True, records[0][0], records[-1][0], leaves_of(records))
    results: dict[int, object] = {}
    waited: dict[int, float] = {}

    def scan(name: int) -> None:
        began = time.monotonic()
        try:
            results[name] = scan_sqlite(str(path), BY_LEAF, (0, SIZE), 0, SIZE)
        except RuntimeError as error:
            results[name] = error
        waited[name] = time.monotonic() - began

    with closing(sqlite3.connect(path, isolation_level=None)) as writer:
        writer.execute("BEGIN EXCLUSIVE")
        threads = [threading.Thread(target=scan, args=(n,)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        writer.execute("COMMIT")
    for thread in threads:
        thread.join(timeout=70)
    assert results == {1: expected, 2: expected}
    assert min(waited.values()) > 0.2

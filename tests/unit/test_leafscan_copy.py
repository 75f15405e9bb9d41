"""events.store._leafscan.check_copy, the C check of PostgreSQL binary COPY streams of events and
leaves: against leaves hashed by events.evidence.records, fed whole and cut at every byte, each way
a stream is not clean, and once on streams that the real PostgreSQL server wrote."""

from __future__ import annotations

import random
import struct
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import psycopg
import pytest
from psycopg.sql import SQL, Composable, Identifier

from events.evidence.records import record_leaf_hash
from events.store._leafscan import check_copy
from tests.conftest import postgres_test_url

if TYPE_CHECKING:
    from typing_extensions import Buffer

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
TRAILER = struct.pack(">h", -1)
SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
Record = tuple[int, str, int, str, bytes]  # position, originator id, version, topic, state


# ---- COPY binary, written here ------------------------------------------------------------


def copy_tuple(*fields: bytes | None) -> bytes:
    """One tuple of PostgreSQL's binary COPY format: a field count, then (length, bytes) each."""
    out = [struct.pack(">h", len(fields))]
    for value in fields:
        out.append(struct.pack(">i", -1) if value is None
                   else struct.pack(">i", len(value)) + value)
    return b"".join(out)


def event_fields(record: Record, version_size: int = 8) -> list[bytes | None]:
    position, oid, version, topic, state = record
    return [struct.pack(">q", position), bytes.fromhex(oid),
            struct.pack(">q" if version_size == 8 else ">i", version), topic.encode(), state]


def event_tuple(record: Record, version_size: int = 8) -> bytes:
    return copy_tuple(*event_fields(record, version_size))


def leaf_tuple(position: int, leaf: bytes) -> bytes:
    return copy_tuple(struct.pack(">q", position), leaf)


def leaf(record: Record) -> bytes:
    return record_leaf_hash(*record)


def streams(records: list[Record], version_size: int = 8) -> tuple[bytes, bytes]:
    """The events and the leaves COPY bodies of clean records, each ending in the trailer."""
    events = b"".join(event_tuple(r, version_size) for r in records) + TRAILER
    leaves = b"".join(leaf_tuple(r[0], leaf(r)) for r in records) + TRAILER
    return events, leaves


def make_records(count: int, seed: int = 1, first: int = 1, state_size: int = 0) -> list[Record]:
    """Records at increasing positions with gaps, UUID ids, Vietnamese topics and random states
    (of ``state_size`` bytes, or of every small size when 0)."""
    rng = random.Random(seed)
    records, position = [], first
    for i in range(count):
        size = state_size or rng.choice([0, 1, 31, 255, 256, 450, 5_000])
        records.append((position, uuid.UUID(int=rng.getrandbits(128)).hex, rng.randrange(1, 50),
                        "tracker.domain.dossier:Hồsơ.Tiếpnhận" + "đ" * (i % 3),
                        rng.randbytes(size)))
        position += rng.choice([1, 1, 2, 7])
    return records


RECORDS = make_records(40)
EVENTS, LEAVES = streams(RECORDS)
LEAF_HASHES = b"".join(leaf(r) for r in RECORDS)


def feed(events: bytes, leaves: bytes, cuts: list[int], after: int = 0,
         at: int = 0) -> tuple[bytearray, int, int, bytes]:
    """Feed ``events`` cut at ``cuts`` as a caller does: each piece joins the unconsumed tail of
    the last, and every call must be ok. Returns (tail left, leaves_at, last position, hashes)."""
    pending, hashes, last = bytearray(), [], after
    for start, stop in zip([0, *cuts], [*cuts, len(events)], strict=True):
        pending += events[start:stop]
        consumed, at, last, checked, ok = check_copy(pending, leaves, at, last)
        assert ok, f"not ok with events cut at {cuts}"
        assert len(checked) % 32 == 0
        hashes.append(checked)
        del pending[:consumed]
    return pending, at, last, b"".join(hashes)


# ---- clean streams ------------------------------------------------------------------------


@pytest.mark.parametrize("as_buffer", [
    bytes, bytearray, memoryview, lambda b: memoryview(b"pad" + b + b"pad")[3:-3],
], ids=["bytes", "bytearray", "memoryview", "memoryview-slice"])
def test_a_clean_run_is_checked_to_the_trailer(
        as_buffer: Callable[[bytes], Buffer]) -> None:
    consumed, at, last, hashes, ok = check_copy(as_buffer(EVENTS), as_buffer(LEAVES), 0, 0)
    assert ok is True
    assert (consumed, at, last) == (len(EVENTS) - 2, len(LEAVES) - 2, RECORDS[-1][0])
    assert hashes == LEAF_HASHES


def test_leaves_are_read_from_leaves_at_and_positions_from_above_after() -> None:
    """GIVEN the leaves behind a 19-byte header and the first five events already checked
    WHEN the rest is checked from leaves_at and after the fifth position
    THEN it is clean and returns only the rest's leaves."""
    header = SIGNATURE + bytes(8)
    rest_events, _ = streams(RECORDS[5:])
    start = len(header) + 5 * 50
    consumed, at, last, hashes, ok = check_copy(rest_events, header + LEAVES, start,
                                                RECORDS[4][0])
    assert ok
    assert (consumed, at, last) == (len(rest_events) - 2, len(header) + len(LEAVES) - 2,
                                    RECORDS[-1][0])
    assert hashes == LEAF_HASHES[5 * 32:]


def test_extreme_and_negative_positions_and_versions_are_clean() -> None:
    ids = [uuid.UUID(int=n).hex for n in (0, 1, 2**128 - 1, 3)]
    records: list[Record] = [(INT64_MIN + 1, ids[0], INT64_MIN, "", b""),
                             (-10, ids[1], -1, "t", b"\0"), (0, ids[2], 0, "t", b"x"),
                             (INT64_MAX, ids[3], INT64_MAX, "t", b"y")]
    events, leaves = streams(records)
    assert check_copy(events, leaves, 0, INT64_MIN) == (
        len(events) - 2, len(leaves) - 2, INT64_MAX, b"".join(map(leaf, records)), True)


@pytest.mark.parametrize("version_size", [4, 8])
def test_a_version_of_four_or_eight_bytes_is_the_same_integer(version_size: int) -> None:
    records = [(p, uuid.UUID(int=p).hex, version, "t", b"s") for p, version in
               enumerate([1, -1, 2**31 - 1, -(2**31), 256, 65_536], start=1)]
    events, leaves = streams(records, version_size)
    consumed, at, last, hashes, ok = check_copy(events, leaves, 0, 0)
    assert ok
    assert (consumed, at, last, hashes) == (len(events) - 2, len(leaves) - 2, 6,
                                            b"".join(map(leaf, records)))


def test_empty_input_consumes_nothing() -> None:
    assert check_copy(b"", LEAVES, 0, 7) == (0, 0, 7, b"", True)
    assert check_copy(b"", b"", 0, 7) == (0, 0, 7, b"", True)
    assert check_copy(TRAILER, LEAVES, 50, 7) == (0, 50, 7, b"", True)


def test_an_event_cut_at_the_end_is_left_for_the_next_call() -> None:
    cut = len(event_tuple(RECORDS[0])) + len(event_tuple(RECORDS[1])) + 5
    consumed, at, last, hashes, ok = check_copy(EVENTS[:cut], LEAVES, 0, 0)
    assert ok
    assert (consumed, at, last, hashes) == (cut - 5, 100, RECORDS[1][0], LEAF_HASHES[:64])


def test_chunks_cut_at_every_byte_give_the_same_result() -> None:
    records = [(1, uuid.UUID(int=1).hex, 1, "a", b""), (2, uuid.UUID(int=2).hex, 2, "bé", b"xy"),
               (5, uuid.UUID(int=3).hex, 1, "c", bytes(300))]
    events, leaves = streams(records, version_size=4)
    whole = (b"", len(leaves) - 2, 5, b"".join(map(leaf, records)))
    for cut in range(len(events) + 1):
        pending, at, last, hashes = feed(events, leaves, [cut])
        assert (bytes(pending), at, last, hashes) == (TRAILER, *whole[1:]), f"cut at {cut}"
    pending, *rest = feed(events, leaves, list(range(1, len(events))))  # a byte at a time
    assert (bytes(pending), *rest) == (TRAILER, *whole[1:])


def test_megabyte_chunks_of_a_long_run_give_the_same_result() -> None:
    records = make_records(3_000, seed=2, state_size=450)
    events, leaves = streams(records)
    cuts = list(range(1 << 16, len(events), 1 << 16))
    pending, at, last, hashes = feed(events, leaves, cuts)
    assert (bytes(pending), at, last) == (TRAILER, len(leaves) - 2, records[-1][0])
    assert hashes == b"".join(map(leaf, records))


# ---- streams that are not clean -----------------------------------------------------------


def event_with(index: int, field: int, value: bytes | None) -> bytes:
    """EVENTS with one field of one event replaced (its leaf unchanged)."""
    fields = event_fields(RECORDS[index])
    fields[field] = value
    return b"".join([*map(event_tuple, RECORDS[:index]), copy_tuple(*fields),
                     *map(event_tuple, RECORDS[index + 1:]), TRAILER])


def leaf_with(index: int, *fields: bytes | None) -> bytes:
    """LEAVES with one leaf tuple replaced by one of these fields."""
    tuples = [leaf_tuple(r[0], leaf(r)) for r in RECORDS]
    tuples[index] = copy_tuple(*fields)
    return b"".join(tuples) + TRAILER


def changed_state() -> tuple[bytes, bytes, int]:
    state = bytearray(RECORDS[3][4] or b"\0")
    state[len(state) // 2] ^= 1
    return event_with(3, 4, bytes(state)), LEAVES, 0


def repositioned(index: int, position: int) -> tuple[bytes, bytes, int]:
    """Record ``index`` moved to ``position`` in both streams, with its leaf recomputed."""
    records = list(RECORDS)
    records[index] = (position, *records[index][1:])
    events, leaves = streams(records)
    return events, leaves, 0


def null_event_field(field: int) -> Callable[[], tuple[bytes, bytes, int]]:
    return lambda: (event_with(2, field, None), LEAVES, 0)


HASH = leaf(RECORDS[2])
POSITION = struct.pack(">q", RECORDS[2][0])
NOT_CLEAN: dict[str, Callable[[], tuple[bytes, bytes, int]]] = {
    "state byte changed": changed_state,
    "leaf of 31 bytes": lambda: (EVENTS, leaf_with(2, POSITION, HASH[:31]), 0),
    "leaf of 33 bytes": lambda: (EVENTS, leaf_with(2, POSITION, HASH + b"\0"), 0),
    "leaf hash changed": lambda: (EVENTS, leaf_with(2, POSITION, HASH[:-1] + b"\0"), 0),
    "leaf position differs": lambda: (
        EVENTS, leaf_with(2, struct.pack(">q", RECORDS[2][0] + 1), HASH), 0),
    "event position differs": lambda: (
        event_with(2, 0, struct.pack(">q", RECORDS[2][0] + 1)), LEAVES, 0),
    "position repeated": lambda: repositioned(6, RECORDS[5][0]),
    "position decreasing": lambda: repositioned(6, RECORDS[5][0] - 1),
    "first position equal to after": lambda: (EVENTS, LEAVES, RECORDS[0][0]),
    "first position below after": lambda: (EVENTS, LEAVES, RECORDS[0][0] + 1),
    **{f"NULL event field {i}": null_event_field(i) for i in range(5)},
    "NULL leaf position": lambda: (EVENTS, leaf_with(2, None, HASH), 0),
    "NULL leaf hash": lambda: (EVENTS, leaf_with(2, POSITION, None), 0),
    "event of 4 fields": lambda: (
        EVENTS.replace(event_tuple(RECORDS[2]), copy_tuple(*event_fields(RECORDS[2])[:4])),
        LEAVES, 0),
    "event of 6 fields": lambda: (
        EVENTS.replace(event_tuple(RECORDS[2]), copy_tuple(*event_fields(RECORDS[2]), b"")),
        LEAVES, 0),
    "last event of 6 fields, the sixth NULL (read as 5, it would end in a trailer)": lambda: (
        EVENTS.replace(event_tuple(RECORDS[-1]), copy_tuple(*event_fields(RECORDS[-1]), None)),
        LEAVES, 0),
    "event field count 0": lambda: (
        EVENTS.replace(event_tuple(RECORDS[2]), struct.pack(">h", 0)), LEAVES, 0),
    "leaf of 1 field": lambda: (EVENTS, leaf_with(2, POSITION), 0),
    "leaf of 3 fields": lambda: (EVENTS, leaf_with(2, POSITION, HASH, b""), 0),
    "last leaf of 3 fields, the third NULL": lambda: (
        EVENTS, LEAVES[:-2 - 50] + copy_tuple(struct.pack(">q", RECORDS[-1][0]),
                                              LEAF_HASHES[-32:], None) + TRAILER, 0),
    "position of 4 bytes": lambda: (
        event_with(2, 0, struct.pack(">i", RECORDS[2][0])), LEAVES, 0),
    "leaf position of 4 bytes": lambda: (
        EVENTS, leaf_with(2, struct.pack(">i", RECORDS[2][0]), HASH), 0),
    "id as its 32 hex digits, not a uuid's 16 bytes": lambda: (
        event_with(2, 1, RECORDS[2][1].encode()), LEAVES, 0),
    "version of 2 bytes": lambda: (event_with(2, 2, struct.pack(">h", RECORDS[2][2])), LEAVES, 0),
    "leaves cut inside a tuple": lambda: (EVENTS, LEAVES[:len(LEAVES) - 2 - 20], 0),
    "leaves cut at a tuple, no trailer": lambda: (EVENTS, LEAVES[:len(LEAVES) - 2 - 50], 0),
    "leaves at the trailer while an event remains": lambda: (
        EVENTS, LEAVES[:len(LEAVES) - 2 - 50] + TRAILER, 0),
    "leaves empty": lambda: (EVENTS, b"", 0),
}


@pytest.mark.parametrize("case", NOT_CLEAN, ids=list(NOT_CLEAN))
def test_a_stream_that_is_not_clean_is_not_ok(case: str) -> None:
    events, leaves, after = NOT_CLEAN[case]()
    assert (events, leaves, after) != (EVENTS, LEAVES, 0)  # the case does change something
    assert check_copy(events, leaves, 0, after)[4] is False
    assert check_copy(EVENTS, LEAVES, 0, 0)[4] is True


def test_the_check_stops_at_the_first_event_that_is_not_clean() -> None:
    bad_events, _, _ = changed_state()
    consumed, at, last, hashes, ok = check_copy(bad_events, LEAVES, 0, 0)
    assert not ok
    assert (consumed, at, last, hashes) == (len(b"".join(map(event_tuple, RECORDS[:3]))),
                                            150, RECORDS[2][0], LEAF_HASHES[:96])


HUGE = struct.pack(">i", 0x7FFF_FFFF)


@pytest.mark.parametrize(("name", "field"), [
    ("position", 0), ("originator_id", 1), ("version", 2), ("topic", 3), ("state", 4)])
def test_an_event_field_longer_than_postgresql_sends_is_not_ok(name: str, field: int) -> None:
    """GIVEN an event whose field claims 2**31-1 bytes (PostgreSQL sends at most 1 GB)
    WHEN it is checked, the real data following it
    THEN it is not ok at once: no waiting for 2 GB more, no read past the buffer."""
    head = event_tuple(RECORDS[0])
    fields = event_fields(RECORDS[1])
    start = 2 + sum(4 + len(f or b"") for f in fields[:field])
    good = event_tuple(RECORDS[1])
    bad = good[:start] + HUGE + good[start + 4:]
    assert check_copy(head + bad, LEAVES, 0, 0)[4] is False
    assert check_copy(head + good, LEAVES, 0, 0)[4] is True


def test_a_leaf_length_past_the_end_of_the_leaves_is_not_ok() -> None:
    huge = leaf_with(1, POSITION, HASH)
    at = 50 + 2 + 4 + 8
    for length in (HUGE, struct.pack(">i", 32)):
        leaves = huge[:at] + length + huge[at + 4:at + 4 + 10]  # only 10 of its bytes follow
        assert check_copy(EVENTS, leaves, 0, 0)[4] is False


def test_a_view_is_never_read_past_its_end() -> None:
    """GIVEN views that end inside a tuple, the rest of the tuple in memory right after them
    WHEN they are checked
    THEN the cut event is left unconsumed and the cut leaf makes the range not ok: what lies
    past a view's end is never read."""
    cut = len(event_tuple(RECORDS[0])) + 3
    events = memoryview(EVENTS)[:cut]
    assert check_copy(events, LEAVES, 0, 0) == (cut - 3, 50, RECORDS[0][0], LEAF_HASHES[:32],
                                                True)
    for size in range(1, 50):
        leaves = memoryview(LEAVES)[:50 + size]
        assert check_copy(EVENTS, leaves, 0, 0)[4] is False, size
    assert check_copy(EVENTS[:cut], memoryview(LEAVES)[:50], 0, 0)[4] is True


def test_a_field_longer_than_what_has_come_waits_for_the_rest() -> None:
    big = (RECORDS[0][0], uuid.UUID(int=7).hex, 1, "t", bytes(100_000))
    events, leaves = streams([big])
    for cut in (2 + 4 + 8 + 4 + 16 + 4 + 8 + 4 + 1 + 4, len(events) - 3):
        assert check_copy(events[:cut], leaves, 0, 0) == (0, 0, 0, b"", True)


@pytest.mark.parametrize("leaves_at", [-1, len(LEAVES) + 1, 2**64, -(2**64)])
def test_leaves_at_outside_the_leaves_is_a_value_error(leaves_at: int) -> None:
    with pytest.raises(ValueError, match=r"leaves_at must be within \[0, "):
        check_copy(EVENTS, LEAVES, leaves_at, 0)


@pytest.mark.parametrize("args", [
    ("events", LEAVES, 0, 0), (EVENTS, "leaves", 0, 0), (EVENTS, None, 0, 0),
    (EVENTS, LEAVES, 0.0, 0), (EVENTS, LEAVES, 0, "0"),
])
def test_arguments_of_the_wrong_type_are_a_type_error(args: tuple[object, ...]) -> None:
    with pytest.raises(TypeError):
        check_copy(*args)  # type: ignore[arg-type]


def test_the_check_runs_without_the_gil() -> None:
    """GIVEN a stream that takes a while to check
    WHEN a thread checks it while the main thread counts
    THEN the main thread counts in the middle of the check: holding the GIL would stop it."""
    records = make_records(100, seed=3, state_size=1 << 20)  # ~80 ms at ~1.2 GB/s
    events, leaves = streams(records)
    window: list[float] = []

    def check() -> None:
        start = time.perf_counter()
        assert check_copy(events, leaves, 0, 0)[4]
        window.extend([start, time.perf_counter()])

    thread = threading.Thread(target=check)
    ticks = []
    thread.start()
    while thread.is_alive():
        ticks.append(time.perf_counter())
    thread.join()
    start, stop = window
    # holding the GIL, the check would let the main thread run for one switch interval (5 ms)
    # at most, just before it began or just after it ended
    assert stop - start > 0.04, "the check was too quick to tell"
    assert any(start + 0.01 < t < stop - 0.01 for t in ticks)


# ---- the real server ----------------------------------------------------------------------


def read_copy(conn: psycopg.Connection[tuple[object, ...]], query: Composable) -> bytes:
    """A binary COPY of ``query`` read in the blocks psycopg hands over, its header skipped."""
    data = bytearray()
    with conn.cursor().copy(SQL("COPY ({}) TO STDOUT (FORMAT binary)").format(query)) as copy:
        for block in copy:
            data += block
    assert data[:11] == SIGNATURE
    flags, extension = struct.unpack_from(">iI", data, 11)
    assert (flags, extension) == (0, 0)
    return bytes(data[19:])


def test_streams_written_by_postgresql_are_clean() -> None:
    """GIVEN events (uuid ids, text topics, bytea states) and their leaves in PostgreSQL tables
    WHEN both are read with binary COPY as the PostgreSQL scanner reads them
    THEN check_copy finds them clean to the trailer, and a tampered state not clean."""
    schema = f"t_copy_{uuid.uuid4().hex[:12]}"
    records = make_records(50, seed=4, first=-3)
    rng = random.Random(5)
    try:
        conn = psycopg.connect(postgres_test_url(), autocommit=True)
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL at {postgres_test_url()} is not reachable ({error})")
    with conn:
        conn.execute(SQL("CREATE SCHEMA {}").format(Identifier(schema)))
        try:
            events_table, leaves_table = Identifier(schema, "e"), Identifier(schema, "l")
            conn.execute(SQL("CREATE TABLE {} (notification_id bigint, originator_id uuid, "
                             "originator_version bigint, topic text, state bytea)")
                         .format(events_table))
            conn.execute(SQL("CREATE TABLE {} (leaf_index bigint PRIMARY KEY, "
                             "notification_id bigint, leaf_hash bytea)").format(leaves_table))
            with conn.cursor() as cursor:
                cursor.executemany(SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s)")
                                   .format(events_table),
                                   [(p, uuid.UUID(hex=oid), v, t, s)
                                    for p, oid, v, t, s in rng.sample(records, len(records))])
                cursor.executemany(SQL("INSERT INTO {} VALUES (%s, %s, %s)").format(leaves_table),
                                   [(i, r[0], leaf(r)) for i, r in enumerate(records)])
            events_query = SQL(
                "SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
                "ORDER BY notification_id").format(events_table)
            leaves_query = SQL("SELECT notification_id, leaf_hash FROM {} ORDER BY leaf_index"
                               ).format(leaves_table)
            events, leaves = read_copy(conn, events_query), read_copy(conn, leaves_query)
            assert check_copy(events, leaves, 0, INT64_MIN) == (
                len(events) - 2, len(leaves) - 2, records[-1][0], b"".join(map(leaf, records)),
                True)
            assert events[-2:] == leaves[-2:] == TRAILER

            conn.execute(SQL("UPDATE {} SET state = state || '\\x00'::bytea "
                             "WHERE notification_id = %s").format(events_table),
                         (records[20][0],))
            tampered = read_copy(conn, events_query)
            _, _, last, hashes, ok = check_copy(tampered, leaves, 0, INT64_MIN)
            assert (ok, last, hashes) == (False, records[19][0],
                                          b"".join(map(leaf, records[:20])))
        finally:
            conn.execute(SQL("DROP SCHEMA {} CASCADE").format(Identifier(schema)))

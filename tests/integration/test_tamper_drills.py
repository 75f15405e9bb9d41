"""Tamper drills on SQLite and PostgreSQL: someone with write access to the database alters the
custody log behind hoso's back; ``audit verify`` must say so, and where.

Each drill uses plain SQL on the real tables, as an insider with database credentials would.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import psycopg
import pytest

from events.evidence.checkpointer import Checkpointer
from events.evidence.checkpoints import CheckpointDirectory, CheckpointPolicy
from events.evidence.keys import generate_keypair, load_signer, load_verifier
from events.evidence.log import HashingRecorder, TamperEvidentLog
from events.evidence.records import record_leaf_hash
from events.evidence.signing_keys import FixedKey
from events.evidence.tail import SigningWindow
from events.store.parallel_verify import scan_log
from tests.cast import Cast, cast_from
from tests.conftest import ManualClock
from tests.hoso_cli import Hoso
from tracker.application import CustodyApplication
from tracker.bootstrap import tamper_evident_log
from tracker.settings import Settings


class Database:
    """Raw SQL on the store behind the application, with the table names it uses."""

    def __init__(self, custody: CustodyApplication, store_env: dict[str, str]) -> None:
        recorder: Any = custody.recorder
        self.events = recorder.events_table_name
        self.env = store_env
        self.postgres = "HOSO_DATABASE_URL" in store_env
        self.id = "notification_id" if self.postgres else "rowid"
        # where a leaf is, by its event's position: SQLite keeps it in the event's row
        self.leaves, self.leaf_position = self.events, self.id
        self.checkpoints = recorder.checkpoints_table_name
        if self.postgres:
            schema = store_env["HOSO_DATABASE_URL"].split("schema=")[1]
            self.events = f"{schema}.{self.events}"
            self.leaves = f"{schema}.{recorder.leaves_table_name}"
            self.checkpoints = f"{schema}.{self.checkpoints}"

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        if self.postgres:
            url = self.env["HOSO_DATABASE_URL"].split("?")[0]
            with psycopg.connect(url) as conn, conn.cursor() as cur:
                yield _Qmark(cur)
                conn.commit()
        else:
            conn = sqlite3.connect(Path(self.env["HOSO_DATA_DIR"]) / "hoso.sqlite")
            try:
                yield conn.cursor()
                conn.commit()
            finally:
                conn.close()

    def rows(self) -> list[tuple[int, Any, int, str, bytes]]:
        with self.cursor() as c:
            c.execute(f"SELECT {self.id}, originator_id, originator_version, topic, state "
                      f"FROM {self.events} ORDER BY {self.id}")
            return [(r[0], r[1], r[2], r[3], bytes(r[4])) for r in c.fetchall()]


class _Qmark:
    """psycopg with SQLite's ? placeholders, so one drill serves both stores."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self.cursor.execute(sql.replace("?", "%s"), params)

    def fetchall(self) -> list[Any]:
        return list(self.cursor.fetchall())


def flip_a_byte(db: Database, target: int) -> None:
    position, *_, state = db.rows()[target]
    forged = bytearray(state)
    forged[len(forged) // 2] ^= 0x01
    with db.cursor() as c:
        c.execute(f"UPDATE {db.events} SET state = ? WHERE {db.id} = ?", (bytes(forged), position))


def delete_a_row(db: Database, target: int) -> None:
    with db.cursor() as c:
        c.execute(f"DELETE FROM {db.events} WHERE {db.id} = ?", (db.rows()[target][0],))


def swap_two_rows(db: Database, target: int) -> None:
    a, b = db.rows()[target][0], db.rows()[target + 1][0]
    with db.cursor() as c:
        for old, new in ((a, -1), (b, a), (-1, b)):
            c.execute(f"UPDATE {db.events} SET {db.id} = ? WHERE {db.id} = ?", (new, old))


def insert_a_forged_event(db: Database, target: int) -> None:
    _, originator, version, topic, state = db.rows()[target]
    forged = state.replace(b'"actor"', b'"actor" ', 1)
    with db.cursor() as c:
        c.execute(f"INSERT INTO {db.events} (originator_id, originator_version, topic, state) "
                  "VALUES (?, ?, ?, ?)", (originator, version + 1000, topic, forged))


def slip_in_an_event_before_the_first(db: Database, target: int) -> None:
    """An event at position 0, below every leaf (both stores accept an explicit position)."""
    _, originator, version, topic, state = db.rows()[target]
    with db.cursor() as c:
        c.execute(f"INSERT INTO {db.events} ({db.id}, originator_id, originator_version, topic, "
                  "state) VALUES (0, ?, ?, ?, ?)", (originator, version + 2000, topic, state))


def rebuild_consistently(db: Database, target: int) -> None:
    """Change a record, then recompute every leaf so records and leaves agree again."""
    flip_a_byte(db, target)
    with db.cursor() as c:
        if db.postgres:
            c.execute(f"DELETE FROM {db.leaves}")
        for index, (position, originator, version, topic, state) in enumerate(db.rows()):
            leaf = record_leaf_hash(position, originator, version, topic, state)
            if db.postgres:
                c.execute(f"INSERT INTO {db.leaves} VALUES (?, ?, ?)", (index, position, leaf))
            else:
                c.execute(f"UPDATE {db.events} SET leaf_index = ?, leaf_hash = ? "
                          "WHERE rowid = ?", (index, leaf, position))


def rewrite_with_its_leaf(db: Database, target: int) -> None:
    """Make the event say another actor did it, as valid JSON, and recompute its own leaf:
    invisible to the leaves, caught only by a signed root over the original."""
    position, originator, version, topic, state = db.rows()[target]
    forged = json.dumps({**json.loads(state), "actor": "pl-forger"},
                        separators=(",", ":")).encode()
    leaf = record_leaf_hash(position, originator, version, topic, forged)
    with db.cursor() as c:
        c.execute(f"UPDATE {db.events} SET state = ? WHERE {db.id} = ?", (forged, position))
        c.execute(f"UPDATE {db.leaves} SET leaf_hash = ? WHERE {db.leaf_position} = ?",
                  (leaf, position))


DRILLS: dict[str, tuple[Callable[[Database, int], None], str]] = {
    "one byte changed": (flip_a_byte, "changed"),
    "a row deleted": (delete_a_row, "missing"),
    "two rows swapped": (swap_two_rows, "reordered"),
    "a forged event inserted": (insert_a_forged_event, "inserted"),
    "an event slipped in before the first": (slip_in_an_event_before_the_first, "inserted"),
    "rebuilt consistently without the key": (rebuild_consistently, "checkpoint"),
}


@pytest.fixture
def logged(custody: CustodyApplication, tmp_path: Path, store_env: dict[str, str],
           clock: ManualClock) -> tuple[TamperEvidentLog, Path, Database]:
    """A log with a few dossiers' custody events and a signed checkpoint over them."""
    c: Cast = cast_from(custody.province())
    for n in range(3):
        code = custody.receive(office=c.commune, procedure=c.procedure.code,
                               applicant_name=f"Người {n}", applicant_id=f"{n:012d}",
                               actor=c.receiver, components=c.components)["code"]
        clock.advance(minutes=5)
        custody.hand_over(code, c.receiver, c.agency, courier=c.courier)
        custody.accept(code, c.official, c.agency)
    private, public = generate_keypair(tmp_path / "keys")
    settings = Settings.from_environ({**store_env, "HOSO_AUDIT_KEY": str(private)})
    log = tamper_evident_log(custody, settings)
    log.checkpoint(load_signer(private), clock())
    return log, public, Database(custody, store_env)


def test_an_untouched_log_verifies(logged: tuple[TamperEvidentLog, Path, Database]) -> None:
    log, public, _ = logged
    report = log.audit(load_verifier(public))
    assert report.intact, report.findings
    assert report.checkpoints == 1
    assert report.events == report.leaves > 9


@pytest.mark.parametrize("drill", DRILLS, ids=list(DRILLS))
def test_tampering_is_detected_and_located(
        logged: tuple[TamperEvidentLog, Path, Database], drill: str) -> None:
    log, public, db = logged
    tamper, kind = DRILLS[drill]
    target = 4
    position = db.rows()[target][0]
    tamper(db, target)
    report = log.audit(load_verifier(public))
    assert not report.intact
    kinds = {f.kind for f in report.findings}
    assert kind in kinds, report.findings
    if kind in ("changed", "missing", "reordered"):
        assert report.first is not None
        assert report.first.position == position


@pytest.mark.parametrize("drill", DRILLS, ids=list(DRILLS))
def test_the_parallel_scan_is_clean_only_when_every_leaf_is(
        logged: tuple[TamperEvidentLog, Path, Database], drill: str) -> None:
    """GIVEN the log's leaves scanned as three ranges, two in forked workers, THEN the scan is
    clean and gives the stored tree; AFTER a drill it is clean only when records and leaves
    still agree (a consistent rebuild, which the signed roots catch instead)."""
    log, _, db = logged
    scanner = cast(HashingRecorder, log.recorder).range_scanner()
    assert scanner is not None
    untouched = scan_log(scanner, log.size(), workers=3, align=1)
    assert untouched.clean
    assert untouched.tree.root() == log.tree().root()
    tamper, kind = DRILLS[drill]
    tamper(db, 4)
    assert scan_log(scanner, log.size(), workers=3, align=1).clean is (kind == "checkpoint")


def test_events_appended_during_a_scan_do_not_make_it_unclean(
        logged: tuple[TamperEvidentLog, Path, Database], custody: CustodyApplication) -> None:
    """GIVEN the log's size read WHEN more events are stored before the ranges are scanned
    THEN the scan of the first ``size`` leaves is still clean: the new ones have leaves."""
    log, _, _ = logged
    size = log.size()
    c = cast_from(custody.province())
    custody.receive(office=c.commune, procedure=c.procedure.code, applicant_name="Trong lúc",
                    applicant_id="555", actor=c.receiver, components=c.components)
    scanner = cast(HashingRecorder, log.recorder).range_scanner()
    assert scanner is not None
    assert log.size() > size
    assert scan_log(scanner, size, workers=2, align=1).clean


def test_cli_verify_exits_1_naming_the_first_bad_position(
        logged: tuple[TamperEvidentLog, Path, Database], store_env: dict[str, str]) -> None:
    _, public, db = logged
    hoso = Hoso({**store_env, "HOSO_AUDIT_PUBLIC_KEY": str(public)})
    assert hoso.ok("audit", "verify")["intact"] is True
    position = db.rows()[2][0]
    flip_a_byte(db, 2)
    result = hoso("audit", "verify", "--json")
    assert result.code == 1
    assert result.json()["first_bad_position"] == position
    assert result.json()["findings"][0]["kind"] == "changed"
    human = hoso("audit", "verify")
    assert f"first bad position {position}" in human.stdout


def test_a_leaf_overwritten_with_garbage_is_reported_not_a_crash(
        logged: tuple[TamperEvidentLog, Path, Database]) -> None:
    log, public, db = logged
    position = db.rows()[3][0]
    with db.cursor() as c:
        c.execute(f"UPDATE {db.leaves} SET leaf_hash = ? WHERE {db.leaf_position} = ?",
                  (b"short", position))
    report = log.audit(load_verifier(public))
    assert report.first is not None
    assert report.first.position == position
    assert any("5 bytes, not a hash" in f.detail for f in report.findings)


def test_checkpoints_are_written_periodically(
        logged: tuple[TamperEvidentLog, Path, Database], custody: CustodyApplication,
        tmp_path: Path) -> None:
    log, public, _ = logged
    first = log.latest_checkpoint()
    assert first is not None
    signer = load_signer(tmp_path / "keys" / "audit.key")
    stop = threading.Event()
    # GIVEN a checkpoint every 3 new events WHEN 4 more events are stored
    thread = Checkpointer(log, FixedKey(signer), CheckpointPolicy(3, 0),
                          custody.clock).start(stop, 0.02)
    c = cast_from(custody.province())
    custody.receive(office=c.commune, procedure=c.procedure.code, applicant_name="Mới",
                    applicant_id="999", actor=c.receiver, components=c.components)
    custody.receive(office=c.commune, procedure=c.procedure.code, applicant_name="Mới 2",
                    applicant_id="998", actor=c.receiver, components=c.components)
    deadline = time.monotonic() + 10
    while (latest := log.latest_checkpoint()) is not None and latest.size == first.size:
        assert time.monotonic() < deadline, "no periodic checkpoint appeared"
        time.sleep(0.02)
    stop.set()
    thread.join(5)
    # THEN a new checkpoint covers them, and the log still verifies against both
    assert latest is not None
    assert latest.size == log.size() == first.size + 4
    assert log.audit(load_verifier(public)).intact


# -- the unsigned tail: events after the newest checkpoint -------------------------------------

def receive_two(custody: CustodyApplication) -> None:
    c = cast_from(custody.province())
    for n in range(2):
        custody.receive(office=c.commune, procedure=c.procedure.code, applicant_name=f"Sau {n}",
                        applicant_id=f"77{n:010d}", actor=c.receiver, components=c.components)


def test_a_rewrite_after_the_newest_checkpoint_is_caught_once_the_window_passes(
        logged: tuple[TamperEvidentLog, Path, Database], custody: CustodyApplication,
        clock: ManualClock) -> None:
    """GIVEN events stored after the newest checkpoint, and no signer running
    WHEN one of them is rewritten with its leaf recomputed
    THEN verify still passes within the window (reporting the unsigned events), and fails
    naming the first unsigned position once the window and its grace have passed."""
    log, public, db = logged
    signed = log.size()
    receive_two(custody)
    first_unsigned = db.rows()[signed][0]
    rewrite_with_its_leaf(db, signed + 1)
    within = log.audit(load_verifier(public), window=SigningWindow(1, 1, clock.advance(seconds=1)))
    assert within.intact, within.findings
    assert within.tail is not None
    assert within.tail.events == log.size() - signed
    later = log.audit(load_verifier(public), window=SigningWindow(1, 1, clock.advance(seconds=2)))
    assert [f.kind for f in later.findings] == ["unsigned"]
    assert later.first is not None
    assert later.first.position == first_unsigned
    assert "signer stopped or was kept away" in later.first.detail


def test_a_rewrite_after_the_signer_read_the_leaf_is_caught_by_its_next_checkpoint(
        logged: tuple[TamperEvidentLog, Path, Database], custody: CustodyApplication,
        tmp_path: Path) -> None:
    """GIVEN a signer that has read new leaves but not signed them yet (nothing due)
    WHEN one of those events is rewritten with its leaf recomputed, and the signer then signs
    THEN its checkpoint is over the leaves it read, so verify names the rewrite."""
    log, public, db = logged
    signer = Checkpointer(log, FixedKey(load_signer(tmp_path / "keys" / "audit.key")),
                          CheckpointPolicy(1000, 3600), custody.clock)
    receive_two(custody)
    assert signer.step() is None
    assert signer.size == log.size()
    rewrite_with_its_leaf(db, log.size() - 1)
    made = signer.step(final=True)
    assert made is not None
    assert made[0].size == log.size()
    report = log.audit(load_verifier(public))
    assert "checkpoint" in {f.kind for f in report.findings}, report.findings


def test_with_every_checkpoint_deleted_verify_fails(
        logged: tuple[TamperEvidentLog, Path, Database], store_env: dict[str, str],
        clock: ManualClock) -> None:
    """GIVEN a signed log WHEN every checkpoint is deleted, from the table and the folder
    THEN verify fails at once, in-process and through the CLI (exit 1, one line)."""
    log, public, db = logged
    rewrite_with_its_leaf(db, 2)
    with db.cursor() as c:
        c.execute(f"DELETE FROM {db.checkpoints}")
    folder = CheckpointDirectory(Settings.from_environ(store_env).checkpoint_dir)
    assert folder.paths()
    for path in folder.paths():
        path.unlink()
    report = log.audit(load_verifier(public), window=SigningWindow(10, 30, clock()))
    assert [f.kind for f in report.findings] == ["unsigned"]
    assert report.newest is None
    assert report.checkpoints == 0
    result = Hoso({**store_env, "HOSO_AUDIT_PUBLIC_KEY": str(public)})("audit", "verify")
    assert result.code == 1
    line, = result.stdout.strip().splitlines()
    assert line.startswith("NOT VERIFIED: ")
    assert "no validly signed checkpoint" in line


def test_a_signer_stops_when_the_stored_leaves_no_longer_give_the_newest_root(
        logged: tuple[TamperEvidentLog, Path, Database], custody: CustodyApplication,
        tmp_path: Path) -> None:
    """GIVEN history before the newest checkpoint rebuilt consistently without the key
    WHEN a signer starts (reading the log from its first leaf)
    THEN it signs nothing on top of the rewrite and says why."""
    log, _, db = logged
    rebuild_consistently(db, 3)
    receive_two(custody)
    signer = Checkpointer(log, FixedKey(load_signer(tmp_path / "keys" / "audit.key")),
                          CheckpointPolicy(1, 1), custody.clock)
    stop = threading.Event()
    stop.set()
    signer.run(stop)
    assert signer.stopped_because is not None
    assert "rewritten" in signer.stopped_because
    latest = log.latest_checkpoint()
    assert latest is not None
    assert latest.size < log.size()

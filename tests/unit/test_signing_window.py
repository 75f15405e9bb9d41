"""The pieces of "checkpoints always on" that need no store: the signer's compact range, when an
unsigned tail fails verification, and the settings that set the window and find the key."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from events.evidence.audit import SignedRoot, StoredRecord
from events.evidence.compact import CompactRange
from events.evidence.merkle import EMPTY_ROOT, MerkleTree, leaf_hash
from events.evidence.tail import (
    SAMPLE,
    SigningWindow,
    UnsignedTail,
    commit_time,
    unsigned_finding,
    unsigned_tail,
)
from tracker.domain.errors import BadInput
from tracker.settings import Settings

NOW = datetime.fromisoformat("2026-12-06T10:00:00+00:00")
WINDOW = SigningWindow(10, 30, NOW)
NEWEST = SignedRoot(5, hashlib.sha256(b"root").digest(), "the store", NOW)


def record(position: int, stamp: datetime | str | None) -> StoredRecord:
    body: dict[str, object] = {"actor": "pl-rcv-003"}
    if isinstance(stamp, datetime):
        body["timestamp"] = {"_type_": "datetime_iso", "_data_": stamp.isoformat()}
    elif stamp is not None:
        body["timestamp"] = stamp
    return StoredRecord(position, "ab" * 16, 1, "t", json.dumps(body).encode())


# -- the compact range -------------------------------------------------------------------------

def test_the_compact_range_gives_the_tree_root_at_every_size() -> None:
    leaves = [leaf_hash(n.to_bytes(4, "big")) for n in range(200)]
    tree, compact = MerkleTree(leaves), CompactRange()
    assert compact.root() == EMPTY_ROOT
    for size, leaf in enumerate(leaves, start=1):
        compact.append(leaf)
        assert (compact.size, compact.root()) == (size, tree.root(size))


@pytest.mark.parametrize("leaf", [b"short", b"x" * 33, "a" * 32])
def test_the_compact_range_refuses_what_is_not_a_hash_and_stays_as_it_was(leaf: object) -> None:
    compact = CompactRange()
    compact.append(leaf_hash(b"0"))
    with pytest.raises(ValueError, match="32 bytes"):
        compact.append(leaf)  # type: ignore[arg-type]
    assert (compact.size, compact.root()) == (1, leaf_hash(b"0"))


# -- the unsigned tail -------------------------------------------------------------------------

def test_commit_time_is_the_events_own_timestamp_or_none() -> None:
    assert commit_time(record(1, NOW)) == NOW
    assert commit_time(record(1, None)) is None
    assert commit_time(record(1, "yesterday")) is None
    assert commit_time(record(1, {"_type_": "datetime_iso", "_data_": "2026-12-06T10:00"})) \
        is None  # no offset: not a moment
    assert commit_time(StoredRecord(1, "ab", 1, "t", b"\xff not json")) is None


def test_the_tail_starts_after_the_newest_checkpoint_and_takes_the_earliest_time() -> None:
    later, earlier = NOW - timedelta(seconds=5), NOW - timedelta(seconds=50)
    tail = unsigned_tail(9, NEWEST, [record(60, later), record(61, earlier)])
    assert tail == UnsignedTail(5, 4, 60, earlier)
    assert tail.age(NOW) == 50
    assert unsigned_tail(5, NEWEST, []) == UnsignedTail(5, 0)
    assert unsigned_tail(3, None, [record(1, NOW)]) == UnsignedTail(0, 3, 1, NOW)
    assert unsigned_tail(9, NEWEST, [record(60, NOW), record(61, None)]).oldest is None
    assert SAMPLE >= 100


@pytest.mark.parametrize(("tail", "newest", "fails"), [
    (UnsignedTail(5, 0), NEWEST, None),
    (UnsignedTail(5, 2, 60, NOW - timedelta(seconds=40)), NEWEST, None),  # 40 = 10 + 30
    (UnsignedTail(5, 2, 60, NOW - timedelta(seconds=41)), NEWEST, "the oldest committed 41 s"),
    (UnsignedTail(5, 2, 60, None), NEWEST, "not all have a readable commit time"),
    (UnsignedTail(0, 3, 1, NOW), None, "3 events and no validly signed checkpoint"),
])
def test_an_unsigned_tail_fails_only_without_a_checkpoint_or_past_the_window(
        tail: UnsignedTail, newest: SignedRoot | None, fails: str | None) -> None:
    finding = unsigned_finding(tail, newest, WINDOW)
    if fails is None:
        assert finding is None
    else:
        assert finding is not None
        assert finding.kind == "unsigned"
        assert fails in finding.detail
        assert finding.position == (tail.first_position or 0)


# -- settings ------------------------------------------------------------------------------------

def test_the_window_is_ten_seconds_with_thirty_of_grace_and_never_zero(tmp_path: Path) -> None:
    settings = Settings.from_environ({"HOSO_DATA_DIR": str(tmp_path)})
    assert (settings.checkpoint_seconds, settings.checkpoint_grace) == (10, 30)
    assert settings.checkpoint_every == 1000
    with pytest.raises(BadInput, match="HOSO_CHECKPOINT_SECONDS must be at least 1"):
        Settings.from_environ({"HOSO_DATA_DIR": str(tmp_path), "HOSO_CHECKPOINT_SECONDS": "0"})


def test_the_key_init_makes_is_the_default_once_it_exists(tmp_path: Path) -> None:
    env = {"HOSO_DATA_DIR": str(tmp_path)}
    before = Settings.from_environ(env)
    assert (before.audit_key, before.audit_public_key) == (None, None)
    assert before.default_audit_key == tmp_path / "keys" / "audit.key"
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "audit.pub").write_text("hoso-audit+00000000+AA==\n")
    only_public = Settings.from_environ(env)
    assert (only_public.audit_key, only_public.audit_public_key) == (
        None, tmp_path / "keys" / "audit.pub")
    (tmp_path / "keys" / "audit.key").write_text("PRIVATE+KEY+…\n")
    after = Settings.from_environ(env)
    assert (after.audit_key, after.audit_public_key) == (
        tmp_path / "keys" / "audit.key", tmp_path / "keys" / "audit.pub")
    elsewhere = Settings.from_environ({**env, "HOSO_AUDIT_KEY": "/etc/hoso/keys/audit.key"})
    assert (elsewhere.audit_key, elsewhere.audit_public_key) == (
        Path("/etc/hoso/keys/audit.key"), Path("/etc/hoso/keys/audit.pub"))

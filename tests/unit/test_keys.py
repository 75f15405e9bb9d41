"""Key files and checkpoint files on disk: modes, refusals, atomic writes, and when to write one."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from events.evidence.checkpoints import (
    CheckpointConflict,
    CheckpointDirectory,
    CheckpointPolicy,
    CheckpointSink,
    InvalidCheckpointPolicy,
)
from events.evidence.keys import (
    KeyFileError,
    KeyFileExists,
    generate_keypair,
    load_signer,
    load_verifier,
)
from events.evidence.notes import (
    Checkpoint,
    MalformedCheckpoint,
    MalformedKey,
    Signer,
    open_checkpoint,
    sign_checkpoint,
)

WHEN = datetime(2026, 11, 23, 20, 0, 0, tzinfo=UTC)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def checkpoint(size: int, when: datetime = WHEN) -> Checkpoint:
    root = hashlib.sha256(str(size).encode()).digest()
    return Checkpoint("hoso.example/tinh-a", size, root, when)


@pytest.fixture(params=[0o000, 0o022, 0o077], ids=["umask-000", "umask-022", "umask-077"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.generate("hoso-audit")


# --- generate_keypair ------------------------------------------------------------------------


def test_generate_keypair_writes_0600_key_and_0644_public_key(tmp_path: Path, umask: int) -> None:
    directory = tmp_path / "keys"
    key_path, pub_path = generate_keypair(directory)
    assert (key_path, pub_path) == (directory / "audit.key", directory / "audit.pub")
    assert mode_of(key_path) == 0o600
    assert mode_of(pub_path) == 0o644
    assert mode_of(directory) == 0o700
    signer = load_signer(key_path)
    assert signer.name == "hoso-audit"
    assert load_verifier(pub_path) == signer.verifier
    assert key_path.read_text().startswith("PRIVATE+KEY+hoso-audit+")
    assert pub_path.read_text() == signer.verifier.to_text() + "\n"


def test_the_private_key_is_created_0600_and_exclusive_from_the_start(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[tuple[str, int, int]] = []
    real_open = os.open

    def spy(path: Any, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
        opened.append((os.fspath(path), flags, mode))
        return real_open(path, flags, mode, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    key_path, _ = generate_keypair(tmp_path)
    created = [(flags, mode) for path, flags, mode in opened if path == os.fspath(key_path)]
    assert len(created) == 1
    flags, mode = created[0]
    assert flags & os.O_CREAT
    assert flags & os.O_EXCL
    assert mode == 0o600


def test_generate_keypair_refuses_to_overwrite_a_key(tmp_path: Path) -> None:
    key_path, pub_path = generate_keypair(tmp_path, name="tinh-a")
    before = key_path.read_bytes(), pub_path.read_bytes()
    with pytest.raises(KeyFileExists, match="refusing to overwrite") as refused:
        generate_keypair(tmp_path, name="tinh-a")
    assert isinstance(refused.value, FileExistsError)
    assert isinstance(refused.value, KeyFileError)
    assert (key_path.read_bytes(), pub_path.read_bytes()) == before


def test_generate_keypair_refuses_when_only_the_public_key_exists(tmp_path: Path) -> None:
    (tmp_path / "audit.pub").write_text("old\n")
    with pytest.raises(KeyFileExists, match=r"audit\.pub already exists"):
        generate_keypair(tmp_path)
    assert not (tmp_path / "audit.key").exists()
    assert (tmp_path / "audit.pub").read_text() == "old\n"


def test_generate_keypair_refuses_a_bad_key_name_before_touching_disk(tmp_path: Path) -> None:
    with pytest.raises(MalformedKey, match="key name"):
        generate_keypair(tmp_path / "keys", name="two words")
    assert not (tmp_path / "keys").exists()


# --- load_signer / load_verifier -------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o620, 0o601])
def test_load_signer_refuses_a_key_others_can_read(tmp_path: Path, mode: int) -> None:
    key_path, _ = generate_keypair(tmp_path)
    key_path.chmod(mode)
    with pytest.raises(KeyFileError, match=f"mode {mode:04o}.*chmod 600"):
        load_signer(key_path)


def test_load_signer_accepts_a_read_only_owner_key(tmp_path: Path) -> None:
    key_path, pub_path = generate_keypair(tmp_path)
    key_path.chmod(0o400)
    assert load_signer(key_path).verifier == load_verifier(pub_path)


def test_load_signer_says_where_the_key_is_missing(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match=r"no audit key at .*HOSO_AUDIT_KEY"):
        load_signer(tmp_path / "audit.key")


def test_load_signer_refuses_a_symlink(tmp_path: Path) -> None:
    key_path, _ = generate_keypair(tmp_path / "real")
    link = tmp_path / "audit.key"
    link.symlink_to(key_path)
    with pytest.raises(KeyFileError, match="cannot open"):
        load_signer(link)


def test_a_damaged_key_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    key_path, _ = generate_keypair(tmp_path)
    secret = key_path.read_text().strip()
    key_path.write_text(secret[:-4] + "AAAA\n")
    with pytest.raises(KeyFileError, match="not a signer key") as refused:
        load_signer(key_path)
    assert secret.split("+", 4)[4][:20] not in str(refused.value)  # base64 may hold "+"


def test_load_verifier_takes_a_path_or_the_key_string(tmp_path: Path) -> None:
    _, pub_path = generate_keypair(tmp_path)
    from_file = load_verifier(pub_path)
    assert load_verifier(pub_path.read_text()) == from_file
    assert load_verifier(from_file.to_text()) == from_file


def test_load_verifier_refuses_a_private_key(tmp_path: Path) -> None:
    key_path, _ = generate_keypair(tmp_path)
    with pytest.raises(KeyFileError, match="holds a private key"):
        load_verifier(key_path)
    with pytest.raises(MalformedKey, match="private key"):
        load_verifier(key_path.read_text())


# --- CheckpointDirectory ---------------------------------------------------------------------


def test_a_checkpoint_is_written_under_its_size_and_time(tmp_path: Path, signer: Signer) -> None:
    directory = CheckpointDirectory(tmp_path / "checkpoints")
    assert not (tmp_path / "checkpoints").exists()  # nothing touched before the first call
    note = sign_checkpoint(checkpoint(42), signer)
    path = directory.write(note, checkpoint(42))
    assert path.name == "000000000042-20261123T200000Z.checkpoint"
    assert path.read_bytes() == note.encode("utf-8")
    assert mode_of(path) == 0o644
    assert [entry.name for entry in path.parent.iterdir()] == [path.name]  # no temp file left


def test_checkpoints_come_back_in_size_order(tmp_path: Path, signer: Signer) -> None:
    directory = CheckpointDirectory(tmp_path)
    assert directory.latest() is None
    assert directory.all() == []
    notes = {}
    for size, minutes in ((10, 1), (2, 2), (1_000_000_000_000, 3), (100, 4), (100, 5)):
        made = checkpoint(size, WHEN + timedelta(minutes=minutes))
        notes[size, minutes] = sign_checkpoint(made, signer)
        directory.write(notes[size, minutes], made)
    (tmp_path / "README").write_text("not a checkpoint\n")
    expected = [notes[key] for key in ((2, 2), (10, 1), (100, 4), (100, 5), (1_000_000_000_000, 3))]
    assert directory.all() == expected
    assert directory.latest() == notes[1_000_000_000_000, 3]


def test_rewriting_the_same_checkpoint_is_harmless(tmp_path: Path, signer: Signer) -> None:
    directory = CheckpointDirectory(tmp_path)
    note = sign_checkpoint(checkpoint(7), signer)
    assert directory.write(note, checkpoint(7)) == directory.write(note, checkpoint(7))
    assert directory.all() == [note]


def test_a_different_checkpoint_never_replaces_a_kept_one(tmp_path: Path, signer: Signer) -> None:
    directory = CheckpointDirectory(tmp_path)
    kept = sign_checkpoint(checkpoint(7), signer)
    directory.write(kept, checkpoint(7))
    forked = Checkpoint("hoso.example/tinh-a", 7, hashlib.sha256(b"fork").digest(), WHEN)
    with pytest.raises(CheckpointConflict, match="different checkpoint"):
        directory.write(sign_checkpoint(forked, signer), forked)
    assert directory.all() == [kept]
    assert len(list(tmp_path.iterdir())) == 1


def test_a_note_must_carry_the_checkpoint_it_is_filed_under(
        tmp_path: Path, signer: Signer) -> None:
    with pytest.raises(MalformedCheckpoint, match="not this checkpoint"):
        CheckpointDirectory(tmp_path).write(sign_checkpoint(checkpoint(8), signer), checkpoint(7))


def test_a_failed_write_leaves_no_file_behind(
        tmp_path: Path, signer: Signer, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        CheckpointDirectory(tmp_path).write(sign_checkpoint(checkpoint(9), signer), checkpoint(9))
    assert list(tmp_path.iterdir()) == []


def test_without_hard_links_the_write_falls_back_to_rename(
        tmp_path: Path, signer: Signer, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(*args: object, **kwargs: object) -> None:
        raise PermissionError("hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    directory = CheckpointDirectory(tmp_path)
    note = sign_checkpoint(checkpoint(9), signer)
    directory.write(note, checkpoint(9))
    directory.write(note, checkpoint(9))
    assert directory.all() == [note]
    assert len(list(tmp_path.iterdir())) == 1
    forked = Checkpoint("hoso.example/tinh-a", 9, hashlib.sha256(b"fork").digest(), WHEN)
    with pytest.raises(CheckpointConflict):
        directory.write(sign_checkpoint(forked, signer), forked)


def test_an_inspector_opens_the_latest_copy_with_the_public_key_alone(tmp_path: Path) -> None:
    key_path, pub_path = generate_keypair(tmp_path / "keys")
    directory = CheckpointDirectory(tmp_path / "checkpoints")
    sink: CheckpointSink = directory
    made = checkpoint(12)
    sink.write(sign_checkpoint(made, load_signer(key_path)), made)
    latest = directory.latest()
    assert latest is not None
    assert open_checkpoint(latest, load_verifier(pub_path), origin=made.origin) == made


# --- CheckpointPolicy ------------------------------------------------------------------------


@pytest.mark.parametrize(("events", "seconds", "due"), [
    (0, 0.0, False),
    (0, 10_000.0, False),  # nothing new since the last checkpoint: nothing to sign
    (1, 0.0, False),
    (99, 299.9, False),
    (100, 0.0, True),
    (250, 1.0, True),
    (1, 300.0, True),
    (1, 301.5, True),
])
def test_policy_is_due_every_n_events_or_t_seconds_whichever_first(
        events: int, seconds: float, due: bool) -> None:
    assert CheckpointPolicy(every_events=100, every_seconds=300).due(events, seconds) is due


def test_zero_disables_a_trigger() -> None:
    events_only = CheckpointPolicy(every_events=10, every_seconds=0)
    assert not events_only.due(9, 1e9)
    assert events_only.due(10, 0)
    time_only = CheckpointPolicy(every_events=0, every_seconds=60)
    assert not time_only.due(1_000_000, 59.9)
    assert time_only.due(1, 60)
    never = CheckpointPolicy(every_events=0, every_seconds=0)
    assert not never.due(1_000_000, 1e9)


@pytest.mark.parametrize(("events", "seconds"), [
    (-1, 0.0), (0, -1.0), (0, float("nan")), (0, float("inf")), (True, 0.0), (1.5, 0.0),
])
def test_policy_refuses_negative_or_odd_triggers(events: Any, seconds: float) -> None:
    with pytest.raises(InvalidCheckpointPolicy):
        CheckpointPolicy(every_events=events, every_seconds=seconds)

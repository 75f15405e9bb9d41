"""A long-running signer follows a key rotation: it signs with the new key once the key file
holds it, and with neither key where neither may sign."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from events.evidence.checkpoints import CheckpointDirectory
from events.evidence.keys import generate_keypair, load_signer, replace_keypair
from events.evidence.notes import Signer, Verifier
from events.evidence.rotation import Rotation
from events.evidence.signing_keys import FollowedKey

ORIGIN = "hoso.test/log"
NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def signer_for(keys: FollowedKey, size: int) -> Verifier | None:
    """The public key of the key that may sign ``size`` leaves now, or None."""
    signer = keys.for_size(size)
    return None if signer is None else signer.verifier


def keep_rotation(folder: CheckpointDirectory, old: Signer, new: Signer, from_size: int,
                  signed_by_old: bool = True) -> None:
    """A statement kept and marked as ``hoso audit rotate-key`` keeps it."""
    rotation = Rotation(ORIGIN, from_size, old.verifier, new.verifier, NOW)
    folder.write_rotation(rotation.sign(new, old if signed_by_old else None), rotation)
    folder.mark_rotation()


def test_the_new_key_signs_from_the_rotation_once_the_file_holds_it(tmp_path: Path) -> None:
    # GIVEN a signer following the key file, and a rotation to a new key from 10 leaves
    key_path, pub_path = generate_keypair(tmp_path / "keys")
    folder = CheckpointDirectory(tmp_path / "checkpoints")
    keys = FollowedKey(key_path, folder, ORIGIN)
    old = load_signer(key_path)
    new = Signer.generate(old.name)
    assert signer_for(keys, 12) == old.verifier
    keep_rotation(folder, old, new, 10)
    # WHEN the statement is kept but the file still holds the old key (rotate-key between its
    # two steps) THEN the old key signs below 10 and nothing signs from 10 on
    assert signer_for(keys, 9) == old.verifier
    assert signer_for(keys, 12) is None
    assert keys.waiting is not None
    assert "still holds a retired key" in keys.waiting
    # WHEN the new key replaces the old one in the file THEN it signs from 10 on, never below
    replace_keypair(key_path, pub_path, new)
    assert signer_for(keys, 12) == new.verifier
    assert keys.waiting is None
    assert signer_for(keys, 9) is None


def test_a_statement_the_old_key_did_not_sign_retires_nothing(tmp_path: Path) -> None:
    # GIVEN a statement naming the server's key as old, signed by its "new" key only (anyone
    # who can write into the checkpoint folder can make one)
    key_path, _ = generate_keypair(tmp_path / "keys")
    folder = CheckpointDirectory(tmp_path / "checkpoints")
    keys = FollowedKey(key_path, folder, ORIGIN)
    old = load_signer(key_path)
    keep_rotation(folder, old, Signer.generate(old.name), 5, signed_by_old=False)
    # THEN the server's key goes on signing every size
    assert signer_for(keys, 7) == old.verifier
    assert keys.waiting is None


def test_a_rotation_of_another_log_retires_nothing(tmp_path: Path) -> None:
    key_path, _ = generate_keypair(tmp_path / "keys")
    folder = CheckpointDirectory(tmp_path / "checkpoints")
    keys = FollowedKey(key_path, folder, "hoso.test/another-log")
    old = load_signer(key_path)
    keep_rotation(folder, old, Signer.generate(old.name), 5)
    assert signer_for(keys, 7) == old.verifier


def test_no_checkpoint_is_signed_while_a_rotation_holds_the_lock(tmp_path: Path) -> None:
    # GIVEN a rotation holding the checkpoint folder's lock (rotate-key, from choosing the
    # size to replacing the key)
    key_path, _ = generate_keypair(tmp_path / "keys")
    folder = CheckpointDirectory(tmp_path / "checkpoints")
    keys = FollowedKey(key_path, folder, ORIGIN)
    entered = threading.Event()

    def sign() -> None:
        with keys.signing(3):
            entered.set()

    with folder.rotation_lock(exclusive=True):
        signer = threading.Thread(target=sign)
        signer.start()
        # THEN a signature waits for it
        assert not entered.wait(0.3)
    # WHEN the rotation is done THEN the signature goes ahead
    assert entered.wait(5)
    signer.join(5)

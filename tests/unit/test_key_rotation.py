"""Key rotation statements and the key ring built from them: each checkpoint verifies only with
the key of its size, trust runs back from the current key and never forward from a retired one,
and a witness that knows both keys of a rotated log cosigns either."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from events.evidence.checkpoints import CheckpointDirectory
from events.evidence.cosignature import CosignatureSigner
from events.evidence.keys import generate_keypair, load_signer, load_verifier, replace_keypair
from events.evidence.merkle import MerkleTree
from events.evidence.notes import (
    Checkpoint,
    InvalidSignature,
    Signer,
    UnverifiedNote,
    sign_checkpoint,
    sign_note,
)
from events.evidence.rotation import KeyRing, MalformedRotation, Rotation, open_rotation
from events.evidence.witness.protocol import AddCheckpoint
from events.evidence.witness.server import Witness
from events.evidence.witness.state import EvidenceFolder, WitnessState

ORIGIN = "hoso.example/tinh-a"
WHEN = datetime(2026, 12, 1, 8, 0, 0, tzinfo=UTC)
TREE = MerkleTree(hashlib.sha256(bytes([n])).digest() for n in range(40))


def checkpoint(size: int, signer: Signer, origin: str = ORIGIN) -> str:
    return sign_checkpoint(Checkpoint(origin, size, TREE.root(size), WHEN), signer)


def rotated(old: Signer, new: Signer, from_size: int, *, by_old: bool = True) -> str:
    rotation = Rotation(ORIGIN, from_size, old.verifier, new.verifier, WHEN)
    return rotation.sign(new, old if by_old else None)


@pytest.fixture
def keys() -> list[Signer]:
    return [Signer.generate("hoso-audit") for _ in range(3)]


def test_a_statement_reads_back_and_names_both_keys(keys: list[Signer]) -> None:
    note = rotated(keys[0], keys[1], 10)
    rotation, old_signed = open_rotation(note)
    assert (rotation.from_size, rotation.old, rotation.new, old_signed) == (
        10, keys[0].verifier, keys[1].verifier, True)
    assert note.startswith("hoso-audit-key-rotation/1\norigin hoso.example/tinh-a\nfrom 10\n")
    assert f"+{keys[0].key_id:08x}+" in note
    assert f"+{keys[1].key_id:08x}+" in note


@pytest.mark.parametrize(("change", "error"), [
    (lambda n: n.replace("from 10", "from 11"), InvalidSignature),
    (lambda n: n.replace("from 10", "from 010"), MalformedRotation),
    (lambda n: n.replace("hoso-audit-key-rotation/1", "hoso-audit-key-rotation/2"),
     MalformedRotation),
])
def test_an_altered_statement_is_refused(keys: list[Signer], change, error) -> None:
    with pytest.raises(error):
        open_rotation(change(rotated(keys[0], keys[1], 10)))


def test_a_statement_without_the_new_keys_signature_is_refused(keys: list[Signer]) -> None:
    rotation = Rotation(ORIGIN, 10, keys[0].verifier, keys[1].verifier, WHEN)
    with pytest.raises(UnverifiedNote, match="not signed by its new key"):
        open_rotation(sign_note(rotation.to_text(), keys[0]))


def test_each_checkpoint_verifies_only_with_the_key_of_its_size(keys: list[Signer]) -> None:
    """GIVEN keys 0 → 1 from size 10 → 2 from size 20, pinned to key 2 THEN key 0 signs 0–9,
    key 1 10–19, key 2 20 on, and a key outside its sizes is named as retired."""
    statements = [rotated(keys[0], keys[1], 10), rotated(keys[1], keys[2], 20)]
    ring = KeyRing.build(keys[2].verifier, reversed(statements), ORIGIN)
    assert [(p.verifier, p.first, p.end) for p in ring.periods] == [
        (keys[0].verifier, 0, 10), (keys[1].verifier, 10, 20), (keys[2].verifier, 20, None)]
    assert ring.problems == []
    for size, signer in ((3, 0), (9, 0), (10, 1), (19, 1), (20, 2), (40, 2)):
        assert ring.open_checkpoint(checkpoint(size, keys[signer]), ORIGIN).size == size
    with pytest.raises(UnverifiedNote, match=r"retired key .* signs sizes 0–9\), not for size 10"):
        ring.open_checkpoint(checkpoint(10, keys[0]), ORIGIN)
    with pytest.raises(UnverifiedNote, match="not for size 5"):
        ring.open_checkpoint(checkpoint(5, keys[2]), ORIGIN)
    with pytest.raises(UnverifiedNote, match="is from 'another/log'"):
        ring.open_checkpoint(checkpoint(25, keys[2], origin="another/log"), ORIGIN)


def test_a_retired_key_cannot_name_a_successor_of_its_own(keys: list[Signer]) -> None:
    """GIVEN key 0 rotated to key 1 from size 10, and key 0 stolen WHEN the thief signs a
    rotation of key 0 to a key of their own THEN a ring pinned to key 1 ignores it; pinned to
    key 0 it trusts no successor either: it only says one exists."""
    thief = keys[2]
    genuine, forged = rotated(keys[0], keys[1], 10), rotated(keys[0], thief, 10)
    ring = KeyRing.build(keys[1].verifier, [genuine, forged], ORIGIN)
    assert [p.verifier for p in ring.periods] == [keys[0].verifier, keys[1].verifier]
    with pytest.raises(UnverifiedNote):
        ring.open_checkpoint(checkpoint(30, thief), ORIGIN)
    old_ring = KeyRing.build(keys[0].verifier, [genuine], ORIGIN)
    assert [p.verifier for p in old_ring.periods] == [keys[0].verifier]
    with pytest.raises(UnverifiedNote, match=r"names hoso-audit\+[0-9a-f]{8} from size 10: "
                                             "verify with the log's current public key"):
        old_ring.open_checkpoint(checkpoint(30, keys[1]), ORIGIN)


def test_statements_that_disagree_or_go_forward_are_not_used(keys: list[Signer]) -> None:
    two_pasts = [rotated(keys[0], keys[2], 10), rotated(keys[1], keys[2], 12)]
    ring = KeyRing.build(keys[2].verifier, two_pasts, ORIGIN)
    assert [p.verifier for p in ring.periods] == [keys[2].verifier]
    assert "2 different rotations" in ring.problems[0]
    forward = [rotated(keys[1], keys[2], 20), rotated(keys[0], keys[1], 25)]
    ring = KeyRing.build(keys[2].verifier, forward, ORIGIN)
    assert [p.verifier for p in ring.periods] == [keys[1].verifier, keys[2].verifier]
    assert "does not go back" in ring.problems[0]
    ring = KeyRing.build(keys[1].verifier, ["not a note"], ORIGIN)
    assert ring.problems
    assert ring.periods[0].first == 0


def test_a_rotation_of_another_log_is_ignored(keys: list[Signer]) -> None:
    ring = KeyRing.build(keys[1].verifier, [rotated(keys[0], keys[1], 10)], "another/log")
    assert [p.verifier for p in ring.periods] == [keys[1].verifier]


def test_statements_are_kept_beside_the_checkpoints_and_keys_replaced_whole(
        tmp_path: Path, keys: list[Signer]) -> None:
    folder = CheckpointDirectory(tmp_path / "checkpoints")
    rotation = Rotation(ORIGIN, 10, keys[0].verifier, keys[1].verifier, WHEN)
    note = rotation.sign(keys[1], keys[0])
    path = folder.write_rotation(note, rotation)
    assert path.name == f"000000000010-{keys[0].key_id:08x}-{keys[1].key_id:08x}.rotation"
    assert folder.write_rotation(note, rotation) == path  # the same statement twice: harmless
    assert folder.rotations() == [note]
    assert folder.paths() == []
    private, public = generate_keypair(tmp_path / "keys")
    replace_keypair(private, public, keys[1])
    assert load_signer(private).verifier == keys[1].verifier == load_verifier(public)
    assert oct(private.stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["audit.key", "audit.pub"]


def test_a_witness_that_knows_both_keys_cosigns_either(tmp_path: Path,
                                                       keys: list[Signer]) -> None:
    signer = CosignatureSigner.generate("witness.example/w1")
    state = WitnessState(tmp_path / "state.json", signer.verifier.label)
    state.save()
    witness = Witness(signer, {ORIGIN: [keys[0].verifier, keys[1].verifier]}, state,
                      EvidenceFolder(tmp_path / "evidence"))
    first = witness.add_checkpoint(AddCheckpoint(0, (), checkpoint(10, keys[0])).to_bytes())
    proof = tuple(TREE.consistency_proof(10, 12))
    second = witness.add_checkpoint(AddCheckpoint(10, proof, checkpoint(12, keys[1])).to_bytes())
    stranger = witness.add_checkpoint(AddCheckpoint(12, (), checkpoint(12, keys[2])).to_bytes())
    assert (first.status, second.status, stranger.status) == (200, 200, 403)

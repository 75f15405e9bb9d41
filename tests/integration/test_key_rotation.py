"""Key rotation and the compromise drill, with two live witnesses, on SQLite and PostgreSQL.

The operator rotates with ``hoso audit rotate-key`` and gives the witnesses the new key only,
as the operations notes say to when a key was stolen. The old key's checkpoints keep verifying
(in the store, in exports made before and after); whatever the stolen key signs for a tree from
the rotation's size on is refused by verify and by the witnesses; and history below that size,
rewritten and signed again with the stolen key, is caught by the witnesses' checkpoints.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from events.evidence.keys import load_signer, load_verifier
from events.evidence.merkle import MerkleTree
from events.evidence.notes import Checkpoint, Signer, open_checkpoint, sign_checkpoint
from events.evidence.witness.client import Refused, WitnessClient, WitnessEndpoint
from events.evidence.witness.protocol import AddCheckpoint
from events.export.files import load_export
from events.export.offline import verify_export
from tests.hoso_cli import Hoso
from tests.integration.test_tamper_drills import Database, rebuild_consistently
from tests.witnessed import ORIGIN, Witnessed


@dataclass
class Rotated:
    """The log after a rotation: the stolen old key, the size the new key signs from, and an
    export made before the rotation."""

    stolen: Signer
    from_size: int
    before: Path
    old_public: Path


def rotate(witnessed: Witnessed, tmp_path: Path) -> Rotated:
    """GIVEN a log the old key signed and both witnesses cosigned, exported once, WHEN the
    operator runs rotate-key, restarts the witnesses knowing the new key only and the log
    grows THEN the new key signs and both witnesses cosign again."""
    hoso = Hoso(witnessed.env)
    witnessed.record(3)
    witnessed.checkpoint()
    assert hoso.ok("witness", "submit")["quorum"]["met"] is True
    before = tmp_path / "before.json"
    hoso.ok("audit", "export", witnessed.codes[0], "-o", str(before))
    public = Path(witnessed.env["HOSO_AUDIT_PUBLIC_KEY"])
    old_public = tmp_path / "old-audit.pub"
    old_public.write_text(public.read_text())
    stolen = witnessed.signer
    witnessed.record(1)
    rotated = hoso.ok("audit", "rotate-key")
    assert rotated["old_key"] == stolen.verifier.to_text()
    assert rotated["checkpoint"] == witnessed.log.size() >= rotated["from_size"]
    witnessed.signer = load_signer(Path(witnessed.env["HOSO_AUDIT_KEY"]))
    assert witnessed.signer.verifier.to_text() == rotated["new_key"] == public.read_text().strip()
    for witness in witnessed.witnesses:
        witness.stop()
        witness.log_keys = [public]
        witness.start()
    witnessed.record(2)
    witnessed.checkpoint()
    assert hoso.ok("witness", "submit")["quorum"]["met"] is True
    return Rotated(stolen, rotated["from_size"], before, old_public)


def test_the_old_keys_checkpoints_still_verify_after_a_rotation(
        witnessed: Witnessed, tmp_path: Path) -> None:
    """THEN verify is intact and names each key with the sizes it signs; an export made after
    the rotation verifies with the new key (the statement travels in it), also against the
    export made before; that one still verifies with the old key alone; and the old key alone
    no longer verifies the log, saying that a rotation names a newer key."""
    rotated = rotate(witnessed, tmp_path)
    hoso = Hoso(witnessed.env)
    verified = hoso.ok("audit", "verify")
    assert verified["intact"] is True, verified["findings"]
    assert verified["witnesses"]["quorum"]["met"] is True
    assert [(k["key"], k["from_size"], k["until_size"]) for k in verified["keys"]] == [
        (rotated.stolen.verifier.to_text(), 0, rotated.from_size - 1),
        (witnessed.signer.verifier.to_text(), rotated.from_size, None)]
    after = tmp_path / "after.json"
    hoso.ok("audit", "export", witnessed.codes[0], "-o", str(after))
    document = json.loads(after.read_text())
    assert len(document["key_rotations"]) == 1
    old_key = load_verifier(rotated.old_public)
    assert any(open_checkpoint(entry["checkpoint"], old_key)  # the old key's, by its key ID
               for entry in document["consistency"])
    checked = hoso.ok("audit", "verify-export", str(after), "--earlier", str(rotated.before))
    assert checked["valid"] is True, checked
    assert verify_export(load_export(rotated.before), old_key).valid
    with_old = verify_export(document, old_key)
    assert not with_old.valid
    assert any("verify with the log's current public key" in str(p) for p in with_old.problems)
    refused = hoso("audit", "verify", "--json", "--public-key", str(rotated.old_public))
    assert refused.code == 1


def test_what_the_stolen_key_signs_from_the_rotation_on_is_refused(
        witnessed: Witnessed, tmp_path: Path) -> None:
    """GIVEN the old key stolen and rotated out WHEN the thief signs a checkpoint for a size
    from the rotation on (the log's next size, over leaves of their own) and drops it beside
    the checkpoints THEN verify fails naming the retired key, and each witness refuses it (403)."""
    rotated = rotate(witnessed, tmp_path)
    size = witnessed.log.size() + 5
    tree = MerkleTree(hashlib.sha256(bytes([n % 256])).digest() for n in range(size))
    forged = sign_checkpoint(Checkpoint(ORIGIN, size, tree.root(), witnessed.clock()),
                             rotated.stolen)
    folder = Path(witnessed.env["HOSO_DATA_DIR"]) / "checkpoints"
    (folder / f"{size:012d}-20261201T000000Z.checkpoint").write_text(forged)
    result = Hoso(witnessed.env)("audit", "verify", "--json")
    assert result.code == 1, result.stdout
    details = [f["detail"] for f in result.json()["findings"] if f["kind"] == "checkpoint"]
    assert any("retired key" in d and f"not for size {size}" in d for d in details), details
    for witness in witnessed.witnesses:
        client = WitnessClient(WitnessEndpoint(witness.name, witness.url, witness.verifier), 10)
        try:
            answer = client.add_checkpoint(AddCheckpoint(0, (), forged))
        finally:
            client.close()
        assert isinstance(answer, Refused)
        assert answer.status == 403


def test_history_below_the_rotation_rewritten_with_the_stolen_key_is_caught(
        witnessed: Witnessed, store_env: dict[str, str], tmp_path: Path) -> None:
    """GIVEN the old key stolen and rotated out WHEN an insider rewrites an event below the
    rotation's size, recomputes every leaf, deletes every checkpoint and cosignature (table and
    folder, the statement kept) and signs the rewritten log with the stolen key up to the last
    size it may sign THEN verify fails: the root each witness cosigned (signed by the new key)
    is not the rewritten tree's."""
    rotated = rotate(witnessed, tmp_path)
    db = Database(witnessed.custody, store_env)
    rebuild_consistently(db, 2)
    with db.cursor() as c:
        c.execute(f"DELETE FROM {db.events}_checkpoints")
        c.execute(f"DELETE FROM {db.events}_cosignatures")
    folder = Path(witnessed.env["HOSO_DATA_DIR"]) / "checkpoints"
    for path in folder.iterdir():
        if path.suffix != ".rotation":
            path.unlink()
    size = rotated.from_size - 1
    witnessed.log.sign(rotated.stolen, witnessed.clock(), size, witnessed.log.tree().root(size))
    result = Hoso(witnessed.env)("audit", "verify", "--json")
    assert result.code == 1, result.stdout
    report = result.json()
    rewritten = [f["detail"] for f in report["findings"] if f["kind"] == "checkpoint"]
    for witness in witnessed.witnesses:
        assert any(f"witness {witness.verifier.label}" in detail
                   and "history was rewritten" in detail for detail in rewritten), rewritten

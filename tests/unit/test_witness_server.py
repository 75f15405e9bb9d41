"""The witness's decisions, in process: what it cosigns, what it refuses and keeps as evidence,
and that a restart from its state file changes neither."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from events.evidence.cosignature import CosignatureSigner, check_quorum
from events.evidence.merkle import MerkleTree
from events.evidence.notes import Checkpoint, Signer, Verifier, sign_checkpoint
from events.evidence.witness.protocol import AddCheckpoint, parse_cosignature_lines
from events.evidence.witness.server import Answer, Witness
from events.evidence.witness.state import EvidenceFolder, WitnessState, WitnessStateError

ORIGIN = "hoso.example/tinh-a"
VECTORS = Path(__file__).parents[1] / "vectors" / "c2sp"


class Log:
    """A log of numbered leaves whose checkpoints its key signs; ``forked`` ones differ."""

    def __init__(self, signer: Signer, salt: bytes = b"") -> None:
        self.signer = signer
        self.tree = MerkleTree()
        self.salt = salt

    def grow(self, to: int) -> None:
        while self.tree.size < to:
            self.tree.append(hashlib.sha256(self.salt + str(self.tree.size).encode()).digest())

    def request(self, old: int, size: int, signer: Signer | None = None) -> bytes:
        self.grow(size)
        checkpoint = Checkpoint(ORIGIN, size, self.tree.root(size), datetime.now(UTC))
        note = sign_checkpoint(checkpoint, signer or self.signer)
        proof = self.tree.consistency_proof(old, size) if old <= size else []
        return AddCheckpoint(old, tuple(proof), note).to_bytes()


@pytest.fixture
def log_key() -> Signer:
    return Signer.generate("hoso-audit")


@pytest.fixture
def witness_key() -> CosignatureSigner:
    return CosignatureSigner.generate("witness.example/w1")


def open_witness(tmp_path: Path, witness_key: CosignatureSigner, log_key: Signer) -> Witness:
    state = WitnessState(tmp_path / "state.json", witness_key.verifier.label)
    if not state.load():
        state.save()
    return Witness(witness_key, {ORIGIN: [log_key.verifier]}, state,
                   EvidenceFolder(tmp_path / "evidence"), clock=lambda: 1_800_000_000)


def evidence(tmp_path: Path) -> list[str]:
    return [json.loads(p.with_suffix(".json").read_text())["why"]
            for p in EvidenceFolder(tmp_path / "evidence").files()]


def test_it_cosigns_the_first_checkpoint_and_then_each_consistent_one(
        tmp_path: Path, witness_key: CosignatureSigner, log_key: Signer) -> None:
    witness = open_witness(tmp_path, witness_key, log_key)
    log = Log(log_key)
    for old, size in ((0, 5), (5, 13), (13, 13), (13, 64)):
        body = log.request(old, size)
        answer = witness.add_checkpoint(body)
        assert answer.status == 200, answer.body
        note = AddCheckpoint.parse(body).note
        assert check_quorum(note, [answer.body.decode()], [witness_key.verifier], 1).met
        assert [line.name for line in parse_cosignature_lines(answer.body)] == [
            "witness.example/w1"]
    assert witness.state.head(ORIGIN).size == 64
    latest = witness.latest(ORIGIN)
    assert latest is not None
    assert check_quorum(latest, [], [witness_key.verifier], 1).met
    assert evidence(tmp_path) == []


def test_a_stale_old_size_is_answered_with_the_size_it_holds(
        tmp_path: Path, witness_key: CosignatureSigner, log_key: Signer) -> None:
    witness = open_witness(tmp_path, witness_key, log_key)
    log = Log(log_key)
    assert witness.add_checkpoint(log.request(0, 8)).status == 200
    answer = witness.add_checkpoint(log.request(0, 10))
    assert (answer.status, answer.content_type, answer.body) == (409, "text/x.tlog.size", b"8\n")
    assert evidence(tmp_path) == []  # learning the size is how the protocol starts
    assert witness.add_checkpoint(log.request(8, 10)).status == 200


REFUSALS = {
    # name: (what the log sends after the witness cosigned 8 leaves, status, evidence kept)
    "a fork: the same size, another root": (lambda fork, log: fork.request(8, 8), 409, "fork"),
    "a rollback: a smaller tree": (lambda fork, log: log.request(0, 5), 409, "rollback"),
    "a fork grown further: the proof fails": (lambda fork, log: fork.request(8, 12), 422,
                                              "bad-proof"),
    "an old size beyond the checkpoint": (lambda fork, log: log.request(9, 8), 400,
                                          "old-beyond-size"),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
@pytest.mark.parametrize("restart", [False, True], ids=["running", "after a restart"])
def test_it_never_cosigns_a_fork_or_a_rollback(
        tmp_path: Path, witness_key: CosignatureSigner, log_key: Signer, case: str,
        restart: bool) -> None:
    """GIVEN a witness that cosigned the log at 8 leaves (and, maybe, restarted since) WHEN the
    log's key signs a fork or a smaller tree THEN it refuses, keeps the request as evidence and
    still holds 8 leaves with the root it cosigned."""
    witness = open_witness(tmp_path, witness_key, log_key)
    log, fork = Log(log_key), Log(log_key, salt=b"forged")
    assert witness.add_checkpoint(log.request(0, 8)).status == 200
    held = witness.state.head(ORIGIN)
    if restart:
        witness = open_witness(tmp_path, witness_key, log_key)
    make, status, why = REFUSALS[case]
    body = make(fork, log)
    answer = witness.add_checkpoint(body)
    assert answer.status == status
    if status == 409:
        assert answer.body == b"8\n"
    assert witness.state.head(ORIGIN) == held
    assert evidence(tmp_path) == [why]
    kept = EvidenceFolder(tmp_path / "evidence").files()[0]
    assert kept.read_bytes() == body
    meta = json.loads(kept.with_suffix(".json").read_text())
    assert meta["held_size"] == 8
    assert meta["held_checkpoint"] == held.note


def test_requests_the_log_did_not_sign_are_refused_and_not_kept(
        tmp_path: Path, witness_key: CosignatureSigner, log_key: Signer) -> None:
    witness = open_witness(tmp_path, witness_key, log_key)
    log = Log(log_key)
    stranger = Signer.generate("hoso-audit")  # same name, another key: an unknown key
    assert witness.add_checkpoint(log.request(0, 4, stranger)).status == 403
    other_origin = log.request(0, 4).replace(ORIGIN.encode(), b"other.example/log")
    assert witness.add_checkpoint(other_origin).status == 404
    assert witness.add_checkpoint(b"old 0\n\nnot a note\n").status == 400
    assert witness.add_checkpoint(log.request(0, 4).replace(b"old 0", b"old 00")).status == 400
    assert evidence(tmp_path) == []
    assert witness.state.head(ORIGIN).size == 0


def test_a_damaged_or_foreign_state_file_stops_the_witness(
        tmp_path: Path, witness_key: CosignatureSigner, log_key: Signer) -> None:
    witness = open_witness(tmp_path, witness_key, log_key)
    assert witness.add_checkpoint(Log(log_key).request(0, 3)).status == 200
    other = CosignatureSigner.generate("witness.example/w2")
    with pytest.raises(WitnessStateError, match="belongs to the witness"):
        WitnessState(tmp_path / "state.json", other.verifier.label).load()
    (tmp_path / "state.json").write_text('{"format": "hoso-witness-state/1", "logs": 7}')
    with pytest.raises(WitnessStateError, match="never start this witness afresh"):
        WitnessState(tmp_path / "state.json", witness_key.verifier.label).load()


def test_racing_requests_never_roll_the_state_back(
        tmp_path: Path, witness_key: CosignatureSigner, log_key: Signer) -> None:
    """GIVEN two requests from the same old size WHEN they race THEN one is cosigned and the
    other gets 409: the check and the new state are one step."""
    witness = open_witness(tmp_path, witness_key, log_key)
    log = Log(log_key)
    assert witness.add_checkpoint(log.request(0, 10)).status == 200
    bodies = [log.request(10, 20), log.request(10, 30)]
    answers: list[Answer] = []
    threads = [threading.Thread(target=lambda b=b: answers.append(witness.add_checkpoint(b)))
               for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status for a in answers) == [200, 409]
    held = witness.state.head(ORIGIN).size
    assert held in (20, 30)
    on_disk = WitnessState(tmp_path / "state.json", witness_key.verifier.label)
    assert on_disk.load()
    assert on_disk.head(ORIGIN).size == held


def test_it_witnesses_a_real_log_of_another_implementation(
        tmp_path: Path, witness_key: CosignatureSigner) -> None:
    """A checkpoint of transparency.dev's arche2025h1 log (tests/vectors/c2sp), already
    cosigned by four public witnesses, is cosigned from size 0 with that log's key."""
    keys = json.loads((VECTORS / "keys.json").read_text())
    log_key = Verifier.parse(keys["arche2025h1_log_vkey"])
    note = (VECTORS / "arche2025h1-cosigned.txt").read_text()
    state = WitnessState(tmp_path / "state.json", witness_key.verifier.label)
    witness = Witness(witness_key, {"arche2025h1.staging.ct.transparency.dev": [log_key]}, state,
                      EvidenceFolder(tmp_path / "evidence"))
    answer = witness.add_checkpoint(AddCheckpoint(0, (), note).to_bytes())
    assert answer.status == 200
    assert check_quorum(note, [answer.body.decode()], [witness_key.verifier], 1).met
    assert witness.state.head("arche2025h1.staging.ct.transparency.dev").size == 1432088532

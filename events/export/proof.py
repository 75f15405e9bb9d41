"""A citizen's custody proof, and its offline check: a dossier's steps are entries of the log.

The public lookup hands it out (``hoso-custody-proof/1``, JSON). It carries, for each recorded
step of the dossier, the step's version, its leaf index and leaf hash and the inclusion proof of
that leaf in the tree of one signed checkpoint, which carries the witnesses' cosignatures. It
carries no record: a leaf hashes the event's whole stored record, personal data and staff ids
included, so the citizen gets the hashes, not what they hash. What the proof shows is therefore
that the log committed to these entries for this dossier as of that checkpoint, signed by the
log's key and cosigned by the witnesses, where an inspector holding the records can show each
one is the entry the citizen holds; not what each step says. Steps recorded after the
checkpoint have no proof yet.

:func:`verify_proof` needs the standard library and ``cryptography`` only, as the export's
verifier: the log's public key (with the rotation statements the proof carries), and the
witnesses' keys when cosignatures are to be counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from events.evidence.cosignature import CosignatureVerifier, Quorum, check_quorum
from events.evidence.notes import Checkpoint, NoteError, Verifier
from events.evidence.rotation import KeyRing
from events.evidence.verify import VerificationError, verify_inclusion
from events.export.files import MalformedExport

PROOF_FORMAT = "hoso-custody-proof/1"


@dataclass
class ProofReport:
    """What the check of one proof found; ``valid`` when nothing is wrong."""

    code: str
    origin: str
    key: str
    steps: int = 0
    proven: int = 0
    checkpoint: Checkpoint | None = None
    witnesses: Quorum | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems and self.checkpoint is not None

    def to_dict(self) -> dict[str, Any]:
        cp = self.checkpoint
        return {
            "valid": self.valid, "kind": "custody proof", "code": self.code,
            "origin": self.origin, "key": self.key, "steps": self.steps, "proven": self.proven,
            "checkpoint": None if cp is None else {
                "size": cp.size, "time": cp.time.isoformat(), "fingerprint": cp.fingerprint},
            "witnesses": None if self.witnesses is None else self.witnesses.to_dict(),
            "problems": self.problems,
        }

    def lines(self) -> list[str]:
        cp = self.checkpoint
        head = (f"VALID: {self.proven} of {self.code}'s {self.steps} steps are in the log "
                f"{self.origin} as of its checkpoint of {cp.size} entries signed "
                f"{cp.time:%Y-%m-%d %H:%M:%S}Z" if self.valid and cp else
                f"INVALID: {self.code}: " + "; ".join(self.problems))
        witnessed = [f"witnesses: {self.witnesses.describe()}"] if self.witnesses else []
        later = self.steps - self.proven
        return [head, *witnessed, *([f"{later} later steps are not in that checkpoint yet"]
                                    if later and self.valid else [])]


def verify_proof(document: Mapping[str, Any], verifier: Verifier | KeyRing,
                 witnesses: Sequence[CosignatureVerifier] = (), quorum: int = 0
                 ) -> ProofReport:
    """Check a custody proof with the log's public key; with a ``quorum``, its checkpoint must
    carry that many valid cosignatures by ``witnesses``. MalformedExport when it is no proof."""
    steps = _shape(document)
    origin = document["origin"]
    keys = (KeyRing.build(verifier, document.get("key_rotations", []), origin)
            if isinstance(verifier, Verifier) else verifier)
    report = ProofReport(document["code"], origin, keys.label, steps=len(steps))
    report.problems.extend(keys.problems)
    try:
        report.checkpoint = keys.open_checkpoint(document["checkpoint"], origin)
    except NoteError as error:
        report.problems.append(f"the checkpoint is not validly signed by {keys.label}: {error}")
        return report
    if witnesses or quorum:
        report.witnesses = check_quorum(document["checkpoint"], [], witnesses, quorum)
        if quorum and not report.witnesses.met:
            report.problems.append(f"the checkpoint lacks its quorum: "
                                   f"{report.witnesses.describe()}")
    _check_steps(steps, report.checkpoint, report)
    return report


def _check_steps(steps: list[Mapping[str, Any]], checkpoint: Checkpoint,
                 report: ProofReport) -> None:
    seen: set[int] = set()
    last_version = 0
    for step in steps:
        version, index = step["version"], step["leaf_index"]
        if version <= last_version:
            report.problems.append(f"step {version} is out of order or repeated")
        last_version = version
        if step["inclusion_proof"] is None:
            continue
        if index is None or step["leaf_hash"] is None or index in seen:
            report.problems.append(f"step {version} has no leaf, or another step's")
            continue
        seen.add(index)
        try:
            verify_inclusion(_hash(step["leaf_hash"]), index, checkpoint.size,
                             [_hash(h) for h in step["inclusion_proof"]], checkpoint.root)
        except (VerificationError, ValueError) as error:
            report.problems.append(f"step {version} (leaf {index}) is not in the checkpoint: "
                                   f"{error}")
            continue
        report.proven += 1


def _hash(text: str) -> bytes:
    raw = bytes.fromhex(text)
    if len(raw) != 32:
        raise ValueError(f"{text[:16]}… is not a 32-byte hash")
    return raw


def _shape(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The steps, once every part has the proof's shape; MalformedExport otherwise."""
    if not isinstance(document, Mapping) or document.get("format") != PROOF_FORMAT:
        raise MalformedExport(f"not a {PROOF_FORMAT} document")
    for name, kind in (("code", str), ("origin", str), ("checkpoint", str), ("steps", list)):
        if not isinstance(document.get(name), kind):
            raise MalformedExport(f"the proof's {name!r} is missing or not a {kind.__name__}")
    rotations = document.get("key_rotations", [])
    if not isinstance(rotations, list) or not all(isinstance(n, str) for n in rotations):
        raise MalformedExport("the proof's 'key_rotations' is not a list of signed notes")
    for n, step in enumerate(document["steps"]):
        if not (isinstance(step, Mapping) and _int(step.get("version"))
                and (step.get("leaf_index") is None or _int(step.get("leaf_index"), 0))
                and (step.get("leaf_hash") is None or isinstance(step.get("leaf_hash"), str))
                and (step.get("inclusion_proof") is None
                     or (isinstance(step.get("inclusion_proof"), list)
                         and all(isinstance(h, str) for h in step["inclusion_proof"])))):
            raise MalformedExport(f"the proof's steps[{n}] does not have a step's shape")
    return list(document["steps"])


def _int(value: object, least: int = 1) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def proof_document(code: str, origin: str, checkpoint_note: str,
                   steps: Sequence[tuple[int, int | None, bytes | None, list[bytes] | None]],
                   rotations: Sequence[str] = ()) -> dict[str, Any]:
    """The proof document: ``steps`` are (version, leaf index, leaf hash, inclusion proof),
    the last three None for a step the checkpoint does not cover yet."""
    return {
        "format": PROOF_FORMAT, "code": code, "origin": origin,
        "made": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "checkpoint": checkpoint_note,
        "steps": [{"version": version, "leaf_index": index,
                   "leaf_hash": leaf.hex() if leaf is not None else None,
                   "inclusion_proof": None if proof is None else [h.hex() for h in proof]}
                  for version, index, leaf, proof in steps],
        **({"key_rotations": list(rotations)} if rotations else {}),
    }

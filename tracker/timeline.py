"""A dossier's custody timeline for an inspector: each event with who, where, when, on which
device and in which bag, and whether the log proves it against the latest signed checkpoint.

Each event's leaf is recomputed from its stored record, compared with the stored leaf, and
proven by an inclusion proof against the newest checkpoint in the store, whose signature is
checked with the log's public key (and the key rotations the checkpoint folder keeps). An event
the checkpoint does not reach yet is not verified, for that reason; so is an event whose record
no longer gives its leaf, naming which. The human fields come from the application's history;
a dossier whose stored events no longer replay is shown from the records themselves.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from events.evidence.audit import StoredRecord
from events.evidence.inclusion import LeafProof, ProofUnavailable
from events.evidence.keys import KeyFileError, load_verifier
from events.evidence.notes import Checkpoint, NoteError, split_note
from events.evidence.rotation import KeyRing
from events.evidence.verify import VerificationError, verify_inclusion
from tracker.bootstrap import Services
from tracker.domain.codes import DossierCode
from tracker.domain.errors import N_, HosoError, UnknownReference

NOT_COVERED = "not yet covered by a checkpoint"
FAILURES = ("not_covered", "leaf_mismatch", "no_leaf", "inclusion", "checkpoint")
STATED = ("actor", "office", "device", "manifest", "bag", "device_time", "to_office")
"""What a timeline row takes from a record that no longer replays (the custodian is unknown)."""
"""Why a step is not verified: after the newest checkpoint; its record no longer gives its
leaf; it has no leaf; its inclusion proof fails; no trustworthy checkpoint to prove it against."""


@dataclass(frozen=True)
class CheckpointRef:
    """The signed checkpoint events were proven against: its size, signing time and key."""

    size: int
    time: str
    key: str  # name+key ID of the key whose signature was checked
    fingerprint: str


@dataclass(frozen=True)
class TimelineEvent:
    """One step of the dossier and its verification (``reason`` says why when not verified)."""

    version: int
    type: str
    time: str | None  # record time
    actor: str | None
    office: str | None
    device: str | None
    bag: str | None  # HandedOver's manifest, Accepted's bag
    device_time: str | None
    late: bool
    to_office: str | None
    custodian: str | None
    position: int
    leaf_index: int | None
    verified: bool
    failure: str | None  # what failed, as a word: one of FAILURES
    reason: str | None  # what failed, in a sentence
    checkpoint: CheckpointRef | None


@dataclass(frozen=True)
class Timeline:
    code: str
    checkpoint: CheckpointRef | None
    problem: str | None  # what kept every event from being proven, if anything
    events: list[TimelineEvent]

    @property
    def verified(self) -> bool:
        return bool(self.events) and all(event.verified for event in self.events)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "verified": self.verified,
                "checkpoint": None if self.checkpoint is None else asdict(self.checkpoint),
                "problem": self.problem, "events": [asdict(e) for e in self.events]}


def timeline(wired: Services, code: str, as_of: datetime | None = None) -> Timeline:
    """The timeline of ``code`` (its events up to ``as_of`` when given); UnknownReference
    when the log holds no event of it."""
    code = str(DossierCode.parse(code))
    recorder = wired.tamper_evident_log().recorder
    records = recorder.select_aggregate_records(DossierCode.parse(code).dossier_id)
    if not records:
        raise UnknownReference(N_("unknown dossier {code}"), code=code)
    rows = _rows(wired, code)
    checkpoint, ref, problem = _checkpoint(wired)
    proofs: list[LeafProof] | None = None
    last_covered: int | None = None
    if checkpoint is not None and problem is None:
        try:
            proofs = wired.inclusion_prover().prove([r.position for r in records],
                                                    checkpoint.size, checkpoint.root)
        except ProofUnavailable as error:
            problem = f"no proof against checkpoint {checkpoint.size}: {error}"
        if proofs is not None and any(p.proof is None for p in proofs):
            covered = recorder.select_records_from_leaf(checkpoint.size - 1, 1)
            last_covered = covered[0].position if covered else None
    events = []
    failure: str | None
    reason: str | None
    for n, record in enumerate(records):
        row = rows.get(record.version) or record.stated(STATED)
        if as_of is not None and _after(row.get("time"), as_of):
            break
        if proofs is None or checkpoint is None:
            failure, reason = "checkpoint", problem or "the log has no signed checkpoint yet"
            index = None
        else:
            failure, reason = _check(record, proofs[n], checkpoint, last_covered)
            index = proofs[n].leaf_index
        events.append(_event(record, row, index, failure, reason,
                             None if failure else ref))
    return Timeline(code, ref, problem, events)


def _check(record: StoredRecord, proof: LeafProof, checkpoint: Checkpoint,
           last_covered: int | None) -> tuple[str | None, str | None]:
    """None when the event is proven, else what failed (a word of FAILURES, a sentence)."""
    if proof.leaf_hash is None or proof.leaf_index is None or proof.proof is None:
        if last_covered is None or record.position > last_covered:
            return "not_covered", NOT_COVERED
        return "no_leaf", "the event has no leaf in the log: it was not written through hoso"
    if record.leaf() != proof.leaf_hash:
        return "leaf_mismatch", (f"leaf hash mismatch at leaf {proof.leaf_index}: the stored "
                                 "event no longer gives the leaf logged for it (changed after "
                                 "it was recorded)")
    try:
        verify_inclusion(proof.leaf_hash, proof.leaf_index, checkpoint.size, proof.proof,
                         checkpoint.root)
    except VerificationError as error:
        return "inclusion", f"inclusion proof failed against checkpoint {checkpoint.size}: {error}"
    return None, None


def _checkpoint(wired: Services) -> tuple[Checkpoint | None, CheckpointRef | None, str | None]:
    """The newest stored checkpoint, its reference, and why it cannot be trusted (or None)."""
    log = wired.tamper_evident_log()
    note = log.recorder.select_latest_checkpoint()
    if note is None:
        return None, None, "the log has no signed checkpoint yet"
    public = wired.settings.audit_public_key
    if public is None:
        return None, None, "no public key of the log to check the checkpoint with"
    try:
        ring = KeyRing.build(load_verifier(public), wired.checkpoint_directory().rotations(),
                             log.origin)
        checkpoint = ring.open_checkpoint(note, log.origin)
    except (KeyFileError, NoteError, OSError) as error:
        return None, None, f"the newest checkpoint does not verify: {error}"
    signer = next(line for line in split_note(note)[1]
                  if ring.signed_by_ring(line.name, line.key_id))
    ref = CheckpointRef(checkpoint.size, checkpoint.time.isoformat(),
                        f"{signer.name}+{signer.key_id:08x}", checkpoint.fingerprint)
    return checkpoint, ref, None


def _rows(wired: Services, code: str) -> dict[int, dict[str, Any]]:
    """The history's rows by version; none when the stored events no longer replay."""
    try:
        return {row["version"]: row for row in wired.application().history(code)}
    except HosoError:
        raise
    except Exception:  # a tampered record may not decode: its fields come from the record
        return {}


def _after(time: Any, as_of: datetime) -> bool:
    try:
        return isinstance(time, str) and datetime.fromisoformat(time) > as_of
    except ValueError:
        return False


def _event(record: StoredRecord, row: dict[str, Any], index: int | None, failure: str | None,
           reason: str | None, ref: CheckpointRef | None) -> TimelineEvent:
    text = {name: row.get(name) if isinstance(row.get(name), str) else None
            for name in ("type", "time", "actor", "office", "device", "device_time",
                         "to_office", "custodian")}
    bag = row.get("manifest") or row.get("bag")
    return TimelineEvent(
        version=record.version, type=text["type"] or "?", time=text["time"],
        actor=text["actor"], office=text["office"], device=text["device"],
        bag=bag if isinstance(bag, str) else None, device_time=text["device_time"],
        late=bool(row.get("synced_late")), to_office=text["to_office"],
        custodian=text["custodian"], position=record.position,
        leaf_index=index, verified=failure is None, failure=failure, reason=reason,
        checkpoint=ref)

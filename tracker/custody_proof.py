"""What the public lookup shows a citizen about the log: their dossier's steps are entries of
it as of a checkpoint the witnesses cosigned, with a proof any citizen can check offline.

Only after ``tracker.public_lookup.lookup`` let the citizen in. The proof (events.export.proof)
carries leaf hashes and inclusion proofs, never a record: the records hold the applicant's data
and the staff's ids. The checkpoint is the newest the witnesses cosigned (HOSO_WITNESS_QUORUM of
them, at least one when witnesses are configured), else the newest signed one, which the page
then calls not yet cosigned. The dossier's events after it are counted as not covered yet: with
hoso serve signing within HOSO_CHECKPOINT_SECONDS and the witnesses cosigning at once, a step
is covered a few seconds after it was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from events.evidence.cosignature import add_cosignatures, check_quorum
from events.evidence.notes import Checkpoint, note_text, split_note
from events.export.proof import proof_document
from tracker.bootstrap import Services
from tracker.domain.codes import dossier_id


@dataclass(frozen=True)
class CustodyClaim:
    """The claim the lookup page states, and the proof document that backs it."""

    steps: int
    covered: int
    size: int
    signed: datetime
    key: str  # name+key ID of the log's key that signed the checkpoint
    witnesses: list[str]  # who validly cosigned it, by name+key ID
    cosigned: datetime | None  # the latest of their cosignatures
    document: dict[str, Any]


def cosigned_checkpoint(wired: Services) -> tuple[Checkpoint, str] | None:
    """The newest checkpoint with the witnesses' quorum (at least one cosignature when
    witnesses are configured), its cosignatures added to the note; else the newest signed one;
    None before the first. Candidates are the newest checkpoint and the newest each witness
    cosigned: witnesses always cosign the newest they are sent."""
    recorder = wired.tamper_evident_log().recorder
    newest = recorder.select_latest_checkpoint()
    if newest is None:
        return None
    endpoints = wired.witness_endpoints()
    latest = Checkpoint.parse(note_text(newest)), newest
    if not endpoints:
        return latest
    store, folder = wired.cosignature_store(), wired.cosignature_directory()
    required = max(1, wired.settings.witness_quorum)
    sizes = {latest[0].size, *(store.newest_by(e.label) or 0 for e in endpoints)}
    for size in sorted(sizes, reverse=True):
        note = newest if size == latest[0].size else recorder.select_checkpoint(size)
        if note is None:
            continue
        checkpoint = Checkpoint.parse(note_text(note))
        note = add_cosignatures(note, [*store.lines_for(size), *folder.lines_for(checkpoint)])
        if check_quorum(note, [], [e.verifier for e in endpoints], required).met:
            return checkpoint, note
    return latest


def custody_claim(wired: Services, code: str) -> CustodyClaim | None:
    """The claim for the dossier ``code`` and its proof; None while the log has no checkpoint.
    Raises events.evidence.inclusion.ProofUnavailable when the stored leaves do not give the
    checkpoint's root."""
    found = cosigned_checkpoint(wired)
    if found is None:
        return None
    checkpoint, note = found
    records = wired.tamper_evident_log().recorder.select_aggregate_records(dossier_id(code))
    proofs = wired.inclusion_prover().prove([r.position for r in records], checkpoint.size,
                                            checkpoint.root)
    steps = [(record.version, p.leaf_index, p.leaf_hash, p.proof)
             for record, p in zip(records, proofs, strict=True)]
    document = proof_document(code, checkpoint.origin, note, steps,
                              wired.checkpoint_directory().rotations())
    quorum = check_quorum(note, [], [e.verifier for e in wired.witness_endpoints()], 0)
    signature = split_note(note)[1][0]
    return CustodyClaim(
        steps=len(records), covered=sum(p.proof is not None for p in proofs),
        size=checkpoint.size, signed=checkpoint.time,
        key=f"{signature.name}+{signature.key_id:08x}", witnesses=sorted(quorum.cosigned),
        cosigned=max((c.time for c in quorum.cosigned.values()), default=None),
        document=document)

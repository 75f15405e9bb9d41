"""Builds a dossier's custody export: its events with proofs against the latest checkpoint.

The document (format ``hoso-custody-export/1``) carries everything ``events.export.offline``
needs to verify it without the database: each event's exact stored record (state in base64) and leaf
hash, the inclusion proof of that leaf in the tree of the signed checkpoint, and a consistency
proof from every earlier stored checkpoint to that one, so an export made later can be held
against one made earlier. The human fields (type, time, actor, office, custodian) come from the
tracker's history, passed in: nothing here imports the tracker. ``to_json`` and ``to_csv``
serialise the document; the CSV layout is described in ``events.export.offline``, which reads
it back.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from events.evidence.audit import StoredLeaf, StoredRecord
from events.evidence.log import TamperEvidentLog
from events.evidence.merkle import MerkleTree
from events.evidence.notes import Checkpoint, NoteError, note_text
from events.export.files import CSV_COLUMNS, FORMAT, HUMAN_FIELDS, NOT_COVERED


class ExportError(Exception):
    """The store cannot back an export: the message says what is wrong with it."""

    code = "export_failure"
    exit_code = 1
    http_status = 500


def build_export(log: TamperEvidentLog, aggregate_id: UUID, code: str,
                 history: Sequence[Mapping[str, Any]], checkpoint_note: str,
                 checkpoint: Checkpoint, rotations: Sequence[str] = ()) -> dict[str, Any]:
    """The export of ``code`` (aggregate ``aggregate_id``) against ``checkpoint``, carrying
    the log's key ``rotations`` (signed statements) when it has any, so that earlier
    checkpoints signed by a retired key verify with the current one.

    ``history`` holds one row per event with its ``version`` and the human fields; an event
    without a row (its dossier no longer replays) takes them from its own record, custodian
    unknown. Events whose leaf lies beyond the checkpoint get ``"inclusion_proof": null``; an
    event with no leaf at all (stored behind hoso's back) gets null leaf fields, so the offline
    verifier names it. Raises ExportError when the stored leaves cannot back the checkpoint.
    """
    if note_text(checkpoint_note) != checkpoint.to_text():
        raise ExportError("the signed note is not the text of the checkpoint given")
    leaves = list(log.leaves())
    try:
        tree = MerkleTree(leaf.hash for leaf in leaves)
    except (TypeError, ValueError) as error:
        raise ExportError(f"a stored leaf is not a hash ({error}): run 'hoso audit verify'"
                          ) from None
    if checkpoint.size > tree.size:
        raise ExportError(f"the checkpoint covers {checkpoint.size} leaves but the store holds "
                          f"only {tree.size}: the log was truncated; run 'hoso audit verify'")
    records = log.recorder.select_aggregate_records(aggregate_id)
    if not records:
        raise ExportError(f"the log holds no event of {code}")
    wanted = {record.position for record in records}
    index_of = {leaf.position: index for index, leaf in enumerate(leaves)
                if leaf.position in wanted}
    rows = {row.get("version"): row for row in history}
    events = [_event(record, index_of.get(record.position), leaves, tree, checkpoint,
                     rows.get(record.version)) for record in records]
    first_leaf = min(index_of.values(), default=tree.size)
    return {
        "format": FORMAT,
        "code": code,
        "origin": log.origin,
        "checkpoint": checkpoint_note,
        "events": events,
        "consistency": _consistency(log, tree, checkpoint, first_leaf),
        **({"key_rotations": list(rotations)} if rotations else {}),
    }


def _event(record: StoredRecord, index: int | None, leaves: list[StoredLeaf], tree: MerkleTree,
           checkpoint: Checkpoint, row: Mapping[str, Any] | None) -> dict[str, Any]:
    proof = (tree.inclusion_proof(index, checkpoint.size)
             if index is not None and index < checkpoint.size else None)
    human = ({name: row.get(name) for name in HUMAN_FIELDS} if row is not None
             else _human_fields_of(record))
    return {
        "leaf_index": index,
        "position": record.position,
        "originator_id": record.originator_id,
        "version": record.version,
        "topic": record.topic,
        "state": base64.b64encode(record.state).decode("ascii"),
        "leaf_hash": None if index is None else leaves[index].hash.hex(),
        "inclusion_proof": None if proof is None else [h.hex() for h in proof],
        **human,
    }


def _human_fields_of(record: StoredRecord) -> dict[str, Any]:
    """The human fields as the record itself states them; the custodian is unknown."""
    return {**dict.fromkeys(HUMAN_FIELDS), **record.stated(("actor", "office"))}


def _consistency(log: TamperEvidentLog, tree: MerkleTree, checkpoint: Checkpoint,
                 first_leaf: int) -> list[dict[str, Any]]:
    """Proofs that earlier stored checkpoints are prefixes of ``checkpoint`` (notes as stored):
    from each one an export of this dossier can have been made against — every checkpoint
    since the last one before the dossier's ``first_leaf`` — and from a few older ones,
    spaced 1, 2, 4, 8 … checkpoints apart, for exports of other dossiers."""
    older: list[tuple[Checkpoint, str]] = []
    for note in log.recorder.select_checkpoints():
        try:
            parsed = Checkpoint.parse(note_text(note))
        except NoteError:
            continue  # not a checkpoint at all: 'hoso audit verify' reports it
        if parsed.size < checkpoint.size:
            older.append((parsed, note))
    return [{"checkpoint": note,
             "proof": [h.hex() for h in tree.consistency_proof(cp.size, checkpoint.size)]}
            for cp, note in (older[n] for n in kept_checkpoints(
                [cp.size for cp, _ in older], first_leaf))]


def kept_checkpoints(sizes: Sequence[int], first_leaf: int) -> list[int]:
    """Which of the earlier checkpoints (their ``sizes``, ascending) an export carries proofs
    from, as indexes in ascending order: from the last one not yet covering ``first_leaf`` to
    the newest, and before it those 1, 2, 4 … places further back."""
    recent = next((n for n in range(len(sizes) - 1, -1, -1) if sizes[n] <= first_leaf), 0)
    spaced = []
    step = 1
    while recent - step >= 0:
        spaced.append(recent - step)
        step *= 2
    return [*reversed(spaced), *range(recent, len(sizes))]


def to_json(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def to_csv(document: Mapping[str, Any]) -> bytes:
    """The CSV layout of ``events.export.offline``: a ``#`` header block, then one row per event."""
    meta = {key: value for key, value in document.items() if key != "events"}
    header = base64.b64encode(json.dumps(meta, ensure_ascii=False).encode("utf-8"))
    out = io.StringIO(newline="")
    out.write(f"# {FORMAT}\r\n# {header.decode('ascii')}\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for event in document["events"]:
        cells = {name: "" if event[name] is None else event[name] for name in CSV_COLUMNS}
        proof = event["inclusion_proof"]
        cells["inclusion_proof"] = NOT_COVERED if proof is None else ";".join(proof)
        writer.writerow([cells[name] for name in CSV_COLUMNS])
    return out.getvalue().encode("utf-8")

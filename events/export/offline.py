"""Verifies a custody export offline: the public key and the exported file are all it needs.

No database, no tracker, no Merkle tree: leaves are recomputed from the exported records
(events.evidence.records), proofs checked by events.evidence.verify, checkpoints opened with
the public key (events.evidence.notes). Only reading a PDF export needs more (``pypdf``,
imported for PDFs alone).
:func:`verify_export` fails an export, naming the event, unless: its checkpoint is signed by
the key; each record hashes to its logged leaf and that leaf's inclusion proof leads to the
checkpoint's root (an event after the checkpoint is only *warned* about); the human fields say
what the record says (type = the topic's last segment; time, actor, office from the state;
custodian by :data:`CUSTODY_PASSES`); the events are one dossier's versions 1…n in position
order, the first naming the code; each earlier stored checkpoint is proven a prefix; and each
``earlier`` export verifies, is provably a prefix (or extension), and its events are still here;
and, when a quorum is asked for, its checkpoint carries that many witnesses' valid cosignatures
(events.evidence.cosignature).
Reading the files (JSON, CSV, PDF) is events/export/files.py.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

from events.evidence.cosignature import CosignatureVerifier, Quorum, check_quorum
from events.evidence.notes import Checkpoint, NoteError, Verifier
from events.evidence.records import record_leaf_hash
from events.evidence.rotation import KeyRing
from events.evidence.verify import VerificationError, verify_consistency, verify_inclusion
from events.export.files import (
    FORMAT,
    HUMAN_FIELDS,
    MalformedExport,
)

# Custody passes at these events to the person the state field names; every other event
# leaves the custodian as it was (DESIGN-NOTES, "One custodian at a time").
CUSTODY_PASSES = {"Received": "actor", "Accepted": "actor", "HandedOver": "carrier"}
_KINDS: dict[str, tuple[type[Any], bool]] = {  # field: (type, may be null)
    "leaf_index": (int, True), "position": (int, False), "originator_id": (str, False),
    "version": (int, False), "topic": (str, False), "state": (str, False),
    "leaf_hash": (str, True), "inclusion_proof": (list, True),
    **{name: (str, True) for name in HUMAN_FIELDS},
}


@dataclass(frozen=True)
class Problem:
    """One thing that does not hold, and the event (position, leaf, version) it concerns."""

    message: str
    position: int | None = None
    leaf_index: int | None = None
    event: str | None = None

    def __str__(self) -> str:
        if self.position is None:
            return self.message
        leaf = f", leaf {self.leaf_index}" if self.leaf_index is not None else ""
        return f"position {self.position} ({self.event}{leaf}): {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "text": str(self)}


@dataclass
class OfflineReport:
    """What an offline verification found; ``valid`` when no problem (warnings allowed)."""

    code: str
    origin: str
    key: str
    checkpoint: Checkpoint | None = None
    events: int = 0
    proven: int = 0
    earlier: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    prefixes: set[tuple[int, bytes]] = field(default_factory=set, repr=False)
    witnesses: Quorum | None = None

    @property
    def valid(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        cp = self.checkpoint
        return {
            "valid": self.valid, "code": self.code, "origin": self.origin, "key": self.key,
            "checkpoint": None if cp is None else {
                "size": cp.size, "root": cp.root.hex(), "time": cp.time.isoformat(),
                "fingerprint": cp.fingerprint},
            "events": self.events, "proven": self.proven, "earlier_exports": self.earlier,
            "problems": [p.to_dict() for p in self.problems],
            "warnings": [w.to_dict() for w in self.warnings],
            "witnesses": self.witnesses.to_dict() if self.witnesses else None,
        }


class _Event:
    """One exported event, its shape checked; its content is decoded, never trusted."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.leaf_index: int | None = raw["leaf_index"]
        self.position: int = raw["position"]
        self.originator_id: str = raw["originator_id"]
        self.version: int = raw["version"]
        self.topic: str = raw["topic"]
        self.state: str = raw["state"]
        self.leaf_hash: str | None = raw["leaf_hash"]
        self.inclusion_proof: list[Any] | None = raw["inclusion_proof"]
        self.custodian: str | None = raw["custodian"]
        self.leaf: bytes | None = None  # recomputed from the record, once its state decodes

    @property
    def label(self) -> str:
        return f"{self.raw['type'] or self.topic.rsplit('.', 1)[-1]} v{self.version}"

    def problem(self, message: str) -> Problem:
        return Problem(message, self.position, self.leaf_index, self.label)


def verify_export(document: Mapping[str, Any], verifier: Verifier | KeyRing,
                  earlier: Sequence[Mapping[str, Any]] = (),
                  witnesses: Sequence[CosignatureVerifier] = (), quorum: int = 0
                  ) -> OfflineReport:
    """Check ``document`` (and its relation to each ``earlier`` export) with ``verifier`` only:
    the log's current key, whose key rotation statements carried in the exports vouch for the
    keys before it (or a ring already built); with a ``quorum``, its checkpoint must carry that
    many valid cosignatures by ``witnesses``.

    Raises MalformedExport when a document does not have the export's shape at all.
    """
    if isinstance(verifier, Verifier):
        statements = [note for d in (document, *earlier) if isinstance(d, Mapping)
                      for note in _rotations(d)]
        verifier = KeyRing.build(verifier, statements, str(document.get("origin")))
    report, events = _verify(document, verifier)
    report.problems.extend(Problem(problem) for problem in verifier.problems)
    if quorum:
        _check_witnesses(document["checkpoint"], witnesses, quorum, report)
    for number, other in enumerate(earlier, 1):
        _compare_earlier(number, other, verifier, document, events, report)
    report.earlier = len(earlier)
    return report


def _rotations(document: Mapping[str, Any]) -> list[str]:
    notes = document.get("key_rotations", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise MalformedExport("the export's 'key_rotations' is not a list of signed notes")
    return notes


def _verify(document: Mapping[str, Any], verifier: KeyRing) -> tuple[OfflineReport, list[_Event]]:
    events = _shape(document)
    report = OfflineReport(document["code"], document["origin"], verifier.label,
                           events=len(events))
    report.checkpoint = _open(document["checkpoint"], verifier, document["origin"], report,
                              "the export's checkpoint")
    custodian: str | None = None
    for event in events:
        custodian = _check_event(event, report, custodian)
    _check_sequence(document["code"], events, report)
    for entry in document["consistency"]:
        _check_prefix(entry, verifier, document["origin"], report)
    return report, events


def _open(note: str, verifier: KeyRing, origin: str, report: OfflineReport,
          what: str) -> Checkpoint | None:
    try:
        return verifier.open_checkpoint(note, origin)
    except NoteError as error:
        report.problems.append(Problem(f"{what} is not validly signed by {report.key}: {error}"))
        return None


def _check_witnesses(note: str, witnesses: Sequence[CosignatureVerifier], quorum: int,
                     report: OfflineReport) -> None:
    try:
        report.witnesses = check_quorum(note, [], witnesses, quorum)
    except NoteError as error:
        report.problems.append(Problem(f"the checkpoint's signatures cannot be read: {error}"))
        return
    if not report.witnesses.met:
        report.problems.append(Problem(f"the checkpoint lacks the witnesses' quorum: "
                                       f"{report.witnesses.describe()}"))


def _check_event(event: _Event, report: OfflineReport, custodian: str | None) -> str | None:
    """Record and proof of one event; returns the custodian after it, as the record says."""
    state = _b64(event.state)
    if state is None:
        report.problems.append(event.problem("its state is not base64"))
        return None
    event.leaf = record_leaf_hash(event.position, event.originator_id, event.version,
                                  event.topic, state)
    claimed = None if event.leaf_hash is None else _hex(event.leaf_hash)
    cp = report.checkpoint
    if event.leaf_hash is None or event.leaf_index is None:
        report.problems.append(event.problem(
            "it has no leaf in the log: stored behind hoso's back, or its leaf was removed"))
    elif claimed is None or len(claimed) != 32:
        report.problems.append(event.problem("its leaf_hash is not a 32-byte hex hash"))
    elif claimed != event.leaf:
        report.problems.append(event.problem(
            "its record does not hash to its logged leaf: the event was changed after it was "
            "logged"))
    elif cp is not None:
        _check_inclusion(event, event.leaf_index, claimed, cp, report)
    return _check_human(event, state, report, custodian)


def _check_inclusion(event: _Event, index: int, leaf: bytes, cp: Checkpoint,
                     report: OfflineReport) -> None:
    if event.inclusion_proof is None:
        if index >= cp.size:
            report.warnings.append(event.problem(
                f"not yet covered by a checkpoint (the checkpoint covers {cp.size} leaves)"))
        else:
            report.problems.append(event.problem(
                f"no inclusion proof, although the checkpoint covers {cp.size} leaves"))
        return
    try:
        verify_inclusion(leaf, index, cp.size, _hashes(event.inclusion_proof), cp.root)
    except VerificationError as error:
        report.problems.append(event.problem(
            f"its inclusion proof fails against the checkpoint of size {cp.size}: {error}"))
        return
    report.proven += 1


def _check_human(event: _Event, state: bytes, report: OfflineReport,
                 custodian: str | None) -> str | None:
    """The human fields must say what the record says; returns the custodian after it."""
    kind = event.topic.rsplit(".", 1)[-1].rsplit(":", 1)[-1]
    body = _json_object(state)
    if body is None:
        report.problems.append(event.problem("its state is not a JSON object: its human fields "
                                             "cannot be checked"))
        return None
    expected = {"type": kind, "time": _timestamp(body.get("timestamp")),
                "actor": body.get("actor"), "office": body.get("office")}
    if kind in CUSTODY_PASSES:
        custodian = body.get(CUSTODY_PASSES[kind])
    for name, want in expected.items():
        given = event.raw[name]
        same = _same_time(given, want) if name == "time" else given == want
        if not same:
            report.problems.append(event.problem(
                f"its {name} says {given!r}, the logged record says {want!r}"))
    if event.custodian is not None and custodian is not None and event.custodian != custodian:
        report.problems.append(event.problem(
            f"its custodian says {event.custodian!r}; by the logged records it is {custodian!r}"))
    return custodian


def _check_sequence(code: str, events: list[_Event], report: OfflineReport) -> None:
    """One dossier's versions 1…n, each recorded after the one before, the first naming code."""
    if len({e.originator_id for e in events}) != 1:
        report.problems.append(Problem("the export holds no event" if not events else
                                       "the events belong to more than one dossier"))
    counts = Counter(e.version for e in events)
    expected = 1
    for version in sorted(counts):  # gaps as ranges: a forged version may be huge
        if version > expected:
            gap = f"{expected}" if version == expected + 1 else f"{expected}–{version - 1}"
            report.problems.append(Problem(f"version {gap} of {code} is missing from the export: "
                                           "deleted or moved away, or a later one forged"))
        if counts[version] > 1:
            report.problems.append(Problem(f"version {version} of {code} appears twice"))
        expected = max(expected, version + 1)
    ordered = sorted(events, key=lambda e: e.version)
    for before, after in pairwise(ordered):
        if after.position <= before.position:
            report.problems.append(after.problem(
                f"recorded at or before {before.label} (position {before.position}): the rows "
                "were moved"))
        elif (before.leaf_index is not None and after.leaf_index is not None
              and after.leaf_index <= before.leaf_index):
            report.problems.append(after.problem(f"its leaf comes before {before.label}'s"))
    first = next((e for e in events if e.version == 1), None)
    if first is not None and first.leaf is not None:
        named = (_json_object(_b64(first.state)) or {}).get("code")
        if named != code:
            report.problems.append(first.problem(f"the first event names dossier {named!r}, "
                                                 f"not {code!r}"))


def _check_prefix(entry: Mapping[str, Any], verifier: KeyRing, origin: str,
                  report: OfflineReport) -> None:
    """An earlier checkpoint of the store and the proof that it is a prefix of this one."""
    older = _open(entry["checkpoint"], verifier, origin, report, "an earlier checkpoint")
    cp = report.checkpoint
    if older is None or cp is None:
        return
    try:
        verify_consistency(older.size, cp.size, _hashes(entry["proof"]), older.root, cp.root)
    except VerificationError as error:
        report.problems.append(Problem(
            f"cannot prove the checkpoint of size {older.size} ({older.time:%Y-%m-%d %H:%M:%S}Z, "
            f"fingerprint {older.fingerprint}) is a prefix of the export's checkpoint of size "
            f"{cp.size}: {error} — the log was rewritten"))
        return
    report.prefixes.add((older.size, older.root))


def _compare_earlier(number: int, document: Mapping[str, Any], verifier: KeyRing,
                     this: Mapping[str, Any], events: list[_Event],
                     report: OfflineReport) -> None:
    sub, theirs = _verify(document, verifier)
    old, cp = sub.checkpoint, report.checkpoint
    label = f"earlier export #{number} ({sub.code}, checkpoint size {old.size if old else '?'})"
    report.problems.extend(Problem(f"{label}: {p}") for p in sub.problems)
    if old is None or cp is None or old.origin != cp.origin:
        if old is not None and cp is not None:
            report.problems.append(Problem(f"{label}: it is from the log {old.origin!r}"))
        return
    if old.size == cp.size:
        proven = old.root == cp.root
    elif old.size < cp.size:
        proven = (old.size, old.root) in report.prefixes
    else:  # the "earlier" export is the newer one: its entries must cover this checkpoint
        proven = (cp.size, cp.root) in sub.prefixes
    if not proven:
        report.problems.append(Problem(
            f"{label}: cannot prove the earlier checkpoint is a prefix of this one (fingerprints "
            f"{old.fingerprint} and {cp.fingerprint}): the log was rewritten, or the proof "
            "is not in the export"))
    here = {e.position: e for e in events}
    same_dossier = sub.code == this["code"]
    for event in theirs:
        mine = here.get(event.position)
        if event.leaf is None or (mine is not None and mine.leaf is None):
            continue  # its problems are reported already
        if mine is not None and (mine.leaf != event.leaf or mine.leaf_index != event.leaf_index):
            report.problems.append(mine.problem(
                f"differs from {event.label} at this position in {label}: the event was "
                "changed, moved or replaced since"))
        elif mine is None and same_dossier and (old.size <= cp.size or (
                event.leaf_index is not None and event.leaf_index < cp.size)):
            # it was stored before this export was made (a newer export may hold newer events)
            report.problems.append(event.problem(
                f"in {label}, missing from this export: the event was deleted or moved"))


# -- decoding -------------------------------------------------------------------------------


def _shape(document: Mapping[str, Any]) -> list[_Event]:
    """The events, once every part has the export's shape; MalformedExport otherwise."""
    if not isinstance(document, Mapping):
        raise MalformedExport("an export is a JSON object")
    if document.get("format") != FORMAT:
        raise MalformedExport(f"not a {FORMAT} document (format {document.get('format')!r})")
    for name, kind in (("code", str), ("origin", str), ("checkpoint", str),
                       ("events", list), ("consistency", list)):
        if not isinstance(document.get(name), kind):
            raise MalformedExport(f"the export's {name!r} is missing or not a {kind.__name__}")
    for n, entry in enumerate(document["consistency"]):
        if not (isinstance(entry, Mapping) and isinstance(entry.get("checkpoint"), str)
                and isinstance(entry.get("proof"), list)):
            raise MalformedExport(f"consistency[{n}] needs a checkpoint note and a proof list")
    events = []
    for n, raw in enumerate(document["events"]):
        if not isinstance(raw, Mapping):
            raise MalformedExport(f"events[{n}] is not an object")
        for name, (kind, nullable) in _KINDS.items():
            value = raw.get(name)
            if value is None and nullable and name in raw:
                continue
            if not isinstance(value, kind) or isinstance(value, bool):
                raise MalformedExport(f"events[{n}].{name} is missing or not a {kind.__name__}")
        events.append(_Event(raw))
    return events


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _hex(text: str) -> bytes | None:
    try:
        return bytes.fromhex(text)
    except ValueError:
        return None


def _hashes(proof: list[Any]) -> list[bytes]:
    hashes = [_hex(h) if isinstance(h, str) else None for h in proof]
    if None in hashes:
        raise VerificationError("the proof holds something that is not hex")
    return [h for h in hashes if h is not None]


def _json_object(state: bytes | None) -> dict[str, Any] | None:
    try:
        body = json.loads(state or b"")
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


def _timestamp(value: Any) -> str | None:
    """The eventsourcing library's transcoded datetime ``{"_type_", "_data_"}``, as text."""
    if isinstance(value, dict) and value.get("_type_") == "datetime_iso":
        data = value.get("_data_")
        return data if isinstance(data, str) else None
    return None


def _same_time(given: Any, want: str | None) -> bool:
    if given is None or want is None:
        return given is want
    try:
        return datetime.fromisoformat(given) == datetime.fromisoformat(want)
    except (TypeError, ValueError):
        return False

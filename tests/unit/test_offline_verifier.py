"""The offline verifier of custody exports: untouched exports pass, every mutation is named.

The log here lives in memory (a recorder double with the hashing recorders' read methods), so
these tests need no database; tests/integration/test_audit_export.py runs the same checks
against SQLite and PostgreSQL through the CLI.
"""

from __future__ import annotations

import ast
import copy
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from events.evidence.audit import StoredLeaf, StoredRecord
from events.evidence.log import TamperEvidentLog
from events.evidence.notes import Checkpoint, Signer, note_text, sign_checkpoint
from events.evidence.records import record_leaf_hash
from events.export.build import build_export, kept_checkpoints, to_csv, to_json
from events.export.files import MalformedExport, parse_export
from events.export.offline import OfflineReport, verify_export

ORIGIN = "hoso/test-log"
CODE = "000.21.11.H40-260310-0001"
DOSSIER = UUID("cddec218-46a3-5c8a-8b42-2851da9739ae")
TOPIC = "tracker.domain.dossier:Dossier."
START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


class MemoryRecorder:
    """The hashing recorder's read side, in memory; positions have gaps, as PostgreSQL's may."""

    def __init__(self) -> None:
        self.rows: list[StoredRecord] = []
        self.leaf_rows: list[StoredLeaf] = []
        self.notes: dict[int, str] = {}

    def append(self, originator: UUID, version: int, topic: str, state: dict[str, Any]) -> None:
        position = 3 * len(self.rows) + 1
        data = json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode()
        record = StoredRecord(position, originator.hex, version, topic, data)
        self.rows.append(record)
        self.leaf_rows.append(StoredLeaf(len(self.leaf_rows), position, record.leaf()))

    def select_records(self, after: int | None, limit: int) -> list[StoredRecord]:
        return [r for r in self.rows if after is None or r.position > after][:limit]

    def select_aggregate_records(self, originator_id: UUID) -> list[StoredRecord]:
        return sorted((r for r in self.rows if r.originator_id == originator_id.hex),
                      key=lambda r: (r.version, r.position))

    def range_scanner(self) -> None:
        return None  # in memory: audit reads it whole

    def select_leaves(self, after: StoredLeaf | None, limit: int) -> list[StoredLeaf]:
        start = 0 if after is None else after.leaf_index + 1
        return [leaf for leaf in self.leaf_rows if leaf.leaf_index >= start][:limit]

    def insert_checkpoint(self, tree_size: int, note: str) -> bool:
        if self.notes and tree_size <= max(self.notes):
            return False
        self.notes[tree_size] = note
        return True

    def leaf_count(self) -> int:
        return len(self.leaf_rows)

    def select_checkpoints(self) -> list[str]:
        return [self.notes[size] for size in sorted(self.notes)]

    def select_latest_checkpoint(self) -> str | None:
        return self.notes[max(self.notes)] if self.notes else None

    def select_records_from_leaf(self, leaf_index: int, limit: int) -> list[StoredRecord]:
        positions = [leaf.position for leaf in self.leaf_rows if leaf.leaf_index >= leaf_index]
        return [r for r in self.rows if positions and r.position >= positions[0]][:limit]


def state(minutes: int, **fields: Any) -> dict[str, Any]:
    stamp = (START + timedelta(minutes=minutes)).isoformat()
    return {"timestamp": {"_type_": "datetime_iso", "_data_": stamp}, **fields}


class Ledger:
    """A log holding one dossier's custody among other aggregates' events, and its history."""

    def __init__(self) -> None:
        self.recorder = MemoryRecorder()
        self.log = TamperEvidentLog(self.recorder, ORIGIN)
        self.signer = Signer.generate("hoso-test")
        self.history: list[dict[str, Any]] = []
        self.noise(3)
        self.add("Received", "pl-rcv-003", "000.21.11.H40", "pl-rcv-003", code=CODE,
                 applicant_name="Nguyễn Văn A", due="2026-03-24")
        self.noise(2)
        self.add("HandedOver", "pl-rcv-003", "000.21.11.H40", "pl-cur-001",
                 to_office="000.21.01.H40", carrier="pl-cur-001")
        self.checkpoint()
        self.noise(4)
        self.add("Accepted", "pl-off-001", "000.21.01.H40", "pl-off-001")

    def noise(self, count: int) -> None:
        for _ in range(count):
            self.recorder.append(uuid4(), 1, "tracker.domain.codes:DailySequence.Started",
                                 state(0, office="000.21.11.H40"))

    def add(self, kind: str, actor: str, office: str, custodian: str, **fields: Any) -> None:
        version = len(self.history) + 1
        body = state(10 * version, actor=actor, office=office, **fields)
        self.recorder.append(DOSSIER, version, TOPIC + kind, body)
        self.history.append({"type": kind, "time": body["timestamp"]["_data_"], "actor": actor,
                             "office": office, "custodian": custodian, "version": version})

    def checkpoint(self, minutes: int = 0) -> str:
        _, note = self.log.checkpoint(self.signer, START + timedelta(hours=1, minutes=minutes))
        return note

    def export(self) -> dict[str, Any]:
        note = self.recorder.select_checkpoints()[-1]
        return build_export(self.log, DOSSIER, CODE, self.history, note,
                            Checkpoint.parse(note_text(note)))

    def verify(self, document: dict[str, Any], earlier: tuple[dict[str, Any], ...] = ()
               ) -> OfflineReport:
        return verify_export(document, self.signer.verifier, earlier)


@pytest.fixture
def ledger() -> Ledger:
    ledger = Ledger()
    ledger.checkpoint(minutes=5)
    return ledger


def problems(report: OfflineReport) -> str:
    return "\n".join(str(p) for p in report.problems)


@pytest.mark.parametrize(("sizes", "first_leaf", "kept"), [
    ([], 5, []),
    ([3, 6, 9], 0, [0, 1, 2]),  # every checkpoint covers the dossier
    ([3, 6, 9, 12], 7, [0, 1, 2, 3]),  # 6 is the last before leaf 7: an export then used it
    ([3, 6, 9, 12, 15, 18, 21], 14, [1, 2, 3, 4, 5, 6]),  # 12 the last before; 9, 6 spaced
    ([3, 6, 9, 12, 15, 18], 50, [1, 3, 4, 5]),  # none covers it yet: the newest, spaced ones
    (list(range(1, 101)), 90, [25, 57, 73, 81, 85, 87, 88, *range(89, 100)]),
])
def test_exports_prove_recent_checkpoints_and_a_few_spaced_older_ones(
        sizes: list[int], first_leaf: int, kept: list[int]) -> None:
    assert kept_checkpoints(sizes, first_leaf) == kept


def test_an_export_carries_proofs_from_logarithmically_many_older_checkpoints() -> None:
    """GIVEN 64 checkpoints signed before the dossier's first event and 3 after it WHEN the
    dossier is exported THEN it proves the 3, the last one before its first event and 6 spaced
    older ones, and it still verifies against an earlier export made at the third one."""
    ledger = Ledger.__new__(Ledger)
    ledger.recorder, ledger.signer, ledger.history = MemoryRecorder(), Signer.generate("t"), []
    ledger.log = TamperEvidentLog(ledger.recorder, ORIGIN)
    for minute in range(64):
        ledger.noise(1)
        ledger.checkpoint(minutes=minute)
    ledger.add("Received", "pl-rcv-003", "000.21.11.H40", "pl-rcv-003", code=CODE)
    ledger.checkpoint(minutes=100)
    earlier = ledger.export()
    for minute in (101, 102):
        ledger.noise(1)
        ledger.checkpoint(minutes=minute)
    document = ledger.export()
    assert len(document["consistency"]) == 2 + 1 + 6
    report = ledger.verify(document, (earlier,))
    assert report.valid, problems(report)


def test_an_untouched_export_verifies(ledger: Ledger) -> None:
    document = ledger.export()
    report = ledger.verify(document)
    assert report.valid, problems(report)
    assert (report.events, report.proven, report.warnings) == (3, 3, [])
    assert len(document["consistency"]) == 1  # the first checkpoint, proven a prefix
    assert report.checkpoint is not None
    assert report.checkpoint.size == len(ledger.recorder.leaf_rows)


def test_an_event_after_the_checkpoint_is_a_warning_not_a_failure(ledger: Ledger) -> None:
    # GIVEN a Resolved event stored after the latest checkpoint
    ledger.add("Resolved", "pl-off-001", "000.21.01.H40", "pl-off-001", timeliness="early")
    # WHEN it is exported THEN it has no proof yet, and the export is still valid
    document = ledger.export()
    assert document["events"][-1]["inclusion_proof"] is None
    report = ledger.verify(document)
    assert report.valid, problems(report)
    assert report.proven == 3
    assert [w.event for w in report.warnings] == ["Resolved v4"]
    assert "not yet covered by a checkpoint" in str(report.warnings[0])


def flip(hex_text: str) -> str:
    raw = bytearray(bytes.fromhex(hex_text))
    raw[0] ^= 0x01
    return raw.hex()


def change_signed_size(document: dict[str, Any]) -> None:
    cp = Checkpoint.parse(note_text(document["checkpoint"]))
    document["checkpoint"] = document["checkpoint"].replace(f"\n{cp.size}\n", f"\n{cp.size + 1}\n")


def change_signed_root(document: dict[str, Any]) -> None:
    cp = Checkpoint.parse(note_text(document["checkpoint"]))
    forged = Checkpoint(cp.origin, cp.size, bytes(32), cp.time)
    document["checkpoint"] = document["checkpoint"].replace(cp.to_text(), forged.to_text())


def sign_with_another_key(document: dict[str, Any]) -> None:
    cp = Checkpoint.parse(note_text(document["checkpoint"]))
    document["checkpoint"] = sign_checkpoint(cp, Signer.generate("hoso-test"))


def change_state_and_its_leaf(document: dict[str, Any]) -> None:
    """A forger who also recomputes the leaf: the inclusion proof gives them away."""
    event = document["events"][1]
    event["state"] = event["state"].replace("A", "B", 1)
    event["leaf_hash"] = record_leaf_hash(event["position"], event["originator_id"],
                                          event["version"], event["topic"],
                                          _b64(event["state"])).hex()


def _b64(text: str) -> bytes:
    import base64

    return base64.b64decode(text)


def event(n: int, **changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda document: document["events"][n].update(changes)


MUTATIONS: dict[str, tuple[Callable[[dict[str, Any]], None], str, int | None]] = {
    # name: (mutation, message expected, index of the event named — None for the export)
    "a proof sibling flipped": (
        lambda d: d["events"][1]["inclusion_proof"].__setitem__(
            0, flip(d["events"][1]["inclusion_proof"][0])),
        "inclusion proof does not lead to the root", 1),
    "a proof truncated": (lambda d: d["events"][0]["inclusion_proof"].pop(),
                          "wrong proof size", 0),
    "a leaf index changed": (lambda d: d["events"][1].update(
        leaf_index=d["events"][1]["leaf_index"] + 1), "inclusion proof fails", 1),
    "a leaf index beyond the checkpoint": (lambda d: d["events"][1].update(leaf_index=10**6),
                                           "index is beyond size", 1),
    "the signed size changed": (change_signed_size, "does not verify", None),
    "the signed root changed": (change_signed_root, "does not verify", None),
    "signed by another key": (sign_with_another_key, "carries no signature by", None),
    "a consistency proof changed": (
        lambda d: d["consistency"][0]["proof"].__setitem__(
            0, flip(d["consistency"][0]["proof"][0])),
        "cannot prove the checkpoint of size", None),
    "a consistency proof truncated": (lambda d: d["consistency"][0]["proof"].pop(),
                                      "cannot prove the checkpoint of size", None),
    "a state byte changed": (
        lambda d: d["events"][1].update(state=d["events"][1]["state"].replace("A", "B", 1)),
        "does not hash to its logged leaf", 1),
    "a state changed with its leaf": (change_state_and_its_leaf, "inclusion proof fails", 1),
    "the leaf removed": (event(2, leaf_hash=None, leaf_index=None, inclusion_proof=None),
                         "no leaf in the log", 2),
    "the type changed": (event(1, type="Accepted"), "its type says 'Accepted'", 1),
    "the actor changed": (event(1, actor="pl-rcv-009"), "its actor says 'pl-rcv-009'", 1),
    "the office changed": (event(2, office="000.21.11.H40"), "its office says", 2),
    "the time changed": (event(0, time="2026-03-11T09:10:00+07:00"), "its time says", 0),
    "the custodian changed": (event(1, custodian="pl-rcv-003"), "its custodian says", 1),
    "an event left out": (lambda d: d["events"].pop(1), "version 2 of", None),
    "another dossier's code": (lambda d: d.update(code="000.21.11.H40-260310-0002"),
                               "the first event names dossier", 0),
    "two events swapped": (
        lambda d: d["events"].__setitem__(slice(1, 3), [
            {**d["events"][2], "version": 2}, {**d["events"][1], "version": 3}]),
        "does not hash to its logged leaf", None),
}


@pytest.mark.parametrize("name", MUTATIONS, ids=list(MUTATIONS))
def test_a_mutated_export_is_rejected_naming_what_and_where(ledger: Ledger, name: str) -> None:
    mutate, message, index = MUTATIONS[name]
    document = ledger.export()
    named = copy.deepcopy(document["events"][index]) if index is not None else None
    mutate(document)
    report = ledger.verify(document)
    assert not report.valid
    assert message in problems(report), problems(report)
    if named is not None:
        hit = next(p for p in report.problems if message in str(p))
        assert hit.position == named["position"]


def test_the_same_problems_are_found_in_csv_and_pdf(ledger: Ledger) -> None:
    from tracker.slips.control_pdf import render_slip

    document = ledger.export()
    document["events"][1]["actor"] = "pl-rcv-009"
    report = ledger.verify(document)
    for data in (to_json(document), to_csv(document), render_slip(document, report)):
        again = parse_export(data)
        assert again == document
        assert [str(p) for p in ledger.verify(again).problems] == [str(p)
                                                                   for p in report.problems]


def test_a_one_leaf_proof_and_uncovered_events_survive_csv() -> None:
    ledger = Ledger.__new__(Ledger)
    ledger.recorder, ledger.history = MemoryRecorder(), []
    ledger.log, ledger.signer = TamperEvidentLog(ledger.recorder, ORIGIN), Signer.generate("k")
    ledger.add("Received", "pl-rcv-003", "000.21.11.H40", "pl-rcv-003", code=CODE)
    ledger.checkpoint()
    ledger.add("HandedOver", "pl-rcv-003", "000.21.11.H40", "pl-cur-001", carrier="pl-cur-001")
    document = ledger.export()
    assert [e["inclusion_proof"] for e in document["events"]] == [[], None]
    assert parse_export(to_csv(document)) == document
    assert ledger.verify(parse_export(to_csv(document))).valid


# -- earlier exports ------------------------------------------------------------------------


def test_a_later_export_is_consistent_with_an_earlier_one_either_way_round(
        ledger: Ledger) -> None:
    first = ledger.export()
    ledger.add("Resolved", "pl-off-001", "000.21.01.H40", "pl-off-001", timeliness="early")
    ledger.noise(5)
    ledger.checkpoint(minutes=10)
    second = ledger.export()
    assert ledger.verify(second, (first,)).valid, problems(ledger.verify(second, (first,)))
    assert ledger.verify(first, (second,)).valid
    assert ledger.verify(second, (second, first)).valid


def test_an_earlier_checkpoint_that_cannot_be_proven_a_prefix_is_named(ledger: Ledger) -> None:
    first = ledger.export()
    ledger.noise(1)
    ledger.checkpoint(minutes=10)
    second = ledger.export()
    second["consistency"] = [e for e in second["consistency"]
                             if e["checkpoint"] != first["checkpoint"]]
    report = ledger.verify(second, (first,))
    assert ledger.verify(second).valid  # alone it shows nothing wrong; with the first it does
    assert "cannot prove the earlier checkpoint is a prefix" in problems(report)


def test_a_log_rebuilt_with_the_key_but_a_changed_event_is_caught_by_the_earlier_export(
        ledger: Ledger) -> None:
    # GIVEN an export, THEN the HandedOver record rewritten and every leaf recomputed, and
    # the unaware server signs the rebuilt tree — with no earlier checkpoint kept
    first = ledger.export()
    rows = ledger.recorder.rows
    target = next(i for i, r in enumerate(rows) if r.topic.endswith("HandedOver"))
    old = rows[target]
    rows[target] = old._replace(state=old.state.replace(b"pl-cur-001", b"pl-cur-002"))
    ledger.recorder.leaf_rows = [StoredLeaf(i, r.position, r.leaf()) for i, r in enumerate(rows)]
    ledger.recorder.notes.clear()
    ledger.history[1]["custodian"] = "pl-cur-002"
    ledger.checkpoint(minutes=30)
    second = ledger.export()
    # WHEN the new export is checked THEN alone it verifies, and against the old it does not
    assert ledger.verify(second).valid
    report = ledger.verify(second, (first,))
    text = problems(report)
    assert "cannot prove the earlier checkpoint is a prefix" in text
    assert f"position {old.position} (HandedOver v2" in text
    assert "changed, moved or replaced since" in text


def test_an_event_missing_from_a_later_export_of_the_same_dossier_is_named(
        ledger: Ledger) -> None:
    first = ledger.export()
    second = ledger.export()
    gone = second["events"].pop(1)
    report = ledger.verify(second, (first,))
    assert f"position {gone['position']} (HandedOver v2" in problems(report)
    assert "missing from this export" in problems(report)


def test_a_tampered_earlier_export_is_reported_as_such(ledger: Ledger) -> None:
    first = ledger.export()
    first["events"][0]["actor"] = "someone-else"
    report = ledger.verify(ledger.export(), (first,))
    assert "earlier export #1" in problems(report)


def test_an_earlier_export_from_another_log_is_named(ledger: Ledger) -> None:
    other = Ledger()
    other.signer, other.log.origin = ledger.signer, "hoso/another-log"
    other.recorder.notes.clear()
    other.checkpoint()
    report = ledger.verify(ledger.export(), (other.export(),))
    assert other.verify(other.export()).valid
    assert "it is from the log 'hoso/another-log'" in problems(report)


# -- malformed input ------------------------------------------------------------------------


@pytest.mark.parametrize("data", [
    b"", b"\xff\xfe", b"hello", b"[1, 2]", b'{"format": "something-else/1"}',
    b"%PDF-1.4 not really", b"# hoso-custody-export/1\r\n# !!!\r\n",
], ids=["empty", "not utf-8", "text", "a list", "another format", "a broken pdf",
        "a broken csv header"])
def test_what_is_not_an_export_is_malformed_not_invalid(data: bytes, ledger: Ledger) -> None:
    with pytest.raises(MalformedExport):
        ledger.verify(parse_export(data))


def test_an_export_with_a_field_of_the_wrong_type_is_malformed(ledger: Ledger) -> None:
    document = ledger.export()
    document["events"][0]["position"] = "7"
    with pytest.raises(MalformedExport, match=r"events\[0\].position"):
        ledger.verify(document)
    csv_text = to_csv(ledger.export()).decode().replace("leaf_index,", "index,", 1)
    with pytest.raises(MalformedExport, match="CSV columns"):
        parse_export(csv_text.encode())


def test_a_pdf_without_the_attachment_is_malformed(tmp_path: Path) -> None:
    from reportlab.pdfgen.canvas import Canvas

    Canvas(str(tmp_path / "plain.pdf")).save()
    with pytest.raises(MalformedExport, match=r"carries 0 hoso-export\.json attachments"):
        parse_export((tmp_path / "plain.pdf").read_bytes())


def test_the_offline_verifier_imports_no_database_tree_or_tracker_code() -> None:
    """An inspector (or a citizen) copies the nine modules below: nothing else, and none of them
    imports more than the standard library, ``cryptography`` and each other (``pypdf`` for PDF
    exports)."""
    ed25519 = "cryptography.hazmat.primitives.asymmetric.ed25519"
    allowed = {
        "events.export.offline": {"events.evidence.cosignature", "events.export.files",
                                  "events.evidence.notes", "events.evidence.records",
                                  "events.evidence.rotation", "events.evidence.verify"},
        "events.evidence.cosignature": {"events.evidence.notes"},
        "events.evidence.notes": {"cryptography.exceptions", ed25519},
        "events.evidence.records": set(),
        "events.evidence.rotation": {"events.evidence.notes"},
        "events.evidence.verify": set(),
        "events.export.files": {"pypdf"},
        "events.export.proof": {"events.evidence.cosignature", "events.evidence.notes",
                                "events.evidence.rotation", "events.evidence.verify",
                                "events.export.files"},
        "events.export.__main__": {"events.evidence.cosignature", "events.evidence.notes",
                                   "events.export.files", "events.export.offline",
                                   "events.export.proof"},
    }
    for module, expected in allowed.items():
        source = Path(__file__).parents[2].joinpath(*module.split(".")).with_suffix(".py")
        imported = set()
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
        outside = {m for m in imported if m.split(".")[0] not in sys.stdlib_module_names}
        assert outside == expected, module

"""What ``audit verify`` and ``audit export`` ask of the witnesses, kept out of those commands.

Verify asks each configured witness for the checkpoint it last cosigned (its read-only
``/latest-checkpoint``), and holds the store against those notes as against its own: a log
rewritten and signed again, even with every checkpoint deleted, no longer gives the root a
witness cosigned. With HOSO_WITNESS_QUORUM=k it also requires k valid cosignatures on the
newest checkpoint, from the store's table, the checkpoint folder or the witnesses' answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import Any

from events.evidence.audit import AuditReport, Finding
from events.evidence.cosignature import Quorum, add_cosignatures, check_quorum
from events.evidence.notes import Checkpoint, NoteError, note_text
from events.evidence.rotation import KeyRing
from events.evidence.witness.client import WitnessClient, WitnessEndpoint
from tracker.bootstrap import Services

ASK_TIMEOUT = 5.0  # seconds a witness gets to answer verify


@dataclass
class WitnessCheck:
    """The witnesses' view of the log: their newest cosigned notes and the newest checkpoint's
    quorum (None without witnesses or checkpoints)."""

    witnesses: list[str] = field(default_factory=list)
    required: int = 0
    newest: Checkpoint | None = None
    quorum: Quorum | None = None
    asked: dict[str, str] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (source, cosigned note)

    @property
    def ok(self) -> bool:
        return self.quorum is None or self.quorum.met

    def judge(self, report: AuditReport) -> None:
        """Add a finding to ``report`` when the quorum is not met."""
        if self.quorum is not None and not self.quorum.met and self.newest is not None:
            report.findings.append(Finding(0, "witnesses", (
                f"the newest checkpoint (size {self.newest.size}) lacks its quorum: "
                f"{self.quorum.describe()}")))

    def to_dict(self) -> dict[str, Any]:
        return {"configured": self.witnesses, "required": self.required,
                "newest_size": self.newest.size if self.newest else None,
                "quorum": self.quorum.to_dict() if self.quorum else None, "asked": self.asked}

    def lines(self) -> list[str]:
        if not self.witnesses:
            return []
        head = (f"witnesses: {self.quorum.describe()} the newest checkpoint (size "
                f"{self.newest.size})" if self.quorum and self.newest
                else "witnesses: no checkpoint to cosign yet")
        return [head, *(f"  {label}: {said}" for label, said in self.asked.items())]


def witness_check(wired: Services, keys: KeyRing,
                  outside_notes: Sequence[tuple[str, str]]) -> WitnessCheck:
    """Ask the configured witnesses and count the newest checkpoint's cosignatures."""
    endpoints = wired.witness_endpoints()
    if not endpoints:
        return WitnessCheck()
    log = wired.tamper_evident_log()
    check = WitnessCheck([e.label for e in endpoints], wired.settings.witness_quorum)
    with ThreadPoolExecutor(max_workers=len(endpoints)) as pool:
        answers = list(pool.map(lambda e: _ask(e, keys, log.origin), endpoints))
    for endpoint, (said, note) in zip(endpoints, answers, strict=True):
        check.asked[endpoint.label] = said
        if note is not None:
            check.notes.append((f"witness {endpoint.label}", note))
    newest = _newest([*log.recorder.select_checkpoints(), *(n for _, n in outside_notes)],
                     keys, log.origin)
    if newest is None:
        return check
    check.newest, note = newest
    lines = [*wired.cosignature_store().lines_for(check.newest.size),
             *wired.cosignature_directory().lines_for(check.newest)]
    for _, cosigned in check.notes:
        if note_text(cosigned) == note_text(note):
            note = add_cosignatures(
                note, cosigned[cosigned.rfind("\n\n") + 2:].splitlines(keepends=True))
    check.quorum = check_quorum(note, lines, [e.verifier for e in endpoints], check.required)
    return check


def _ask(endpoint: WitnessEndpoint, keys: KeyRing, origin: str) -> tuple[str, str | None]:
    """What the witness says it holds, and its cosigned note when that verifies."""
    client = WitnessClient(endpoint, ASK_TIMEOUT)
    try:
        note = client.latest_checkpoint(origin)
    except (OSError, HTTPException, NoteError) as error:
        return f"not asked: {type(error).__name__}: {error}", None
    finally:
        client.close()
    if note is None:
        return "holds no checkpoint of this log", None
    try:
        held = keys.open_checkpoint(note, origin)
    except NoteError as error:
        return f"holds a checkpoint this log's key did not sign: {error}", None
    quorum = check_quorum(note, [], [endpoint.verifier], 1)
    if not quorum.met:
        return "its checkpoint carries no valid cosignature of its own", None
    when = quorum.cosigned[endpoint.label].time.isoformat()
    return f"cosigned size {held.size} at {when}", note


def _newest(notes: Sequence[str], keys: KeyRing, origin: str
            ) -> tuple[Checkpoint, str] | None:
    best: tuple[Checkpoint, str] | None = None
    for note in notes:
        try:
            checkpoint = keys.open_checkpoint(note, origin)
        except NoteError:
            continue  # the audit names it
        if best is None or checkpoint.size > best[0].size:
            best = checkpoint, note
    return best


def export_checkpoint(wired: Services, notes: Sequence[str]) -> tuple[Checkpoint, str] | None:
    """The checkpoint an export is made against, its cosignatures added: the newest with the
    quorum (HOSO_WITNESS_QUORUM), else the newest; ``notes`` are the store's, oldest first."""
    endpoints = wired.witness_endpoints()
    store, folder = wired.cosignature_store(), wired.cosignature_directory()
    first: tuple[Checkpoint, str] | None = None
    for note in reversed(notes[-100:]):
        checkpoint = Checkpoint.parse(note_text(note))
        if endpoints:
            note = add_cosignatures(note, [*store.lines_for(checkpoint.size),
                                           *folder.lines_for(checkpoint)])
        first = first or (checkpoint, note)
        required = wired.settings.witness_quorum
        if not required or check_quorum(note, [], [e.verifier for e in endpoints],
                                        required).met:
            return checkpoint, note
    return first

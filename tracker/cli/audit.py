"""``hoso audit``: keys, signed checkpoints and the verification inspectors rely on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from events.evidence.audit import AuditReport
from events.evidence.keys import KeyFileError, generate_keypair, load_verifier
from events.evidence.notes import SIGNATURE_PREFIX, NoteError
from events.evidence.rotation import KeyRing
from events.evidence.tail import SigningWindow
from tracker.bootstrap import Services
from tracker.cli.audit_export import register as register_export_commands
from tracker.cli.audit_keys import key_periods, rotate_key
from tracker.cli.audit_timeline import timeline_command
from tracker.cli.context import services
from tracker.cli.output import emit, json_option
from tracker.cli.witness_check import witness_check
from tracker.domain.errors import N_, BadInput


@click.group()
def audit() -> None:
    """Tamper evidence: keys, checkpoints, verification."""


@audit.command()
@click.option("--out", "directory", required=True, type=click.Path(file_okay=False,
                                                                    path_type=Path))
@json_option
def keygen(directory: Path) -> None:
    """Make the Ed25519 key pair: DIR/audit.key (mode 0600, never in the database) and
    DIR/audit.pub. Point HOSO_AUDIT_KEY at the private key."""
    try:
        private, public = generate_keypair(directory)
    except KeyFileError as error:
        raise BadInput(str(error)) from None
    emit({"private_key": str(private), "public_key": str(public)},
         lambda: [f"private key: {private} (keep it off the database server's backups)",
                  f"public key:  {public}"])


@audit.command()
@json_option
def checkpoint() -> None:
    """Sign the log's current root now; kept in the store and in HOSO_CHECKPOINT_DIR."""
    wired = services()
    signer = wired.signer()
    made, _ = wired.tamper_evident_log().checkpoint(signer, wired.application().clock())
    emit({"size": made.size, "root": made.root.hex(), "time": made.time.isoformat(),
          "fingerprint": made.fingerprint},
         lambda: [f"checkpoint {made.size} leaves, fingerprint {made.fingerprint}"])


@audit.command()
@click.option("--public-key", type=click.Path(dir_okay=False, path_type=Path),
              help="The log's public key (default HOSO_AUDIT_PUBLIC_KEY, or audit.pub beside "
                   "HOSO_AUDIT_KEY).")
@json_option
def verify(public_key: Path | None) -> None:
    """Recompute every leaf and root from the store; exit 1 naming the first bad position, or
    when events are left unsigned: with no signed checkpoint at all, or longer than
    HOSO_CHECKPOINT_SECONDS (+ HOSO_CHECKPOINT_GRACE) after their commit."""
    wired = services()
    settings = wired.settings
    window = SigningWindow(settings.checkpoint_seconds, settings.checkpoint_grace,
                           wired.application().clock())
    key_path = public_key or wired.settings.audit_public_key
    if key_path is None:
        raise BadInput(N_("give --public-key or set HOSO_AUDIT_PUBLIC_KEY"))
    try:
        verifier = load_verifier(key_path)
    except (KeyFileError, NoteError, OSError) as error:
        raise BadInput(N_("{key_path}: {error}"), key_path=key_path, error=error) from None
    outside = wired.checkpoint_directory()
    notes = [(f"{outside.path}", note) for note in outside.all()]
    keys = KeyRing.build(verifier, outside.rotations(), wired.tamper_evident_log().origin)
    witnessed = witness_check(wired, keys, notes)  # HOSO_WITNESSES: their roots, the quorum
    report = wired.tamper_evident_log().audit(keys, [*notes, *witnessed.notes], window=window)
    witnessed.judge(report)
    first = report.first
    findings = [{"position": f.position, "kind": f.kind, "detail": f.detail}
                for f in sorted(report.findings, key=lambda f: f.position)]
    document = {
        "intact": report.intact, "events": report.events, "leaves": report.leaves,
        "checkpoints": report.checkpoints,
        "first_bad_position": first.position if first else None,
        "findings": findings,
        **signing_document(report, window, cosigners(wired, report)),
        "witnesses": witnessed.to_dict(),
        "keys": key_periods(keys),
    }
    emit(document, lambda: [*verify_lines(report, document), *witnessed.lines()])
    if not report.intact:
        raise click.exceptions.Exit(1)


def cosigners(wired: Services, report: AuditReport) -> list[str]:
    """Who cosigned the newest checkpoint, as stored (not checked here: with HOSO_WITNESSES the
    witness check counts the valid ones): other signatures on its copies, then the stored
    cosignature lines."""
    if report.newest is None:
        return []
    lines = wired.cosignature_store().lines_for(report.newest.size)
    stored = [line[len(SIGNATURE_PREFIX):].partition(" ")[0] for line in lines
              if line.startswith(SIGNATURE_PREFIX)]
    return list(dict.fromkeys([*report.newest.others, *stored]))


def signing_document(report: AuditReport, window: SigningWindow,
                     witnesses: list[str]) -> dict[str, Any]:
    """The newest signed checkpoint (its age and who cosigned it) and the events after it, as
    ``audit verify --json`` reports them."""
    newest, tail = report.newest, report.tail
    age = None if newest is None or newest.time is None else (
        round((window.now - newest.time).total_seconds(), 1))
    tail_age = None if tail is None else tail.age(window.now)
    return {
        "newest_checkpoint": None if newest is None else {
            "size": newest.size, "time": newest.time.isoformat() if newest.time else None,
            "age_seconds": age, "source": newest.source, "witnesses": witnesses},
        "unsigned": None if tail is None else {
            "events": tail.events, "from_leaf": tail.from_leaf,
            "first_position": tail.first_position,
            "oldest": tail.oldest.isoformat() if tail.oldest else None,
            "age_seconds": None if tail_age is None else round(tail_age, 1)},
        "window_seconds": window.seconds, "grace_seconds": window.grace,
    }


def verify_lines(report: AuditReport, document: dict[str, Any]) -> list[str]:
    findings = document["findings"]
    if findings and all(f["kind"] == "unsigned" for f in findings):
        return [f"NOT VERIFIED: {findings[0]['detail']}"]
    if findings:
        return [f"NOT INTACT: first bad position {document['first_bad_position']}",
                *(f"  {f['kind']:<10} {f['position']:>8}  {f['detail']}" for f in findings)]
    lines = [f"intact: {report.events} events, {report.checkpoints} signed checkpoints agree"]
    newest, unsigned = document["newest_checkpoint"], document["unsigned"]
    if newest is not None:
        witnessed = ", ".join(newest["witnesses"]) or "none stored"
        lines.append(f"newest checkpoint: {newest['size']} leaves, signed {newest['time']} "
                     f"({newest['age_seconds']} s ago); cosigned by: {witnessed}")
    if unsigned is not None and unsigned["events"]:
        lines.append(f"unsigned: {unsigned['events']} events after it, the oldest committed "
                     f"{unsigned['age_seconds']} s ago (window {document['window_seconds']:g} "
                     f"s + {document['grace_seconds']:g} s grace)")
    return lines


register_export_commands(audit)
audit.add_command(rotate_key)
audit.add_command(timeline_command)
COMMANDS = [audit]

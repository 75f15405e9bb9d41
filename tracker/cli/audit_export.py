"""``hoso audit export`` and ``verify-export``: custody histories with proofs, checked offline.

``export`` needs the store and the latest checkpoint; ``verify-export`` needs nothing but the
file and the public key — it never opens the store, so an inspector can run it anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from events.evidence.cosignature import CosignatureVerifier
from events.evidence.keys import KeyFileError, load_verifier
from events.evidence.notes import NoteError, Verifier
from events.evidence.witness.keys import load_witness_verifier
from events.export.files import MalformedExport, load_export
from events.export.offline import OfflineReport, verify_export
from events.export.proof import PROOF_FORMAT, verify_proof
from tracker.cli.context import services
from tracker.cli.output import emit, json_option, write_whole
from tracker.custody_export import FORMATS, ExportFailure, make_export, render
from tracker.domain.errors import N_, BadInput

_PUBLIC_KEY_HELP = ("The log's public key: a .pub file or the key string itself (default "
                    "HOSO_AUDIT_PUBLIC_KEY, or audit.pub beside HOSO_AUDIT_KEY).")


def register(group: click.Group) -> None:
    """Add ``export`` and ``verify-export`` to the ``hoso audit`` group."""
    group.add_command(export)
    group.add_command(verify_export_command)


@click.command()
@click.argument("code")
@click.option("--format", "form", type=click.Choice(FORMATS),
              help="pdf (the process control slip), csv or json; default: from -o's suffix.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write (replaced atomically).")
@click.option("--public-key", help=_PUBLIC_KEY_HELP)
@json_option
def export(code: str, form: str | None, output: Path, public_key: str | None) -> None:
    """Write CODE's custody history with proofs against the latest checkpoint, after verifying
    it with the public key as an inspector would; exit 1 if that verification fails."""
    form = form or output.suffix.lower().lstrip(".")
    if form not in FORMATS:
        raise BadInput(N_("give --format {items} (or an -o file ending in one)"),
                       items='|'.join(FORMATS))
    wired = services()
    verifier = _verifier(public_key, wired.settings.audit_public_key)
    try:
        made = make_export(wired, code, verifier)
    except ExportFailure as error:
        raise click.ClickException(str(error)) from None
    document, report, warnings = made.document, made.report, made.warnings
    write_whole(output, _render(form, document, report))
    emit({"file": str(output), "format": form, "warnings": warnings, **report.to_dict()},
         lambda: [*warnings, f"wrote {output} ({form}): {len(document['events'])} events of "
                  f"{code}", *_report_lines(report)])
    if not report.valid:
        raise click.exceptions.Exit(1)


@click.command("verify-export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--public-key", help=_PUBLIC_KEY_HELP)
@click.option("--earlier", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="An earlier export: its checkpoint must be a prefix of this one's and its "
                   "events unchanged here. Repeatable.")
@click.option("--witness", "witness_keys", multiple=True,
              help="A witness's public key (vkey or .pub file) whose cosignature counts toward "
                   "--quorum. Repeatable; default: the keys in HOSO_WITNESSES.")
@click.option("--quorum", type=click.IntRange(0), default=None,
              help="Cosignatures the export's checkpoint must carry (default "
                   "HOSO_WITNESS_QUORUM, else 0).")
@json_option
def verify_export_command(file: Path, public_key: str | None, earlier: tuple[Path, ...],
                          witness_keys: tuple[str, ...], quorum: int | None) -> None:
    """Verify an export (PDF, CSV or JSON), or a citizen's custody proof, offline: exit 0
    valid, 1 INVALID, 2 unreadable.

    Uses only FILE, the --earlier files and the public keys; never the store."""
    wired = services()
    verifier = _verifier(public_key, wired.settings.audit_public_key)
    witnesses = _witnesses(witness_keys) if witness_keys else [
        e.verifier for e in wired.witness_endpoints()]
    quorum = wired.settings.witness_quorum if quorum is None else quorum
    if quorum > len(witnesses):
        raise BadInput(N_("a quorum of {quorum} needs at least {quorum} --witness keys"),
                       quorum=quorum)
    try:
        document = load_export(file)
        if document.get("format") == PROOF_FORMAT:  # a citizen's custody proof
            proof = verify_proof(document, verifier, witnesses, quorum)
            emit({"file": str(file), **proof.to_dict()}, proof.lines)
            if not proof.valid:
                raise click.exceptions.Exit(1)
            return
        older = [load_export(path) for path in earlier]
        report = verify_export(document, verifier, older, witnesses, quorum)
    except MalformedExport as error:
        raise BadInput(str(error)) from None
    emit({"file": str(file), **report.to_dict()}, lambda: _report_lines(report))
    if not report.valid:
        raise click.exceptions.Exit(1)


def _verifier(public_key: str | None, configured: Path | None) -> Verifier:
    """The verifier from --public-key (a file, else the key string) or the configured file."""
    source: Path | str | None = public_key
    if public_key is None:
        source = configured
    elif "+" not in public_key or Path(public_key).is_file():  # key strings are name+id+key
        source = Path(public_key)
    if source is None:
        raise BadInput(N_("give --public-key or set HOSO_AUDIT_PUBLIC_KEY"))
    try:
        return load_verifier(source)
    except (KeyFileError, NoteError, OSError) as error:
        raise BadInput(N_("{value}: {error}"), value=public_key or source, error=error) from None


def _witnesses(keys: tuple[str, ...]) -> list[CosignatureVerifier]:
    """Each --witness: a vkey string, else a .pub file."""
    try:
        return [load_witness_verifier(key if "+" in key and not Path(key).is_file()
                                      else Path(key)) for key in keys]
    except (KeyFileError, NoteError) as error:
        raise BadInput(N_("--witness: {error}"), error=error) from None


def _render(form: str, document: Mapping[str, Any], report: OfflineReport) -> bytes:
    from tracker.slips.control_pdf import SlipError

    try:
        return render(form, document, report)
    except SlipError as error:
        raise click.ClickException(str(error)) from None


def _report_lines(report: OfflineReport) -> list[str]:
    cp = report.checkpoint
    against = (f"checkpoint {cp.size} leaves, {cp.time:%Y-%m-%d %H:%M:%S}Z, fingerprint "
               f"{cp.fingerprint}" if cp else "no valid checkpoint")
    if report.valid:
        head = (f"VALID: {report.code}, {report.proven} of {report.events} events proven "
                f"against {against}; key {report.key}")
        if report.earlier:
            head += f"; consistent with {report.earlier} earlier export(s)"
    else:
        head = f"INVALID: {report.code}, {len(report.problems)} problem(s); {against}"
    witnessed = [f"witnesses: {report.witnesses.describe()}"] if report.witnesses else []
    return [head, *(f"  {p}" for p in report.problems),
            *(f"  warning: {w}" for w in report.warnings), *witnessed]

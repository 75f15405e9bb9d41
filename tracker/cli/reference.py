"""Commands over the province data: load it, and list offices, staff and procedures."""

from __future__ import annotations

from pathlib import Path

import click

from events.evidence.keys import KeyFileError, load_signer
from events.evidence.notes import NoteError, Signer
from tracker.cli.context import application, services
from tracker.cli.output import emit, json_option, table
from tracker.domain.errors import N_, BadInput
from tracker.presenters import office_rows, procedure_rows, staff_rows
from tracker.province_file import demo_province_path, load_province_file


@click.command()
@click.option("--demo", is_flag=True, help="Load the demo province shipped with hoso.")
@click.option("--province", "province_file", type=click.Path(dir_okay=False),
              help="Load this province YAML file (see docs/province-file.md).")
@json_option
def init(demo: bool, province_file: str | None) -> None:
    """Load the province data (org tree, staff, procedures, calendar) into the store; make the
    audit signing key (HOSO_DATA_DIR/keys/audit.key) unless HOSO_AUDIT_KEY names one, and sign
    a checkpoint over the log."""
    if demo == (province_file is not None):
        raise BadInput(N_("init needs exactly one of --demo or --province FILE"))
    path = demo_province_path() if demo else province_file
    document = load_province_file(path or "")
    changed = application(create_tables=True).load_province(document)
    province = application().province()
    key, public, made = _audit_key()
    wired = services()
    signed, _ = wired.tamper_evident_log().checkpoint(load_key(key), wired.application().clock())
    summary = {
        "province": province.name,
        "changed": changed,
        "offices": len(province.offices),
        "staff": len(province.staff),
        "procedures": len(province.procedures),
        "audit_key": {"private_key": str(key), "public_key": str(public), "made": made},
        "checkpoint": {"size": signed.size, "fingerprint": signed.fingerprint},
    }
    emit(summary, lambda: [
        f"{'loaded' if changed else 'unchanged'}: {province.name} — {summary['offices']} offices, "
        f"{summary['staff']} staff, {summary['procedures']} procedures",
        f"audit key: {key}{' (made now)' if made else ''}; public key: {public}",
        f"checkpoint: {signed.size} leaves, fingerprint {signed.fingerprint}",
    ])


def _audit_key() -> tuple[Path, Path, bool]:
    try:
        return services().make_audit_key()
    except KeyFileError as error:
        raise BadInput(str(error)) from None


def load_key(path: Path) -> Signer:
    """The signer in ``path``; BadInput saying what is wrong with it."""
    try:
        return load_signer(path)
    except (KeyFileError, NoteError) as error:
        raise BadInput(str(error)) from None


@click.command()
@json_option
def offices() -> None:
    """List the offices of the org tree."""
    rows = office_rows(application().province())
    emit(rows, lambda: table(rows, ["code", "level", "kind", "parent", "name"]))


@click.command()
@json_option
def staff() -> None:
    """List the staff and their roles."""
    rows = staff_rows(application().province())
    emit(rows, lambda: table(rows, ["id", "role", "office", "name"]))


@click.command()
@json_option
def procedures() -> None:
    """List the procedures with their deadlines, fees and components."""
    rows = procedure_rows(application().province())
    emit(rows, lambda: table(
        [{**r, "components": ",".join(c["code"] for c in r["components"])} for r in rows],
        ["code", "field", "days", "fee", "resolving_office", "components", "name"]))


COMMANDS = [init, offices, staff, procedures]

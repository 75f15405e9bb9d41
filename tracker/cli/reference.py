"""Commands over the province data: load it, and list offices, staff and procedures."""

from __future__ import annotations

import click

from tracker.cli.context import application
from tracker.cli.output import emit, json_option, table
from tracker.domain.errors import BadInput
from tracker.presenters import office_rows, procedure_rows, staff_rows
from tracker.province_file import demo_province_path, load_province_file


@click.command()
@click.option("--demo", is_flag=True, help="Load the demo province shipped with hoso.")
@click.option("--province", "province_file", type=click.Path(dir_okay=False),
              help="Load this province YAML file (see docs/province-file.md).")
@json_option
def init(demo: bool, province_file: str | None) -> None:
    """Load the province data (org tree, staff, procedures, calendar) into the store."""
    if demo == (province_file is not None):
        raise BadInput("init needs exactly one of --demo or --province FILE")
    path = demo_province_path() if demo else province_file
    document = load_province_file(path or "")
    changed = application(create_tables=True).load_province(document)
    province = application().province()
    summary = {
        "province": province.name,
        "changed": changed,
        "offices": len(province.offices),
        "staff": len(province.staff),
        "procedures": len(province.procedures),
    }
    emit(summary, lambda: [
        f"{'loaded' if changed else 'unchanged'}: {province.name} — {summary['offices']} offices, "
        f"{summary['staff']} staff, {summary['procedures']} procedures"
    ])


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

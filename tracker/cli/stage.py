"""``hoso stage``: the QC actions on batches staged by ``hoso scan --stage`` or the QC page.

Each action's command is built from its model in tracker/commands/staging.py: the batch, the
dossier (or ``unassigned``) and the page are arguments, the rest options, parsed by the same
model the QC page's forms go through. Every action answers the batch as it then stands
(``--json``: the same document ``hoso stage show`` prints). A refusal changes nothing and exits
2 with one line.
"""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from tracker.cli.context import application, services
from tracker.cli.deleting import dry_run_or_yes
from tracker.cli.generated import _option, option_name
from tracker.cli.output import emit, json_option
from tracker.commands.parse import parse
from tracker.commands.staging import QC_ACTIONS, StageAction
from tracker.qc import QualityControl, refusal

ARGUMENTS = ("batch", "dossier", "page")


def quality_control() -> QualityControl:
    """QC on this machine's staging area, approving through the station's tracker link."""
    found = services()
    components_of = None
    if found.settings.tracker_url is None:
        def components_of(code: str) -> frozenset[str]:
            custody = application()
            procedure = custody.province().procedure(custody.status(code)["procedure"])
            return frozenset(c.code for c in procedure.components)

    return QualityControl(found.staging_store(),
                          lambda station, operator: found.scanning_station(station, operator),
                          components_of)


def batch_lines(batch: dict[str, Any] | None) -> list[str]:
    if batch is None:
        return ["the batch is empty: nothing left in staging"]
    days = (datetime.now(UTC) - datetime.fromisoformat(batch["created"])).days
    lines = [f"{batch['batch']}  station {batch['station']}  operator {batch['operator']}  "
             f"{batch['created']} ({days} day(s) ago)"]
    groups = [(d["code"], d["pages"]) for d in batch["dossiers"]]
    if batch["unassigned"]:
        groups.append(("unassigned", batch["unassigned"]))
    for where, pages in groups:
        lines.append(f"  {where}: {len(pages)} page(s)")
        for page in pages:
            marks = [f"{page['rotation']}°", f"OCR {page['confidence']:g}"]
            if page["blank"]:
                marks.append("blank")
            if page["component"]:
                marks.append(f"component {page['component']}")
            if page["excluded"]:
                marks.append(f"excluded: {page['excluded']}")
            lines.append(f"    {page['page']:>3}  {page['label']}  {', '.join(marks)}")
            lines += [f"         {n['message']}" for n in page["notes"]]
    return lines


def action_command(model: type[StageAction]) -> click.Command:
    params: list[click.Parameter] = [
        click.Argument([name], type=int if name == "page" else str)
        for name in ARGUMENTS if name in model.model_fields]
    for name, field in model.model_fields.items():
        flag = option_name(name, field)
        if flag is not None and name not in ARGUMENTS:
            params.append(_option(name, field, flag))

    def callback(**values: Any) -> None:
        given = {name: list(value) if isinstance(value, tuple) else value
                 for name, value in values.items() if value is not None}
        if "pages" in given:
            given["pages"] = [_page_number(p) for text in given["pages"] for p in
                              _page_range(text)]
        from scanning.errors import ScanningError

        try:
            answer = quality_control().run(parse(model, given))
        except ScanningError as error:  # the object store or tracker, not the input: exit 1
            raise click.ClickException(str(error)) from None
        if "approved" in answer:
            emit(answer, lambda: [f"{answer['approved']}: {answer['pages']} page(s) recorded",
                                  *batch_lines(answer["batch"])])
        else:
            emit(answer, lambda: batch_lines(answer))

    doc = inspect.getdoc(model) or model.action
    return json_option(click.Command(model.action, callback=callback, params=params, help=doc,
                                     short_help=doc.splitlines()[0]))


def _page_range(text: str) -> list[str]:
    """``1-3`` → 1, 2, 3; ``4`` → 4; anything else is left for the model to refuse."""
    first, dash, last = str(text).partition("-")
    if dash and first.isdigit() and last.isdigit() and int(first) <= int(last) <= 10_000:
        return [str(n) for n in range(int(first), int(last) + 1)]
    return [str(text)]


def _page_number(text: str) -> int | str:
    return int(text) if text.isdigit() else text


@click.group()
def stage() -> None:
    """Scans staged for QC: nothing in them is recorded until a dossier is approved."""


@stage.command(name="list")
@json_option
def list_batches() -> None:
    """The staged batches, oldest first."""
    batches = services().staging_store().batches()
    emit(batches, lambda: [line for b in batches for line in batch_lines(b)]
         or ["nothing staged"])


@stage.command()
@click.argument("batch")
@json_option
def show(batch: str) -> None:
    """A staged batch: its dossiers and unassigned pages, each page with its notes."""
    found = quality_control().show(batch)
    emit(found, lambda: batch_lines(found))


@stage.command()
@click.argument("batch")
@click.argument("dossier")
@click.argument("page", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
def rescan(batch: str, dossier: str, page: int, file: Path) -> None:
    """Put the page scanned again (FILE) in the place of PAGE."""
    from scanning.staging import StagingRefused

    store = services().staging_store()
    try:
        store.rescan(batch, dossier, page, file)
        found = store.show(batch)
    except StagingRefused as error:
        raise refusal(error) from None
    emit(found, lambda: batch_lines(found))


@stage.command()
@click.option("--days", type=click.IntRange(min=1), default=30, show_default=True,
              help="Discard the batches staged longer ago than this.")
@dry_run_or_yes("Discard the batches listed.")
@json_option
def expire(days: int, yes: bool) -> None:
    """Discard the batches still waiting in staging DAYS after they were scanned (one of
    --dry-run or --yes): their scans hold personal data, and nothing of them was stored or
    recorded. The paper is scanned again if it is still needed."""
    store = services().staging_store()
    cutoff = datetime.now(UTC) - timedelta(days=days)
    waiting = store.batches()
    old = [b["batch"] for b in waiting if datetime.fromisoformat(b["created"]) < cutoff]
    if yes:
        for batch in old:
            store.discard(batch)
    report = {"batches": old, "discarded": len(old) if yes else 0,
              "kept": len(waiting) - len(old)}
    emit(report, lambda: [*(f"{'discarded' if yes else 'would discard'} {b}" for b in old),
                          f"{len(old)} batch(es) staged over {days} days ago "
                          f"{'discarded' if yes else 'found'}; {report['kept']} kept"])


@stage.command()
@click.argument("batch")
@json_option
def discard(batch: str) -> None:
    """Delete a staged batch: none of it was stored or recorded."""
    from scanning.staging import StagingRefused

    try:
        services().staging_store().discard(batch)
    except StagingRefused as error:
        raise refusal(error) from None
    emit({"discarded": batch}, lambda: [f"{batch} discarded"])


for _model in QC_ACTIONS:
    stage.add_command(action_command(_model))

COMMANDS = [stage]

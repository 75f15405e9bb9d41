"""``hoso slip`` and ``hoso register``: the printed papers of Circular 01/2018/TT-VPCP, to a file.

    hoso slip receipt|supplement|refusal|apology CODE -o FILE.pdf
    hoso register --office O --from DATE --to DATE -o FILE.pdf|FILE.csv

The CLI runs on the server, as the rest of it does: it reads the store directly and logs no
access (README, "Who is acting"). A file is written whole or not at all, mode 0600, since it
holds the applicant's data.
"""

from __future__ import annotations

from pathlib import Path

import click

from tracker.cli.context import services
from tracker.cli.output import emit, json_option, write_whole
from tracker.commands.parse import parse
from tracker.commands.slips import REGISTER_FORMATS, SLIP_KINDS, RegisterQuery
from tracker.domain.errors import N_, BadInput
from tracker.slips.documents import FORMS, lookup_url, slip_of
from tracker.slips.pdf import render_slip
from tracker.slips.register import build_register, register_csv
from tracker.slips.register_pdf import render_register

OUTPUT = click.Path(dir_okay=False, path_type=Path)


@click.command()
@click.argument("kind", type=click.Choice(SLIP_KINDS))
@click.argument("code")
@click.option("-o", "--output", required=True, type=OUTPUT, help="The PDF file to write.")
@json_option
def slip(kind: str, code: str, output: Path) -> None:
    """Print CODE's KIND slip as an A5 PDF: receipt (Mẫu 01), supplement (02), refusal (03)
    or apology (04). Exit 2 when the dossier has no event to print it from."""
    if output.suffix.lower() != ".pdf":
        raise BadInput(N_("a slip is a PDF: give -o a file name ending in .pdf"))
    wired = services()
    custody = wired.application()
    document = slip_of(kind, custody.history(code), custody.province())
    write_whole(output, render_slip(document, lookup_url(wired.settings.public_url,
                                                         document.code)))
    emit({"file": str(output), "kind": kind, "form": document.form, "code": document.code},
         lambda: [f"wrote {output}: {FORMS[document.kind]} {document.title} of {code}"])


@click.command()
@click.option("--office", required=True, help="The office whose receipts are listed.")
@click.option("--from", "start", required=True, metavar="DATE", help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, metavar="DATE", help="Last day (included).")
@click.option("-o", "--output", required=True, type=OUTPUT,
              help="The file to write: .pdf (A4 landscape) or .csv (UTF-8, for Excel).")
@json_option
def register(office: str, start: str, end: str, output: Path) -> None:
    """Write the office's dossier register (Mẫu 06) for the days --from..--to: one row per
    dossier received there, as PDF or CSV by the file's extension."""
    form = output.suffix.lower().lstrip(".")
    if form not in REGISTER_FORMATS:
        raise BadInput(N_("give -o a file name ending in .pdf or .csv"))
    query = parse(RegisterQuery, {"office": office, "from": start, "to": end})
    document = build_register(services().application(), query.office, query.start, query.end)
    write_whole(output, render_register(document) if form == "pdf" else register_csv(document))
    emit({"file": str(output), "format": form, "office": query.office,
          "from": query.start.isoformat(), "to": query.end.isoformat(),
          "dossiers": [row.code for row in document.rows]},
         lambda: [f"wrote {output}: {len(document.rows)} dossiers received at "
                  f"{query.office} from {query.start} to {query.end}"])


COMMANDS = [slip, register]

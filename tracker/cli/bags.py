"""``hoso bag``: make a bag of dossiers, hand it to a courier, accept it, print its manifest.

    hoso bag create --by STAFF --to-office O CODE… [--json]      # {"bag": "TUI-…", …}
    hoso bag add BAG --by STAFF CODE…
    hoso bag handover BAG --by STAFF --courier C [--pages CODE=N…]
    hoso bag accept BAG --by STAFF --office O [--missing CODE…] [--pages CODE=N…]
    hoso bag show BAG
    hoso bag manifest BAG -o FILE.pdf

Each step is parsed by the same command model the API and the pages use, and carried out on
the store directly: the CLI runs on the server (README, "Who is acting").
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from tracker import bags
from tracker.cli.context import application
from tracker.cli.output import emit, json_option, write_whole
from tracker.cli.slips import OUTPUT
from tracker.commands.bags import AcceptBag, BagCommand, CreateBag, FillBag, HandOverBag
from tracker.commands.parse import parse
from tracker.domain.errors import N_, BadInput
from tracker.slips.bag_manifest import render_manifest


def _counts(pairs: tuple[str, ...]) -> dict[str, str]:
    counts: dict[str, str] = {}
    for pair in pairs:
        code, sep, number = pair.partition("=")
        if not sep or not number.strip().isdigit():
            raise BadInput(N_("--pages takes CODE=N, not {value!r}"), value=pair[:60])
        counts[code.strip()] = number.strip()
    return counts


def _run(model: type[BagCommand], fields: dict[str, Any]) -> None:
    command = parse(model, {k: v for k, v in fields.items() if v is not None})
    shown = bags.carry_out(application(), command)
    emit(shown, lambda: _lines(shown))


def _lines(bag: dict[str, Any]) -> Iterable[str]:
    yield (f"{bag['bag']}  {bag['state']}  {bag['office']} → {bag['to_office']}"
           + (f"  courier {bag['courier']}" if bag["courier"] else ""))
    for item in bag["dossiers"]:
        flag = "  MISSING" if item["code"] in bag["missing"] else ""
        yield f"  {item['code']}  {item['pages'] or '-'} pages{flag}"


@click.group()
def bag() -> None:
    """Bags (túi chuyển): dossiers handed over and accepted together, in one scan."""


@bag.command()
@click.argument("codes", nargs=-1, metavar="CODE…")
@click.option("--by", required=True, help="Staff id of the person making the bag.")
@click.option("--to-office", required=True, help="The destination office code.")
@click.option("--device", help="Scanner, phone or counter terminal used.")
@json_option
def create(codes: tuple[str, ...], by: str, to_office: str, device: str | None) -> None:
    """Make a bag at BY's office bound for --to-office, with the dossiers CODE… in it."""
    _run(CreateBag, {"by": by, "to_office": to_office, "codes": list(codes), "device": device})


@bag.command()
@click.argument("bag_code", metavar="BAG")
@click.argument("codes", nargs=-1, required=True, metavar="CODE…")
@click.option("--by", required=True, help="Staff id of the person acting.")
@click.option("--device", help="Scanner, phone or counter terminal used.")
@json_option
def add(bag_code: str, codes: tuple[str, ...], by: str, device: str | None) -> None:
    """Put more dossiers in the open bag BAG."""
    _run(FillBag, {"bag": bag_code, "by": by, "codes": list(codes), "device": device})


@bag.command()
@click.argument("bag_code", metavar="BAG")
@click.option("--by", required=True, help="Staff id of the custodian releasing the dossiers.")
@click.option("--courier", required=True, help="The courier who carries the bag.")
@click.option("--pages", multiple=True, metavar="CODE=N",
              help="Sheets counted for a dossier; refused unless it matches its last scan.")
@click.option("--device", help="Scanner, phone or counter terminal used.")
@json_option
def handover(bag_code: str, by: str, courier: str, pages: tuple[str, ...],
             device: str | None) -> None:
    """Hand the whole bag to --courier: each dossier in it is handed over naming the bag."""
    _run(HandOverBag, {"bag": bag_code, "by": by, "courier": courier,
                       "pages": _counts(pages), "device": device})


@bag.command()
@click.argument("bag_code", metavar="BAG")
@click.option("--by", required=True, help="Staff id of the person accepting.")
@click.option("--office", required=True, help="The office where it is accepted.")
@click.option("--missing", multiple=True, metavar="CODE",
              help="A listed dossier not in the bag: flagged, not accepted (repeat).")
@click.option("--pages", multiple=True, metavar="CODE=N",
              help="Sheets counted for a dossier; refused unless it matches its last scan.")
@click.option("--device", help="Scanner, phone or counter terminal used.")
@json_option
def accept(bag_code: str, by: str, office: str, missing: tuple[str, ...],
           pages: tuple[str, ...], device: str | None) -> None:
    """Accept the bag at --office: every listed dossier but the --missing ones."""
    _run(AcceptBag, {"bag": bag_code, "by": by, "office": office, "missing": list(missing),
                     "pages": _counts(pages), "device": device})


@bag.command()
@click.argument("bag_code", metavar="BAG")
@json_option
def show(bag_code: str) -> None:
    """The bag: its offices, courier, state and dossiers."""
    shown = bags.bag(application(), bag_code)
    emit(shown, lambda: _lines(shown))


@bag.command()
@click.argument("bag_code", metavar="BAG")
@click.option("-o", "--output", required=True, type=OUTPUT, help="The PDF file to write.")
@json_option
def manifest(bag_code: str, output: Path) -> None:
    """Print the bag's manifest as an A4 PDF: its barcode, the codes and page counts."""
    if output.suffix.lower() != ".pdf":
        raise BadInput(N_("a manifest is a PDF: give -o a file name ending in .pdf"))
    custody = application()
    shown = bags.bag(custody, bag_code)
    write_whole(output, render_manifest(shown, custody.province()))
    emit({"file": str(output), "bag": shown["bag"], "dossiers": len(shown["dossiers"])},
         lambda: [f"wrote {output}: manifest of {shown['bag']}"])


COMMANDS = [bag]

"""How commands print: one JSON document with --json, short human lines otherwise."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def json_option(command: F) -> F:
    """Give a command its own ``--json`` flag (``hoso --json CMD`` works as well)."""

    def remember(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        if value:
            ctx.ensure_object(dict)["json"] = True
        return value

    return click.option("--json", "as_json", is_flag=True, expose_value=False,
                        callback=remember, is_eager=True,
                        help="Print exactly one JSON document.")(command)


def wants_json() -> bool:
    ctx = click.get_current_context()
    return bool(ctx.find_root().ensure_object(dict).get("json"))


def emit(document: Any, human: Callable[[], Iterable[str]]) -> None:
    """Print ``document`` as JSON, or the lines ``human`` yields."""
    if wants_json():
        click.echo(to_json(document))
    else:
        for line in human():
            click.echo(line)


def to_json(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, default=str)


def table(rows: list[dict[str, Any]], columns: list[str]) -> Iterable[str]:
    widths = {c: max([len(c), *(len(str(r[c])) for r in rows)]) for c in columns}
    yield "  ".join(c.upper().ljust(widths[c]) for c in columns)
    for row in rows:
        yield "  ".join(str(row[c]).ljust(widths[c]) for c in columns).rstrip()


def status_lines(status: dict[str, Any]) -> Iterable[str]:
    where = (f"in transit with {status['custodian']} to {status['transit']['to_office']}"
             if status["in_transit"] else f"held by {status['custodian']} at {status['office']}")
    yield f"{status['code']}  {status['stage']}  {where}"
    late = " (OVERDUE)" if status["overdue"] else ""
    yield f"due {status['due']}{late}" + (
        f"  clock stopped: {status['clock_stopped']}" if status["clock_stopped"] else "")
    if status["timeliness"]:
        yield f"resolved {status['timeliness'].replace('_', ' ')}"

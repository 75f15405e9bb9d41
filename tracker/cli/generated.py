"""Command-line commands built from the command models: one option per field.

A field's option is ``--field-name`` unless its ``x-cli`` names another (``--component`` for
``components``) or keeps it off the command line (``x-cli: false``). Lists repeat their option,
booleans are flags, and the values go through the same model the API parses with, so the CLI
and the API accept and refuse exactly the same input.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import click
from pydantic.fields import FieldInfo

from tracker.cli.context import application
from tracker.cli.output import emit, json_option, status_lines
from tracker.commands.dossiers import Command, DossierCommand
from tracker.commands.parse import parse
from tracker.handling import execute

Output = Callable[[dict[str, Any]], None]


def option_name(name: str, field: FieldInfo) -> str | None:
    """The field's command-line option, or None when it has none."""
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    chosen = extra.get("x-cli", True)
    if chosen is False:
        return None
    return chosen if isinstance(chosen, str) else "--" + name.replace("_", "-")


def _base(annotation: Any) -> Any:
    """``int`` for ``Annotated[int, …] | None``: the one type besides None, unannotated."""
    if get_origin(annotation) in (Union, types.UnionType):
        others = [a for a in get_args(annotation) if a is not type(None)]
        annotation = others[0] if len(others) == 1 else str
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _option(name: str, field: FieldInfo, flag: str) -> click.Option:
    kind = _base(field.annotation)
    help_text = field.description
    if get_origin(kind) is list:
        return click.Option([flag, name], multiple=True, required=field.is_required(),
                            help=help_text)
    if kind is bool:
        return click.Option([flag, name], is_flag=True, help=help_text)
    if get_origin(kind) is Literal:
        return click.Option([flag, name], type=click.Choice(get_args(kind)),
                            required=field.is_required(), help=help_text)
    click_type = int if kind is int else str
    metavar = "YYYY-MM-DD" if kind is date else None
    return click.Option([flag, name], type=click_type, required=field.is_required(),
                        help=help_text, metavar=metavar)


def show_status(status: dict[str, Any]) -> None:
    emit(status, lambda: status_lines(status))


def command_for(model: type[Command], output: Output = show_status) -> click.Command:
    """The ``hoso <action>`` command of ``model``."""
    params: list[click.Parameter] = []
    if issubclass(model, DossierCommand):
        params.append(click.Argument(["code"]))
    for name, field in model.model_fields.items():
        flag = option_name(name, field)
        if flag is not None and name != "code":
            params.append(_option(name, field, flag))

    def callback(**values: Any) -> None:
        given = {name: list(value) if isinstance(value, tuple) else value
                 for name, value in values.items() if value is not None}
        output(execute(application(), parse(model, given)))

    doc = inspect.getdoc(model) or model.action
    return json_option(click.Command(model.action, callback=callback, params=params,
                                     help=doc, short_help=doc.splitlines()[0]))

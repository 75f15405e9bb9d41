"""Turning what a caller sent into a command, or one clear BadInput naming what to fix.

The message names fields and their bounds, never the value sent: a value may be ten megabytes
long or a citizen's ID number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import pydantic_core
from pydantic import BaseModel, ValidationError

from tracker.commands.fields import TEXT_PATTERN
from tracker.domain import identifiers
from tracker.domain.errors import N_, BadInput, Msg, phrase

M = TypeVar("M", bound=BaseModel)
SHOWN_ERRORS = 3

FORMS = {
    TEXT_PATTERN: N_("visible text: not blank, no control characters"),
    identifiers.OFFICE_CODE: N_("an office or procedure code such as 000.21.11.H40"),
    identifiers.SLUG: N_("lower-case letters, digits, '-' or '_' (a staff id such as pl-rcv-003)"),
    identifiers.DEVICE_ID: N_("letters, digits, '.', ':', '-' or '_'"),
    identifiers.DOSSIER_CODE: N_("a dossier code <office code>-<yymmdd>-<NNNN>"),
    identifiers.OBJECT_KEY: N_("an object key sha256/ab/<64 hex digits>"),
    identifiers.FOUR_DIGITS: N_("exactly four digits 0-9"),
}
TYPES = {"string_type": N_("text"), "int_type": N_("a whole number"),
         "bool_type": N_("true or false"), "list_type": N_("a list"),
         "model_type": N_("an object"), "dict_type": N_("an object"),
         "int_from_float": N_("a whole number"), "string_unicode": N_("valid Unicode text")}


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; nesting deeper than the parser's limit is refused."""
    try:
        data = pydantic_core.from_json(body)
    except ValueError as error:
        raise BadInput(N_("the request body is not valid JSON: {error}"), error=error) from None
    if not isinstance(data, dict):
        raise BadInput(N_("the request body must be a JSON object"))
    return data


def parse(model: type[M], data: Mapping[str, Any]) -> M:
    """``data`` as a ``model``, or BadInput naming up to three fields and what each must be."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = tuple(_describe(e) for e in error.errors(include_input=False))
        more = len(problems) - SHOWN_ERRORS
        if more > 0:
            raise BadInput(N_("{problems}; and {more} more"), problems=problems[:SHOWN_ERRORS],
                           more=more) from None
        raise BadInput(N_("{problems}"), problems=problems) from None


def _describe(error: Any) -> Msg:
    where = ".".join(str(part) for part in error["loc"]) or "the request"
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return phrase(N_("{field!r} is required"), field=where)
    if kind == "extra_forbidden":
        return phrase(N_("{field!r} is not a field of this request"), field=where)
    if kind in TYPES:
        return phrase(N_("{field!r} must be {kind}"), field=where, kind=TYPES[kind])
    if kind == "string_pattern_mismatch":
        form = FORMS.get(str(ctx.get("pattern")), N_("in the documented form"))
        return phrase(N_("{field!r} must be {form}"), field=where, form=form)
    if kind == "string_too_long":
        return phrase(N_("{field!r} has more than {limit} characters"), field=where,
                      limit=ctx.get("max_length"))
    if kind == "too_long":
        return phrase(N_("{field!r} has more than {limit} items"), field=where,
                      limit=ctx.get("max_length"))
    if kind in ("string_too_short", "too_short"):
        return phrase(N_("{field!r} must not be empty"), field=where)
    if kind == "greater_than_equal":
        return phrase(N_("{field!r} must be at least {limit}"), field=where, limit=ctx.get("ge"))
    if kind == "less_than_equal":
        return phrase(N_("{field!r} must be at most {limit}"), field=where, limit=ctx.get("le"))
    cause = ctx.get("error")
    if isinstance(cause, ValueError) and cause.args and isinstance(cause.args[0], Msg):
        return phrase(N_("{field!r}: {problem}"), field=where, problem=cause.args[0])
    message = str(error["msg"]).removeprefix("Value error, ")
    return phrase(N_("{field!r}: {problem}"), field=where, problem=message)

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
from tracker.domain.errors import BadInput

M = TypeVar("M", bound=BaseModel)
SHOWN_ERRORS = 3

FORMS = {
    TEXT_PATTERN: "visible text: not blank, no control characters",
    identifiers.OFFICE_CODE: "an office or procedure code such as 000.21.11.H40",
    identifiers.SLUG: "lower-case letters, digits, '-' or '_' (a staff id such as pl-rcv-003)",
    identifiers.DEVICE_ID: "letters, digits, '.', ':', '-' or '_'",
    identifiers.DOSSIER_CODE: "a dossier code <office code>-<yymmdd>-<NNNN>",
    identifiers.OBJECT_KEY: "an object key sha256/ab/<64 hex digits>",
    identifiers.FOUR_DIGITS: "exactly four digits 0-9",
}
TYPES = {"string_type": "text", "int_type": "a whole number", "bool_type": "true or false",
         "list_type": "a list", "model_type": "an object", "dict_type": "an object",
         "int_from_float": "a whole number", "string_unicode": "valid Unicode text"}


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; nesting deeper than the parser's limit is refused."""
    try:
        data = pydantic_core.from_json(body)
    except ValueError as error:
        raise BadInput(f"the request body is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise BadInput("the request body must be a JSON object")
    return data


def parse(model: type[M], data: Mapping[str, Any]) -> M:
    """``data`` as a ``model``, or BadInput naming up to three fields and what each must be."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [_describe(e) for e in error.errors(include_input=False)]
        more = len(problems) - SHOWN_ERRORS
        shown = "; ".join(problems[:SHOWN_ERRORS]) + (f"; and {more} more" if more > 0 else "")
        raise BadInput(shown) from None


def _describe(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "the request"
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return f"{where!r} is required"
    if kind == "extra_forbidden":
        return f"{where!r} is not a field of this request"
    if kind in TYPES:
        return f"{where!r} must be {TYPES[kind]}"
    if kind == "string_pattern_mismatch":
        return f"{where!r} must be {FORMS.get(str(ctx.get('pattern')), 'in the documented form')}"
    if kind in ("string_too_long", "too_long"):
        unit = "characters" if kind == "string_too_long" else "items"
        return f"{where!r} has more than {ctx.get('max_length')} {unit}"
    if kind in ("string_too_short", "too_short"):
        return f"{where!r} must not be empty"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = "at least" if kind == "greater_than_equal" else "at most"
        limit = ctx.get("ge", ctx.get("le"))
        return f"{where!r} must be {bound} {limit}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where!r}: {message}"

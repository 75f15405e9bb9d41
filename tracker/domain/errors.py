"""Domain errors: each names the rule that refused a request, so callers can say why.

The CLI turns every ``HosoError`` into exit code 2 and the API into a 4xx status; the status is
stated here once, on the class, so no adapter keeps its own mapping.

A message is an English template marked with ``N_`` and its values apart (``N_("{code} is
held at {office}"), code=…, office=…``): ``str(error)`` is the English sentence the CLI and
operators read, and the web translates the template from its catalogues and fills the same
values in, so a counter sees the refusal in Vietnamese. A value may itself be a marked text
(``N_`` or ``phrase``), translated in turn, or a tuple of them, shown joined by "; ".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Msg(str):
    """English text that the catalogues translate where it is shown to a person; ``values``
    fill its ``{names}`` after translation (the ``str`` itself is the English sentence)."""

    template: str
    values: Mapping[str, Any]

    def __new__(cls, template: str, values: Mapping[str, Any] | None = None) -> Msg:
        made = super().__new__(cls, fill(template, values or {}))
        made.template, made.values = template, dict(values or {})
        return made


def N_(text: str) -> Msg:  # noqa: N802 - the name every gettext extractor knows
    """Marks ``text`` for the catalogues (``pybabel extract`` finds it); translated when shown."""
    return Msg(text)


def phrase(template: Msg, **values: Any) -> Msg:
    """A marked template with its values, for a part of a message."""
    return Msg(template, values)


def fill(template: str, values: Mapping[str, Any]) -> str:
    """``template`` with its values in; a tuple value is its items joined by "; "."""
    if not values:
        return template
    return template.format(**{name: "; ".join(map(str, value)) if isinstance(value, tuple)
                              else value for name, value in values.items()})


class HosoError(Exception):
    """A request that hoso refuses because of its input; nothing was stored."""

    code = "bad_request"
    http_status = 400
    exit_code = 2

    def __init__(self, message: str, /, **values: Any) -> None:
        super().__init__(fill(message, values))
        self.template = message
        self.values = values


class BadInput(HosoError):
    """Malformed or missing input: an empty name, an unparsable date, a malformed code."""

    code = "bad_input"


class UnknownReference(HosoError):
    """The input names an office, procedure, staff member or dossier that does not exist."""

    code = "not_found"
    http_status = 404


class RuleViolation(HosoError):
    """A well-formed request that the custody rules refuse; ``rule`` names the rule broken."""

    code = "rule_violation"
    http_status = 409

    def __init__(self, rule: str, message: str, /, **values: Any) -> None:
        super().__init__(message, **values)
        self.args = (f"{self.args[0]} [rule: {rule}]",)
        self.rule = rule


class ProvinceFileError(HosoError):
    """A province file that cannot be loaded: says which file, which line and what is wrong."""

    code = "bad_province_file"

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        super().__init__(N_("{where}: {problem}"), where=f"{path}:{line}" if line else path,
                         problem=problem)
        self.path = path
        self.line = line
        self.problem = problem


class Unauthenticated(HosoError):
    """No credentials, or credentials that name nobody: a missing, bad, expired or revoked
    token, an ended session, a disabled account."""

    code = "unauthorized"
    http_status = 401


class Forbidden(HosoError):
    """The signed-in identity may not do this: outside its role or its offices."""

    code = "forbidden"
    http_status = 403

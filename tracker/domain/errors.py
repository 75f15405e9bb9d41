"""Domain errors: each names the rule that refused a request, so callers can say why.

The CLI turns every ``HosoError`` into exit code 2 and the API into a 4xx status; the status is
stated here once, on the class, so no adapter keeps its own mapping.
"""

from __future__ import annotations


class HosoError(Exception):
    """A request that hoso refuses because of its input; nothing was stored."""

    code = "bad_request"
    http_status = 400
    exit_code = 2


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

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{message} [rule: {rule}]")
        self.rule = rule


class ProvinceFileError(HosoError):
    """A province file that cannot be loaded: says which file, which line and what is wrong."""

    code = "bad_province_file"

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {problem}")
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

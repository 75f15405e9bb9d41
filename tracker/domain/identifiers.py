"""The shapes of the identifiers people type or scan, as regular expressions.

One place for each pattern: the province file is checked against them, and the command
definitions put them in the API's schema, so what a province may name is exactly what a request
may carry. They are written in the common subset of Python's, Rust's and ECMA-262's regular
expressions, because the same text is read by ``re``, by pydantic and by JSON Schema validators;
digits are ``[0-9]``, since ``\\d`` also matches other scripts' digits in Python.
"""

from __future__ import annotations

OFFICE_CODE = r"^[A-Za-z0-9][A-Za-z0-9.]{0,39}$"
"""An office or procedure code as the national portal prints them: ``000.21.11.H40``."""

SLUG = r"^[a-z0-9][a-z0-9_-]{0,63}$"
"""Staff ids, component codes and levels: ``pl-rcv-003``, ``hop-dong-the-chap``."""

DEVICE_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
"""A scanner, phone or counter terminal, as its operator or the station names it."""

DOSSIER_CODE = (r"^[A-Za-z0-9][A-Za-z0-9.]{0,39}-[0-9][0-9](0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])"
                r"-[0-9]{4}$")
"""``<office code>-<yymmdd>-<NNNN>``; a well-shaped code for a day that never was names no
dossier, which is a 404 rather than malformed input."""

FOUR_DIGITS = r"^[0-9]{4}$"
"""The last four digits of an applicant's phone or ID number, asked by the public lookup."""

OBJECT_KEY = r"^sha256/([0-9a-f]{2})/\1[0-9a-f]{62}$"
"""A content address in the object store: its folder is the hash's first two digits."""

ISO_DATE = (r"^20[0-9][0-9]-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
            r"|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-9]))$")
"""A calendar date this century, ``YYYY-MM-DD``; only 29 February of a common year slips
through the shape and is refused as a day the calendar does not have."""

ISO_MOMENT = (ISO_DATE[:-1] + r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
              r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?$")
"""A date, or a date and time with an optional offset (local Vietnamese time without one)."""

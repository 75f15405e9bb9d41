"""The identity a request acts as, whatever credential proved it."""

from __future__ import annotations

from dataclasses import dataclass

CREDENTIALS = ("session", "api", "station", "handheld")
"""A page session, or one of the token kinds (tracker.domain.accounts.TOKEN_KINDS)."""


@dataclass(frozen=True)
class Identity:
    """A staff member as the province file describes them now, and how they signed in.

    Role and office are read from the province data on every request, so a change of role or
    office in the province file takes effect at once. ``station`` is the scanning station a
    station token is bound to."""

    staff: str
    role: str
    office: str
    credential: str
    station: str | None = None
    token: str | None = None

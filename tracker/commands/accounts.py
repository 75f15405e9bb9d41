"""What an admin sends to manage accounts and tokens over the API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from tracker.commands.fields import StaffId, StationId, whole
from tracker.identity.accounts import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS
from tracker.identity.credentials import MAX_PASSWORD, MIN_PASSWORD


class AccountRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IssueToken(AccountRequest):
    """Make a token; the answer shows it this once."""

    staff: StaffId = Field(description="The staff member the token acts as.")
    kind: Literal["api", "station", "handheld"] = "api"
    station: StationId | None = Field(None, description="A station token's station.")
    expires_days: whole(1, MAX_TOKEN_DAYS) = Field(  # type: ignore[valid-type]
        DEFAULT_TOKEN_DAYS, description="Days until the token expires.")


class SetPassword(AccountRequest):
    """Give a staff member a password; their page sessions end."""

    password: Annotated[str, Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)]

"""The parameters of the printed papers: which slip of a dossier, and the register's period.

The API takes the office from the path and the period from the query; the CLI takes all three
as options. Both parse them with ``RegisterQuery``, so the same dates are refused the same way.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tracker.commands.fields import Day, OfficeCode

SlipKind = Literal["receipt", "supplement", "refusal", "apology"]
SLIP_KINDS: tuple[SlipKind, ...] = ("receipt", "supplement", "refusal", "apology")
"""Mẫu 01 receipt and appointment, 02 supplement request, 03 refusal, 04 apology and new date."""

REGISTER_FORMATS = ("pdf", "csv")


class RegisterPeriod(BaseModel):
    """The days a register covers: local dates, both included."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    start: Day = Field(alias="from", description="First day of receipt (local date).")
    end: Day = Field(alias="to", description="Last day of receipt, included.")


class RegisterQuery(RegisterPeriod):
    """An office's register (Mẫu 06) for a period."""

    office: OfficeCode = Field(description="The office whose receipts are listed.")

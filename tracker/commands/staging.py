"""The QC actions on a staged batch, each defined once: the CLI's options and the page's forms
parse through these models (tracker/qc.py carries them out)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.types import Strict

from tracker.commands.fields import ComponentCode, PageNumber, Reason

BatchId = Annotated[str, Strict(), StringConstraints(pattern=r"^b-[0-9]{8}-[0-9a-f]{8}$")]
# A dossier code of the batch, or "unassigned" for the pages that belong to none yet.
Where = Annotated[str, Strict(),
                  StringConstraints(pattern=r"^(unassigned|[A-Za-z0-9.-]{1,60})$")]
MAX_MARKED = 500


class StageAction(BaseModel):
    """An action on one staged batch."""

    model_config = ConfigDict(extra="forbid", frozen=True, regex_engine="python-re")
    action: ClassVar[str] = "stage"

    batch: BatchId = Field(description="The staged batch (hoso stage list).")


class OnPage(StageAction):
    dossier: Where = Field(description="The dossier code the page is in, or 'unassigned'.")
    page: PageNumber = Field(description="The page's number in it, from 1.")


class MovePage(OnPage):
    """Move a page to another dossier of the batch, or to 'unassigned'."""

    action: ClassVar[str] = "move"
    to: Where = Field(description="The dossier code, or 'unassigned'.")


class ExcludePage(OnPage):
    """Exclude a page with a reason: it is kept, and the Digitised event names it."""

    action: ClassVar[str] = "exclude"
    reason: Reason = Field(description="Why the page is excluded.")


class IncludePage(OnPage):
    """Take back a page's exclusion."""

    action: ClassVar[str] = "include"


class TurnPage(OnPage):
    """Turn a page clockwise and read it again that way up."""

    action: ClassVar[str] = "turn"
    degrees: Literal["90", "180", "270"] = Field(description="Clockwise turn.")


class MarkComponent(StageAction):
    """Mark pages of a dossier as one of its procedure's components (none: unmark them)."""

    action: ClassVar[str] = "components"
    dossier: Where = Field(description="The dossier code.")
    pages: Annotated[list[PageNumber], Field(min_length=1, max_length=MAX_MARKED)] = Field(
        description="The pages, from 1.")
    component: ComponentCode | None = Field(
        default=None, description="The procedure's component code; omitted: no component.")


class ApproveDossier(StageAction):
    """Store and record a dossier as QC left it (Digitised), and take it out of staging."""

    action: ClassVar[str] = "approve"
    dossier: Where = Field(description="The dossier code.")


QC_ACTIONS: tuple[type[StageAction], ...] = (MovePage, ExcludePage, IncludePage, TurnPage,
                                             MarkComponent, ApproveDossier)

"""QC of staged scans: carries out the QC actions (tracker/commands/staging.py) on the station's
staging area (scanning/staging.py), for the CLI and the QC page alike.

A component code is checked against the dossier's procedure before it is marked when the
tracker is in this process; approval records ``Digitised`` through the station's TrackerPort,
which checks everything again. A staging refusal becomes a ``HosoError`` with the same
template, so the CLI prints it in one line (exit 2) and the page and API translate it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tracker.commands.staging import (
    ApproveDossier,
    ExcludePage,
    IncludePage,
    MarkComponent,
    MovePage,
    StageAction,
    TurnPage,
)
from tracker.domain.errors import N_, BadInput, HosoError, RuleViolation, UnknownReference

if TYPE_CHECKING:
    from scanning.staging import StagingRefused, StagingStore
    from scanning.station import Station

StationFor = Callable[[str, str], "Station"]
"""The station that approves a batch's dossier, given the batch's station and operator."""
ComponentsOf = Callable[[str], frozenset[str]]
"""A dossier's procedure component codes (raises UnknownReference for an unknown dossier)."""

# The staging area's refusals, marked here for the catalogues (scanning/ is not extracted).
NOT_FOUND = (N_("no staged batch {batch}"),
             N_("the batch has no dossier {code} (its dossiers: {codes})"),
             N_("batch {batch} has no page {page}"))
REFUSALS = (N_("page {page} is already in {where}"), N_("an excluded page needs a reason"),
            N_("the procedure of {where} has no component {component} (it has {known})"),
            N_("unassigned pages belong to no dossier: move them first"),
            N_("name at least one page"),
            N_("page {page} of {where} is excluded: include it before marking it"),
            N_("turn by 90, 180 or 270 degrees, not {degrees}"),
            N_("the rescanned page cannot be read: {error}"),
            N_("unassigned pages cannot be approved: move them to their dossier first"),
            N_("dossier {code} has no page left to approve"),
            N_("{where} has {count} page(s): there is no page {page}"))


def refusal(error: StagingRefused) -> HosoError:
    """The staging refusal as the tracker's error of the same words."""
    if error.template in NOT_FOUND:
        return UnknownReference(error.template, **error.values)
    return BadInput(error.template, **error.values)


class QualityControl:
    def __init__(self, store: StagingStore, station_for: StationFor,
                 components_of: ComponentsOf | None = None) -> None:
        self.store = store
        self.station_for = station_for
        self.components_of = components_of

    def show(self, batch: str) -> dict[str, Any]:
        from scanning.staging import StagingRefused

        try:
            return self.store.show(batch)
        except StagingRefused as error:
            raise refusal(error) from None

    def run(self, action: StageAction) -> dict[str, Any]:
        """Carry out ``action``; answers the batch as it now stands (an approval: the dossier
        recorded, and the batch, or None when nothing is left in it)."""
        from scanning.staging import StagingRefused
        from scanning.station import RecordRefused

        store, batch = self.store, action.batch
        try:
            match action:
                case MovePage():
                    store.move(batch, action.dossier, action.page, action.to)
                case ExcludePage():
                    store.exclude(batch, action.dossier, action.page, action.reason)
                case IncludePage():
                    store.include(batch, action.dossier, action.page)
                case TurnPage():
                    store.turn(batch, action.dossier, action.page, int(action.degrees))
                case MarkComponent():
                    known = None
                    if action.component is not None and self.components_of is not None:
                        store.show(batch)  # an unknown batch is named before the dossier
                        known = self.components_of(action.dossier)
                    store.mark(batch, action.dossier, action.pages, action.component, known)
                case ApproveDossier():
                    staged = store.show(batch)
                    station = self.station_for(staged["station"], staged["operator"])
                    result = store.approve(batch, action.dossier, station)
                    left = [b for b in store.batches() if b["batch"] == batch]
                    return {"approved": action.dossier, "pages": result.pages,
                            "batch": left[0] if left else None}
                case _:
                    raise BadInput(N_("unknown QC action"))
        except StagingRefused as error:
            raise refusal(error) from None
        except RecordRefused as error:
            if isinstance(error.__cause__, HosoError):
                raise error.__cause__ from None
            raise RuleViolation("tracker-refused", N_("the tracker refused: {reason}"),
                                reason=str(error)) from None
        return store.show(batch)

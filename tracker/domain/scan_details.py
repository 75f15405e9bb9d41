"""What a scanning station knows about a scan beyond its page objects, checked before recording.

Kept apart from the Dossier aggregate: the station's details (resolution, blank pages, quality
notes, cleaned copies) are validated here, and the aggregate records them in ``Digitised``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracker.domain.errors import N_, BadInput, RuleViolation


@dataclass(frozen=True)
class ScanDetails:
    """What a scanning station knows about a scan beyond its page objects."""

    cleaned: list[dict[str, str]] = field(default_factory=list)
    dpi: int | None = None
    blank_pages: list[int] = field(default_factory=list)
    quality_notes: list[dict[str, Any]] = field(default_factory=list)
    station: str | None = None
    components: dict[str, list[int]] = field(default_factory=dict)
    """Which pages are which of the procedure's components: component code → 1-based pages."""
    excluded_pages: list[dict[str, Any]] = field(default_factory=list)
    """Pages the operator excluded at QC, each ``{"page": n, "reason": text}``: still among
    the scan's objects (evidence is never dropped), named here so nobody reads them as part of
    the dossier."""

    def check(self, pages: int, known_components: frozenset[str] | None = None) -> None:
        """Refuse details that do not fit a scan of ``pages`` pages (and, when given, the
        procedure's ``known_components``): well-formed input that contradicts itself is refused
        as a rule (409), malformed input as BadInput (400)."""
        if self.cleaned and len(self.cleaned) != pages:
            raise RuleViolation("scan-details-fit", N_("{count} cleaned images for {pages} "
                                                       "pages"),
                                                    count=len(self.cleaned), pages=pages)
        if self.dpi is not None and not 50 <= self.dpi <= 2400:
            raise BadInput(N_("a scan resolution of {dpi} dpi is not plausible"), dpi=self.dpi)
        for number in self.blank_pages:
            if not 1 <= number <= pages:
                raise RuleViolation("scan-details-fit",
                                    N_("blank page {number} is not one of the {pages} pages"),
                                    number=number, pages=pages)
        for note in self.quality_notes:
            if not isinstance(note.get("message"), str) or note.get("page") not in range(
                    1, pages + 1):
                raise RuleViolation("scan-details-fit",
                                    N_("each quality note names a page of the scan and a message"))
        self._check_map(pages, known_components)

    def _check_map(self, pages: int, known_components: frozenset[str] | None) -> None:
        excluded = [item.get("page") for item in self.excluded_pages]
        for item in self.excluded_pages:
            if item.get("page") not in range(1, pages + 1) or not str(
                    item.get("reason") or "").strip():
                raise RuleViolation("scan-details-fit", N_("each excluded page names a page of "
                                                           "the scan and a reason"))
        if len(set(excluded)) != len(excluded):
            raise RuleViolation("scan-details-fit", N_("a page is excluded once"))
        seen: set[int] = set()
        for component, numbers in self.components.items():
            if known_components is not None and component not in known_components:
                raise RuleViolation("scan-details-fit",
                                    N_("the procedure has no component {component}"),
                                    component=component)
            for number in numbers:
                if not 1 <= number <= pages:
                    raise RuleViolation("scan-details-fit", N_(
                        "page {number} of component {component} is not one of the {pages} "
                        "pages"), number=number, component=component, pages=pages)
                if number in seen or number in excluded:
                    raise RuleViolation("scan-details-fit", N_(
                        "page {number} is marked twice (two components, or a component and "
                        "excluded)"), number=number)
                seen.add(number)

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

    def check(self, pages: int) -> None:
        """Refuse details that do not fit a scan of ``pages`` pages: well-formed input that
        contradicts itself is refused as a rule (409), malformed input as BadInput (400)."""
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

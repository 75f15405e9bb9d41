"""Splits a scanned batch into dossiers at their cover sheets.

Contract: a page whose barcode reads as a dossier code (``<office>-<yymmdd>-<NNNN>``) is a cover;
the pages after it, up to the next cover, belong to that dossier. Other barcodes (a QR code
printed on a certificate, say) are content, not covers. Pages before the first cover are held
for the operator, unless they named the dossier (``--dossier CODE``). A cover whose code the
tracker does not know is refused with its page number, and so are the pages behind it: they
are never added to the dossier before it. A code seen on two covers of one batch gathers both
runs of pages into the one dossier, in scan order. Cover sheets are hoso's own slips, not part
of the dossier, so they are not among its pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# The shape tracker/domain/codes.py issues; scanning must not import the tracker, and the
# tracker still decides whether a code names a real dossier (``known``).
DOSSIER_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.]*-\d{6}-\d{4}$")


def dossier_codes(texts: Sequence[str]) -> list[str]:
    """The distinct barcode texts shaped like dossier codes, in the order read."""
    return list(dict.fromkeys(t for t in texts if DOSSIER_CODE.match(t)))


@dataclass(frozen=True)
class Refusal:
    """A page refused from the batch: its 1-based number in the batch and why."""

    page: int
    reason: str


@dataclass
class DossierPages:
    """One dossier's share of the batch: its cover pages and content pages (1-based)."""

    code: str
    covers: list[int] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)


@dataclass
class Split:
    dossiers: list[DossierPages]
    held: list[int]
    refused: list[Refusal]


def split_batch(codes_per_page: Sequence[Sequence[str]], known: Callable[[str], bool],
                assign_to: str | None = None) -> Split:
    """Split pages 1..N given the barcode texts read on each page.

    ``known(code)`` says whether the tracker knows the dossier; ``assign_to`` receives the pages
    before the first cover (its own validity is the caller's to check first).
    """
    groups: dict[str, DossierPages] = {}
    if assign_to is not None:
        groups[assign_to] = DossierPages(assign_to)
    held: list[int] = []
    refused: list[Refusal] = []
    current: DossierPages | None = groups.get(assign_to) if assign_to else None
    refused_cover: int | None = None
    for number, texts in enumerate(codes_per_page, start=1):
        codes = dossier_codes(texts)
        if len(codes) > 1:
            refused.append(Refusal(number, f"a cover with several dossier codes: "
                                           f"{', '.join(codes)}"))
            current, refused_cover = None, number
        elif codes:
            code = codes[0]
            if known(code):
                current = groups.setdefault(code, DossierPages(code))
                current.covers.append(number)
                refused_cover = None
            else:
                refused.append(Refusal(number, f"unknown dossier {code}"))
                current, refused_cover = None, number
        elif current is not None:
            current.pages.append(number)
        elif refused_cover is not None:
            refused.append(Refusal(number, f"follows the refused cover on page {refused_cover}"))
        else:
            held.append(number)
    dossiers = [group for group in groups.values() if group.pages or group.covers]
    return Split(dossiers=dossiers, held=held, refused=refused)

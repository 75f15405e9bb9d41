"""Splits a scanned batch into dossiers at their cover sheets and separator sheets.

Contract:

- A page whose barcode reads as a dossier code (``<office>-<yymmdd>-<NNNN>``) is a *cover*; the
  pages after it, up to the next cover or separator, belong to that dossier. Covers are hoso's
  own slips, not part of the dossier, so they are not among its pages.
- A page whose barcode reads as one of the station's *separator texts* (``PATCHT`` by default:
  a PATCH T sheet) is a *separator*: it ends the dossier before it. When the next page is a
  cover, the separator and the pages behind the cover go to that cover's dossier. Otherwise the
  separator opens an *unassigned* group: it and the pages up to the next cover or separator are
  staged for the operator, never guessed into a dossier. A separator page is kept among its
  group's pages and listed in ``separators`` so the station flags it.
- Other barcodes (a QR code printed on a certificate, say) are content.
- Pages before the first cover or separator are *held* for the operator, unless they named the
  dossier (``--dossier CODE``).
- A cover whose code the tracker does not know is refused with its page number, and so are the
  pages behind it (and a separator just before it): they are never added to another dossier.
- A code seen on two covers of one batch gathers both runs of pages into the one dossier.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

# The shape tracker/domain/codes.py issues; scanning must not import the tracker, and the
# tracker still decides whether a code names a real dossier (``known``).
DOSSIER_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.]*-\d{6}-\d{4}$")
PATCH_T = "PATCHT"
CODE39 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"  # in order of their mod-43 values


def dossier_codes(texts: Sequence[str]) -> list[str]:
    """The distinct barcode texts shaped like dossier codes, in the order read."""
    return list(dict.fromkeys(t for t in texts if DOSSIER_CODE.match(t)))


def is_separator(texts: Sequence[str], separators: Collection[str]) -> bool:
    """True when a barcode on the page reads as a separator text: case and spaces aside
    (``PATCH T``), and a Code 39 check character too. Some programs print PATCH T sheets with
    Code 39's optional mod-43 check character, which a reader passes on as part of the text
    (``PATCHT-``), not knowing whether the printer meant it as data."""
    wanted = {_plain(s) for s in separators}
    return any(_plain(form) in wanted for t in texts for form in _with_and_without_check(t))


def _plain(text: str) -> str:
    return "".join(text.split()).upper()


def _with_and_without_check(text: str) -> tuple[str, ...]:
    """``text`` as read and, when its last character is the mod-43 check of the rest, the
    rest alone."""
    data = text.strip().upper()
    if len(data) > 1 and all(c in CODE39 for c in data):
        check = CODE39[sum(CODE39.index(c) for c in data[:-1]) % 43]
        if data[-1] == check:
            return text, data[:-1]
    return (text,)


@dataclass(frozen=True)
class Refusal:
    """A page refused from the batch: its 1-based number in the batch and why."""

    page: int
    reason: str


@dataclass
class DossierPages:
    """One dossier's share of the batch: its cover pages and content pages (1-based); the
    separator sheets among ``pages`` are listed again in ``separators``."""

    code: str
    covers: list[int] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    separators: list[int] = field(default_factory=list)


@dataclass
class Unassigned:
    """Pages behind a separator that no cover followed: for the operator to assign."""

    separators: list[int] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)  # separators included, in scan order


@dataclass
class Split:
    dossiers: list[DossierPages]
    held: list[int]
    refused: list[Refusal]
    unassigned: list[Unassigned] = field(default_factory=list)


def split_batch(codes_per_page: Sequence[Sequence[str]], known: Callable[[str], bool],
                assign_to: str | None = None,
                separators: Collection[str] = (PATCH_T,)) -> Split:
    """Split pages 1..N given the barcode texts read on each page.

    ``known(code)`` says whether the tracker knows the dossier; ``assign_to`` receives the pages
    before the first cover or separator (its own validity is the caller's to check first);
    ``separators`` are the station's separator texts.
    """
    groups: dict[str, DossierPages] = {}
    if assign_to is not None:
        groups[assign_to] = DossierPages(assign_to)
    held: list[int] = []
    refused: list[Refusal] = []
    unassigned: list[Unassigned] = []
    current: DossierPages | Unassigned | None = groups.get(assign_to) if assign_to else None
    pending: list[int] = []  # separator pages waiting to see what follows them
    refused_cover: int | None = None

    def settle_pending() -> None:
        nonlocal current
        if pending:
            current = Unassigned(separators=list(pending), pages=list(pending))
            unassigned.append(current)
            pending.clear()

    for number, texts in enumerate(codes_per_page, start=1):
        codes = dossier_codes(texts)
        if is_separator(texts, separators) and not codes:
            pending.append(number)  # separators back to back make one group
            current, refused_cover = None, None
            continue
        if len(codes) > 1:
            refused.extend(Refusal(p, f"the separator before the refused cover on page {number}")
                           for p in pending)
            pending.clear()
            refused.append(Refusal(number, f"a cover with several dossier codes: "
                                           f"{', '.join(codes)}"))
            current, refused_cover = None, number
        elif codes:
            code = codes[0]
            if known(code):
                dossier = groups.setdefault(code, DossierPages(code))
                dossier.covers.append(number)
                dossier.pages.extend(pending)
                dossier.separators.extend(pending)
                pending.clear()
                current, refused_cover = dossier, None
            else:
                refused.extend(Refusal(p, f"the separator before the refused cover on page "
                                          f"{number}") for p in pending)
                pending.clear()
                refused.append(Refusal(number, f"unknown dossier {code}"))
                current, refused_cover = None, number
        else:
            settle_pending()
            if current is not None:
                current.pages.append(number)
            elif refused_cover is not None:
                refused.append(Refusal(number, f"follows the refused cover on page "
                                               f"{refused_cover}"))
            else:
                held.append(number)
    settle_pending()
    dossiers = [group for group in groups.values() if group.pages or group.covers]
    return Split(dossiers=dossiers, held=held, refused=sorted(refused, key=lambda r: r.page),
                 unassigned=unassigned)

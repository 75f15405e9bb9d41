"""Splitting a batch at its covers: who gets which page, and what is held or refused."""

from __future__ import annotations

from scanning.split import PATCH_T, DossierPages, Refusal, Unassigned, is_separator, split_batch

A, B = "000.21.11.H40-260310-0001", "000.21.11.H40-260310-0002"
UNKNOWN = "000.21.11.H40-260310-0999"


def known(code: str) -> bool:
    return code in {A, B}


def test_pages_follow_their_cover_and_other_barcodes_are_content() -> None:
    # GIVEN cover A, two pages (one with a certificate's QR), cover B (both symbols), one page
    pages = [[A], [], ["https://dichvucong.gov.vn/x"], [B, B], []]
    split = split_batch(pages, known)
    # THEN each dossier has its pages, covers excluded, nothing held or refused
    assert split.dossiers == [DossierPages(A, [1], [2, 3]), DossierPages(B, [4], [5])]
    assert split.held == []
    assert split.refused == []


def test_pages_before_any_cover_are_held_unless_the_operator_names_the_dossier() -> None:
    pages = [[], [], [A], []]
    assert split_batch(pages, known).held == [1, 2]
    assigned = split_batch(pages, known, assign_to=B)
    assert assigned.held == []
    assert assigned.dossiers == [DossierPages(B, [], [1, 2]), DossierPages(A, [3], [4])]


def test_an_unknown_cover_is_refused_with_its_page_and_its_pages_go_nowhere_else() -> None:
    pages = [[A], [], [UNKNOWN], [], [], [B], []]
    split = split_batch(pages, known)
    assert split.refused == [Refusal(3, f"unknown dossier {UNKNOWN}"),
                             Refusal(4, "follows the refused cover on page 3"),
                             Refusal(5, "follows the refused cover on page 3")]
    assert split.dossiers == [DossierPages(A, [1], [2]), DossierPages(B, [6], [7])]


def test_a_code_on_two_covers_gathers_both_runs_and_two_codes_on_one_page_are_refused() -> None:
    split = split_batch([[A], [], [B], [], [A], [], [A, B], []], known)
    assert split.dossiers == [DossierPages(A, [1, 5], [2, 6]), DossierPages(B, [3], [4])]
    assert split.refused == [Refusal(7, f"a cover with several dossier codes: {A}, {B}"),
                             Refusal(8, "follows the refused cover on page 7")]


SEP = "PATCHT"


def test_a_separator_then_a_cover_gives_that_dossier_the_separator_flagged() -> None:
    # GIVEN cover A and a page, a PATCH T sheet, cover B and a page
    split = split_batch([[A], [], [SEP], [B], []], known)
    # THEN the separator ends A and goes, flagged, with B's pages
    assert split.dossiers == [DossierPages(A, [1], [2]), DossierPages(B, [4], [3, 5], [3])]
    assert split.unassigned == []
    assert split.held == []
    assert split.refused == []


def test_a_separator_with_no_code_after_it_stages_its_pages_unassigned() -> None:
    # GIVEN cover A, a page, a separator, two pages, two separators back to back, cover B
    split = split_batch([[A], [], [SEP], [], [], [SEP], [SEP], [B], []], known)
    # THEN the pages behind the first separator wait for the operator, with it
    assert split.unassigned == [Unassigned([3], [3, 4, 5])]
    assert split.dossiers == [DossierPages(A, [1], [2]), DossierPages(B, [8], [6, 7, 9], [6, 7])]
    # AND a separator at the end of the batch is staged too, alone
    assert split_batch([[A], [], [SEP]], known).unassigned == [Unassigned([3], [3])]


def test_separator_texts_are_the_stations_and_a_separator_before_an_unknown_cover_is_refused(
        ) -> None:
    pages = [["TACH-HO-SO"], [], [SEP], [UNKNOWN], []]
    split = split_batch(pages, known, separators=["tach-ho-so"])
    # THEN the station's own text separates; PATCHT is content at this station
    assert split.unassigned == [Unassigned([1], [1, 2, 3])]
    split = split_batch(pages, known)
    assert split.held == [1, 2]
    assert split.refused == [Refusal(3, "the separator before the refused cover on page 4"),
                             Refusal(4, f"unknown dossier {UNKNOWN}"),
                             Refusal(5, "follows the refused cover on page 4")]


def test_a_separator_text_is_matched_whatever_its_case_spacing_or_code39_check() -> None:
    # PATCHT's mod-43 check character is "-" (P25 A10 T29 C12 H17 T29: 122 % 43 = 36)
    for read in ("PATCHT", " patcht ", "PATCH T", "PATCHT-", "PATCH TV"):
        assert is_separator([read], [PATCH_T]), read
    # … and nothing else is: another last character, or the check of something else
    for read in ("PATCHTX", "PATCHT.", "PATCH", "TACH-HO-SO"):
        assert not is_separator([read], [PATCH_T]), read
    assert is_separator(["TACH-HO-SOI"], ["tach-ho-so"])  # a station's own text, checked


def test_the_named_dossier_takes_pages_before_the_first_separator_only() -> None:
    split = split_batch([[], [SEP], []], known, assign_to=A)
    assert split.dossiers == [DossierPages(A, [], [1])]
    assert split.unassigned == [Unassigned([2], [2, 3])]

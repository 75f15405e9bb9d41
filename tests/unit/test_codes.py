"""Dossier codes: the printed shape, parsing what a scanner reads, and refusing the rest."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.domain.codes import DossierCode
from tracker.domain.errors import BadInput, UnknownReference


def test_code_prints_in_the_national_portal_shape() -> None:
    code = DossierCode("000.00.12.H40", date(2023, 11, 15), 7)
    assert str(code) == "000.00.12.H40-231115-0007"


def test_parse_round_trips_and_maps_to_one_aggregate_id() -> None:
    code = DossierCode.parse(" 000.00.12.H40-231115-0007 ")
    assert code == DossierCode("000.00.12.H40", date(2023, 11, 15), 7)
    assert code.dossier_id == DossierCode.parse(str(code)).dossier_id
    assert code.dossier_id != DossierCode("000.00.12.H40", date(2023, 11, 15), 8).dossier_id


@pytest.mark.parametrize(("text", "problem"), [
    ("", "expected <office code>"),
    ("000.00.12.H40-231115-7", "expected <office code>"),
    ("000.00.12.H40_231115_0007", "expected <office code>"),
    ("000.00.12.H40-231315-0007", "expected <office code>"),
    ("000 00-231115-0001", "expected <office code>"),
])
def test_malformed_codes_are_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(BadInput, match=problem):
        DossierCode.parse(text)


@pytest.mark.parametrize(("text", "problem"), [
    ("000.00.12.H40-231131-0007", "231131 is not a day"),
    ("000.00.12.H40-230229-0007", "230229 is not a day"),
    ("000.00.12.H40-231115-0000", "numbers start at 0001"),
])
def test_well_shaped_codes_no_dossier_can_have_are_unknown(text: str, problem: str) -> None:
    """A code of the right shape for a day that never was names no dossier: 404, not 400."""
    with pytest.raises(UnknownReference, match=problem):
        DossierCode.parse(text)

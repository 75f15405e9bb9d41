"""Comparing live and rebuilt view rows: every difference named, no personal value printed."""

from __future__ import annotations

from tracker.projections.compare import COMPARED, SHOWN, differences, shown, twice
from tracker.projections.fold import DOSSIER_COLUMNS, FIGURE_COLUMNS

NAME = "Nguyễn Thị Bí Mật"


def row(code: str, **changes: object) -> dict[str, object]:
    base: dict[str, object] = {c: None for c in DOSSIER_COLUMNS}
    base.update(dossier_id=f"id-{code}", code=code, version=3, stage="in_progress",
                custodian="pl-rcv-003", applicant_name=NAME, outcome_reason=None)
    base.update(changes)
    return base


def test_every_differing_column_is_named_and_personal_values_withheld() -> None:
    live = {"a": row("A", stage="returned", applicant_name="Kẻ Giả Mạo",
                     outcome_reason=f"{NAME} rút hồ sơ"), "b": row("B")}
    rebuilt = {"a": row("A"), "c": row("C")}
    codes = {"a": "A", "b": "B", "c": "C"}
    found = list(differences("status", live, rebuilt, codes.__getitem__))
    assert [d.line() for d in found] == [
        "status A: applicant_name differs",
        "status A: stage differs: live 'returned', rebuilt 'in_progress'",
        "status A: outcome_reason differs",
        "status B: row only in the live view",
        "status C: row missing from the live view",
    ]
    assert not any(NAME in str(d.document()) or "Giả Mạo" in str(d.document()) for d in found)
    assert found[0].document()["withheld"] is True
    assert found[1].document()["withheld"] is False


def test_shown_values_are_cut_short_and_null_is_spelled_out() -> None:
    assert shown(None) == "null"
    assert shown(7) == "7"
    assert shown("x" * 200) == "'" + "x" * 47 + "…'"
    assert shown("a\nb") == "'a b'"


def test_a_key_stored_twice_is_named_once() -> None:
    assert [d.line() for d in twice("search", [("A", "k"), ("A", "k")],
                                    lambda k: f"{k[0]} scan {k[1]}")] == [
        "search A scan k: row stored twice in the live view"]


def test_only_known_columns_are_compared_and_shown_columns_are_compared_ones() -> None:
    assert set(COMPARED["status"]) == set(DOSSIER_COLUMNS) - {"dossier_id"}
    assert set(COMPARED["report"]) == set(FIGURE_COLUMNS) - {"dossier_id", "version"}
    for view, safe in SHOWN.items():
        assert safe <= set(COMPARED[view]), view
    assert "applicant_name" not in SHOWN["status"]
    assert "outcome_reason" not in SHOWN["status"]
    assert "reason" not in SHOWN["report"]
    assert SHOWN["search"] == {"office"}

"""Reusing digitised papers: the index by applicant, the ComponentsReused event and its rules,
the dossier's checklist, the report's reuse figures and the views against a rebuild.

GIVEN a dossier whose scan maps the applicant's ID card (component ``cccd``) to page 1, WHEN a
second dossier of the same applicant is received taking that page again, THEN it records
``ComponentsReused`` with the first dossier and the page's object, the index offers the paper
by kind, day and office, the report counts one reused component and one reusing dossier, and
the views equal a rebuild from the log. Refused reuses say why and record nothing. Both stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest

from tests.cast import Cast
from tests.conftest import ManualClock
from tests.hoso_cli import Hoso
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.domain.errors import RuleViolation, UnknownReference
from tracker.domain.scan_details import ScanDetails
from tracker.projections.store import Scratch
from tracker.projections.verify import verify

PROCEDURE = "1.000081"  # social insurance: a declaration, and optionally the ID card (cccd)
APPLICANT = ("Trần Văn Bình", "035090001234")
OTHER = ("Đinh Thị Lan", "035090009999")


def receive(custody: CustodyApplication, cast: Cast, who: tuple[str, str] = APPLICANT,
            components: tuple[str, ...] = ("to-khai",),
            reuse: tuple[tuple[str, str], ...] = ()) -> str:
    incomplete = "to-khai" not in components
    code: str = custody.receive(office=cast.commune, procedure=PROCEDURE,
                                applicant_name=who[0], applicant_id=who[1],
                                actor=cast.receiver, components=components,
                                accept_incomplete=incomplete,
                                incomplete_reason="nộp sau" if incomplete else None,
                                reuse=reuse)["code"]
    return code


def digitised_with_card(custody: CustodyApplication, cast: Cast) -> tuple[str, list[str]]:
    """A dossier scanned in two pages: the declaration, then the ID card."""
    code = receive(custody, cast)
    pages = [custody.objects.put(f"trang {n}".encode() * 400, "image/png").key
             for n in (1, 2)]
    custody.digitise(code, cast.receiver, pages,
                     details=ScanDetails(components={"to-khai": [1], "cccd": [2]}))
    return code, pages


def test_a_second_dossier_takes_the_id_card_page_again(custody: CustodyApplication,
                                                       services: Services, cast: Cast,
                                                       clock: ManualClock) -> None:
    first, pages = digitised_with_card(custody, cast)
    card = custody.history(first)[-1]["objects"][1]
    views = services.open_views()
    offered = views.earlier_papers(APPLICANT[1], ["to-khai", "cccd", "the-bhyt"])
    assert offered == [
        {"component": "to-khai", "source": first, "day": "2026-03-10", "office": cast.commune},
        {"component": "cccd", "source": first, "day": "2026-03-10", "office": cast.commune}]
    assert views.earlier_papers(OTHER[1], ["cccd"]) == []

    clock.advance(days=1)
    second = receive(custody, cast, components=("to-khai",), reuse=((first, "cccd"),))
    reused = custody.history(second)[-1]
    assert reused["type"] == "ComponentsReused"
    assert reused["source"] == first
    assert reused["components"] == {"cccd": [card]}
    assert card["key"] == pages[1]
    assert views.status(second)["missing_components"] == []

    report = views.report(date(2026, 3, 1), date(2026, 3, 31))["totals"]
    assert (report["received"], report["digitised"]) == (2, 2)  # the second by its reuse
    assert (report["reused_components"], report["reused_dossiers"]) == (1, 1)
    assert report["reuse_rate"] == 0.5


def test_a_reuse_that_breaks_a_rule_is_refused_and_records_nothing(
        custody: CustodyApplication, cast: Cast) -> None:
    first, _ = digitised_with_card(custody, cast)
    card = custody.history(first)[-1]["objects"][1]
    stranger = receive(custody, cast, who=OTHER)
    mine = receive(custody, cast)
    unscanned = receive(custody, cast)
    for code, source, kinds, objects, rule in (
            (stranger, first, ["cccd"], None, "reuse-same-applicant"),
            (mine, mine, ["cccd"], None, "reuse-source"),
            (mine, unscanned, ["cccd"], None, "reuse-digitised"),
            (mine, first, ["the-bhyt"], None, "reuse-digitised"),
            (mine, first, ["cccd"], {"cccd": [{**card, "key": card["key"] + "x"}]},
             "reuse-objects")):
        before = custody.history(code)
        with pytest.raises(RuleViolation, match=rule):
            custody.reuse_components(code, cast.receiver, source, kinds, objects)
        assert custody.history(code) == before
    with pytest.raises(UnknownReference):
        custody.reuse_components(mine, cast.receiver, first, ["khong-co"])
    custody.reuse_components(mine, cast.receiver, first, ["cccd"], {"cccd": [card]})
    with pytest.raises(RuleViolation, match="reuse-once"):
        custody.reuse_components(mine, cast.receiver, first, ["cccd"])
    with pytest.raises(RuleViolation, match="reuse-same-applicant"):
        receive(custody, cast, who=OTHER, reuse=((first, "cccd"),))


def test_hoso_reuse_and_the_views_equal_a_rebuild(custody: CustodyApplication,
                                                   services: Services, cast: Cast,
                                                   store_env: dict[str, str]) -> None:
    """The CLI's ``hoso reuse`` records the reuse (exit 2 with one line when refused), and the
    views fed by it equal a rebuild from the log."""
    first, _ = digitised_with_card(custody, cast)
    later = receive(custody, cast, components=())
    hoso = Hoso(store_env)
    refused = hoso("reuse", later, "--from", first, "--component", "the-bhyt",
                   "--by", cast.receiver)
    assert refused.code == 2
    assert len(refused.stderr.strip().splitlines()) == 1
    assert APPLICANT[1] not in refused.stderr
    done = hoso.ok("reuse", later, "--from", first, "--component", "cccd", "--component",
                   "to-khai", "--by", cast.receiver)
    assert done["missing_components"] == []
    views = services.open_views()
    assert views.status(later)["missing_components"] == []

    @contextmanager
    def scratch() -> Iterator[Scratch]:
        with services.backend.scratch(services.settings) as fresh:
            yield fresh

    verdict = verify(views, scratch)
    assert verdict.identical, [d.line() for d in verdict.differences]

"""The scripted custody scenario through the real ``hoso`` command, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.cast import cast_from
from tests.hoso_cli import Hoso
from tracker.domain.province import Province
from tracker.province_file import demo_province_path, load_province_file


@pytest.fixture
def hoso(store_env: dict[str, str]) -> Hoso:
    hoso = Hoso(store_env)
    hoso.ok("init", "--demo")
    return hoso


def test_receive_to_return_yields_the_exact_custody_chain(hoso: Hoso) -> None:
    c = cast_from(Province(load_province_file(demo_province_path())))
    # GIVEN a dossier received at a commune one-stop shop
    components = [arg for comp in c.components for arg in ("--component", comp)]
    receipt = hoso.ok("receive", "--office", c.commune, "--procedure", c.procedure.code,
                      "--applicant-name", "Phạm Thị Hoa", "--applicant-id", "035190004321",
                      "--phone", "0912345678", *components, "--actor", c.receiver)
    code = receipt["code"]
    assert code.startswith(f"{c.commune}-")
    assert code.endswith("-0001")
    # WHEN it travels to the resolving agency by courier, is resolved, and comes back
    hoso.ok("collect-fee", code, "--by", c.receiver, "--amount", "50000")
    hoso.ok("handover", code, "--by", c.receiver, "--courier", c.courier,
            "--to-office", c.agency, "--manifest", "BG-0001")
    hoso.ok("accept", code, "--by", c.official, "--office", c.agency)
    hoso.ok("resolve", code, "--by", c.official)
    hoso.ok("handover", code, "--by", c.official, "--courier", c.courier,
            "--to-office", c.commune)
    hoso.ok("accept", code, "--by", c.receiver, "--office", c.commune)
    final = hoso.ok("return", code, "--by", c.receiver)
    # THEN history shows who held it after each event, in order
    history = hoso.ok("history", code)
    chain = [(e["type"], e["actor"], e["office"], e["custodian"]) for e in history]
    assert chain == [
        ("Received", c.receiver, c.commune, c.receiver),
        ("FeeCollected", c.receiver, c.commune, c.receiver),
        ("HandedOver", c.receiver, c.commune, c.courier),
        ("Accepted", c.official, c.agency, c.official),
        ("Resolved", c.official, c.agency, c.official),
        ("HandedOver", c.official, c.agency, c.courier),
        ("Accepted", c.receiver, c.commune, c.receiver),
        ("ResultReturned", c.receiver, c.commune, c.receiver),
    ]
    assert history[2]["to_office"] == c.agency
    assert history[2]["manifest"] == "BG-0001"
    assert final["stage"] == "returned"
    assert final["fee_paid"] == 50000
    assert final["timeliness"] == "early"
    status = hoso.ok("status", code)
    assert status == {**final, "overdue": False}

    # AND history --as-of a moment between two events shows the log as it was then
    third, fourth = (datetime.fromisoformat(history[i]["time"]) for i in (2, 3))
    between = (third + (fourth - third) / 2).isoformat()
    then = hoso.ok("history", code, "--as-of", between)
    assert [e["type"] for e in then] == ["Received", "FeeCollected", "HandedOver"]
    assert then[-1]["custodian"] == c.courier
    assert then[-1]["in_transit"] is True


def test_human_output_is_short_lines(hoso: Hoso) -> None:
    offices = hoso("offices")
    assert offices.code == 0
    assert offices.stdout.splitlines()[0].split()[:2] == ["CODE", "LEVEL"]
    listing = hoso.ok("procedures")
    assert set(listing[0]) == {"code", "name", "field", "resolving_office", "days", "fee",
                               "components"}
    assert set(hoso.ok("offices")[0]) >= {"code", "name", "level", "parent"}
    assert set(hoso.ok("staff")[0]) == {"id", "name", "role", "office"}


def test_init_twice_changes_nothing(hoso: Hoso) -> None:
    again = hoso.ok("init", "--demo")
    assert again["changed"] is False
    assert again["offices"] >= 20

"""``hoso bag``: a bag made, handed over and accepted through the real command, on SQLite and
PostgreSQL, with a dossier missing on arrival and the manifest read back."""

from __future__ import annotations

import subprocess
from pathlib import Path

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


def test_a_bag_travels_with_one_missing_and_its_manifest_lists_it(hoso: Hoso,
                                                                   tmp_path: Path) -> None:
    c = cast_from(Province(load_province_file(demo_province_path())))
    components = [arg for comp in c.components for arg in ("--component", comp)]
    codes = [hoso.ok("receive", "--office", c.commune, "--procedure", c.procedure.code,
                     "--applicant-name", f"Người nộp {n}", "--applicant-id", f"03519000432{n}",
                     *components, "--actor", c.receiver)["code"] for n in range(3)]
    # GIVEN a bag of three dossiers made at the commune for the agency
    made = hoso.ok("bag", "create", "--by", c.receiver, "--to-office", c.agency, *codes)
    bag = made["bag"]
    assert bag.startswith("TUI-")
    assert made["state"] == "open"
    assert [d["code"] for d in made["dossiers"]] == codes
    # WHEN it is handed to the courier and accepted with one dossier missing
    handed = hoso.ok("bag", "handover", bag, "--by", c.receiver, "--courier", c.courier)
    assert handed["state"] == "handed_over"
    assert handed["courier"] == c.courier
    accepted = hoso.ok("bag", "accept", bag, "--by", c.official, "--office", c.agency,
                       "--missing", codes[2])
    # THEN two are held by the official, the third is still with the courier, flagged
    assert accepted["accepted"] == codes[:2]
    assert accepted["missing"] == [codes[2]]
    for code in codes[:2]:
        history = hoso.ok("history", code)
        assert [(e["type"], e.get("manifest"), e.get("bag")) for e in history[-2:]] == [
            ("HandedOver", bag, None), ("Accepted", None, bag)]
        assert hoso.ok("status", code)["custodian"] == c.official
    lost = hoso.ok("status", codes[2])
    assert lost["in_transit"]
    assert lost["custodian"] == c.courier
    # AND the manifest is an A4 PDF with the bag's code, every dossier and the missing flag
    pdf = tmp_path / "tui.pdf"
    hoso.ok("bag", "manifest", bag, "-o", str(pdf))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "DANH SÁCH HỒ SƠ TRONG TÚI CHUYỂN" in text
    assert bag in text
    assert all(code in text for code in codes)
    assert "thiếu khi nhận" in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info


def test_bag_refusals_name_their_rule_and_record_nothing(hoso: Hoso) -> None:
    c = cast_from(Province(load_province_file(demo_province_path())))
    components = [arg for comp in c.components for arg in ("--component", comp)]
    code = hoso.ok("receive", "--office", c.commune, "--procedure", c.procedure.code,
                   "--applicant-name", "Lê Văn An", "--applicant-id", "035190004399",
                   *components, "--actor", c.receiver)["code"]
    bag = hoso.ok("bag", "create", "--by", c.receiver, "--to-office", c.agency, code)["bag"]
    # a dossier twice, accepting before the handover, a stranger's acceptance
    twice = hoso("bag", "add", bag, code, "--by", c.receiver)
    assert twice.code == 2
    assert "once-in-bag" in twice.stderr
    early = hoso("bag", "accept", bag, "--by", c.official, "--office", c.agency)
    assert early.code == 2
    assert "bag-in-transit" in early.stderr
    hoso.ok("bag", "handover", bag, "--by", c.receiver, "--courier", c.courier)
    again = hoso("bag", "handover", bag, "--by", c.receiver, "--courier", c.courier)
    assert again.code == 2
    assert "bag-handed-over-once" in again.stderr
    elsewhere = hoso("bag", "accept", bag, "--by", c.stranger, "--office",
                     _office_of(c.stranger))
    assert elsewhere.code == 2
    assert "accept-at-destination" in elsewhere.stderr
    unlisted = hoso("bag", "accept", bag, "--by", c.official, "--office", c.agency,
                    "--missing", code.replace("-0001", "-0009"))
    assert unlisted.code == 2
    assert "missing-listed" in unlisted.stderr
    assert hoso.ok("status", code)["in_transit"]
    assert hoso("bag", "show", "TUI-00000000").code == 2
    assert hoso("bag", "show", "nonsense").code == 2


def _office_of(staff: str) -> str:
    province = Province(load_province_file(demo_province_path()))
    return province.staff[staff].office

"""Bad input exits 2 with one line naming the problem, and stores nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.cast import Cast, cast_from
from tests.hoso_cli import Hoso
from tracker.domain.calendar import LOCAL_TZ
from tracker.domain.province import Province
from tracker.province_file import demo_province_path, load_province_file

CAST = cast_from(Province(load_province_file(demo_province_path())))


def receive_args(c: Cast, **change: str) -> list[str]:
    args = {"--office": c.commune, "--procedure": c.procedure.code,
            "--applicant-name": "Phạm Thị Hoa", "--applicant-id": "035190004321",
            "--actor": c.receiver, **change}
    components = [a for comp in c.components for a in ("--component", comp)]
    return ["receive", *[x for pair in args.items() for x in pair], *components]


@pytest.fixture
def hoso(store_env: dict[str, str]) -> Hoso:
    hoso = Hoso(store_env)
    hoso.ok("init", "--demo")
    return hoso


@pytest.mark.parametrize(("args", "message"), [
    (receive_args(CAST, **{"--office": "000.99.99.X"}), "unknown office '000.99.99.X'"),
    (receive_args(CAST, **{"--procedure": "9.999999"}), "unknown procedure '9.999999'"),
    (receive_args(CAST, **{"--actor": "nobody"}), "unknown staff member 'nobody'"),
    (receive_args(CAST, **{"--actor": CAST.courier}), "this needs the role receiver or supervisor"),
    (receive_args(CAST, **{"--applicant-name": "  "}),
     "'applicant_name' must be visible text: not blank"),
    (receive_args(CAST)[:-2] if CAST.components else [], "missing required component"),
    (["status", "not-a-code"], "malformed dossier code 'not-a-code'"),
    (["history", "000.00.01.H40-260310-0001", "--as-of", "yesterday"],
     "--as-of: 'yesterday' is not an ISO-8601 date or time"),
    (["reschedule", "000.00.01.H40-260310-0001", "--by", "x", "--to", "31/12/2026",
      "--reason", "r"], "'to': must be a date written YYYY-MM-DD"),
    (["collect-fee", "000.00.01.H40-260310-0001", "--by", "x", "--amount", "many"],
     "'many' is not a valid integer"),
    (["handover", "000.00.01.H40-260310-0001", "--by", "x"], "Missing option '--to-office'"),
    (["status", "000.00.01.H40-260310-0001"], "unknown dossier 000.00.01.H40-260310-0001"),
    (["init"], "exactly one of --demo or --province FILE"),
    (["frobnicate"], "No such command 'frobnicate'"),
])
def test_bad_input_exits_2_with_one_line(hoso: Hoso, args: list[str], message: str) -> None:
    result = hoso(*args)
    assert result.code == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert result.stdout == ""
    # and nothing was stored: no dossier got the office's first code of today
    first_today = f"{CAST.commune}-{datetime.now(LOCAL_TZ):%y%m%d}-0001"
    assert "unknown dossier" in hoso("history", first_today).stderr


def test_a_good_receipt_takes_the_first_code_the_failed_ones_did_not(hoso: Hoso) -> None:
    assert hoso(*receive_args(CAST, **{"--actor": "nobody"})).code == 2
    code = hoso.ok(*receive_args(CAST))["code"]
    assert code == f"{CAST.commune}-{datetime.now(LOCAL_TZ):%y%m%d}-0001"


def test_json_errors_are_one_json_document(hoso: Hoso) -> None:
    result = hoso("status", "000.00.01.H40-260310-0001", "--json")
    assert result.code == 2
    assert result.json() == {"error": "not_found",
                             "message": "unknown dossier 000.00.01.H40-260310-0001"}


def test_malformed_province_file_exits_2_naming_file_and_line(
        hoso: Hoso, tmp_path: Path) -> None:
    broken = tmp_path / "province.yaml"
    text = demo_province_path().read_text(encoding="utf-8")
    broken.write_text(text.replace("role: courier", "role: postman", 1), encoding="utf-8")
    line = text.splitlines().index(next(
        ln for ln in text.splitlines() if "role: courier" in ln)) + 1
    result = hoso("init", "--province", str(broken))
    assert result.code == 2
    assert result.stderr == (f"hoso: {broken}:{line}: staff "
                             f"{result.stderr.split('staff ')[1]}")
    assert "role 'postman' is not one of" in result.stderr
    assert result.stderr.count("\n") == 1
    assert hoso.ok("init", "--demo")["changed"] is False  # the stored data did not change


@pytest.mark.parametrize("args", [["offices"], ["status", "000.00.01.H40-260310-0001"],
                                  ["history", "000.00.01.H40-260310-0001"]])
def test_commands_before_init_say_how_to_set_up(store_env: dict[str, str],
                                                args: list[str]) -> None:
    result = Hoso(store_env)(*args)
    assert result.code == 1
    assert result.stderr == ("hoso: the event store is not set up: "
                             "run 'hoso init --demo' or --province FILE\n")

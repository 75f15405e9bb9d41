"""Rejections and cancellations name a reason code of the province file, and the report counts
them by code (and by field); an unknown code, or none where the province lists reasons, is
refused and records nothing. Both stores."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.cast import Cast
from tests.hoso_cli import Hoso
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.domain.dossier import Dossier
from tracker.domain.errors import ProvinceFileError, RuleViolation, UnknownReference
from tracker.province_file import load_province_file


def sent_to_agency(custody: CustodyApplication, cast: Cast) -> str:
    code: str = custody.receive(office=cast.commune, procedure=cast.procedure.code,
                                applicant_name="Vũ Thị Hằng", applicant_id="035191000222",
                                actor=cast.receiver, components=cast.components)["code"]
    custody.hand_over(code, cast.receiver, cast.agency, courier=cast.courier)
    custody.accept(code, cast.official, cast.agency)
    return code


def test_decisions_are_counted_by_reason_code_and_field(
        custody: CustodyApplication, services: Services, cast: Cast,
        store_env: dict[str, str]) -> None:
    rejected, cancelled, unknown = (sent_to_agency(custody, cast) for _ in range(3))
    before = custody.history(unknown)
    with pytest.raises(UnknownReference, match="khong-co"):
        custody.reject(unknown, cast.official, "không rõ", reason_code="khong-co")
    assert custody.history(unknown) == before
    custody.reject(rejected, cast.official, "Thửa đất đang tranh chấp",
                   reason_code="dang-tranh-chap")
    assert custody.history(rejected)[-1]["reason_code"] == "dang-tranh-chap"
    refused = Hoso(store_env)("cancel", cancelled, "--by", cast.official, "--reason",
                              "Công dân xin rút", "--reason-code", "dang-tranh-chap")
    assert refused.code == 2
    assert "dang-tranh-chap" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    custody.cancel(cancelled, cast.official, "Công dân xin rút", reason_code="cong-dan-rut")
    with pytest.raises(RuleViolation, match="khong-du-dieu-kien") as no_code:
        custody.reject(unknown, cast.official, "hồ sơ cũ không có mã")  # free text alone
    assert no_code.value.rule == "reason-code"
    uncoded = Hoso(store_env)("cancel", unknown, "--by", cast.official, "--reason",
                              "Công dân xin rút")
    assert uncoded.code == 2
    assert "cong-dan-rut" in uncoded.stderr
    assert custody.history(unknown) == before

    views = services.open_views()
    march = views.report(date(2026, 3, 1), date(2026, 3, 31), by="field")
    row = next(r for r in march["rows"] if r["field"] == cast.procedure.field)
    assert row["rejected_by_reason"] == {"dang-tranh-chap": 1}
    assert row["cancelled_by_reason"] == {"cong-dan-rut": 1}


def test_a_decision_of_class_version_1_reads_with_no_code() -> None:
    state = {"reason": "không đủ điều kiện"}
    Dossier.Rejected.upcast_v1_v2(state)
    Dossier.Cancelled.upcast_v1_v2(dict(state))
    assert state == {"reason": "không đủ điều kiện", "reason_code": None}


def test_a_reason_code_is_listed_once(tmp_path: Path) -> None:
    sample = Path(__file__).parent.parent / "samples" / "small_province.yaml"
    path = tmp_path / "province.yaml"
    path.write_text(sample.read_text(encoding="utf-8") + (
        "\nreasons:\n  rejection:\n    - {code: sai, name: Sai}\n    - {code: sai, name: Sai}\n"),
        encoding="utf-8")
    with pytest.raises(ProvinceFileError, match="defined twice"):
        load_province_file(path)

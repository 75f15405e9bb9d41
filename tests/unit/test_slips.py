"""The parts of the printed papers that need no store: dates written out as Decree 30/2020
writes them, the lookup address in the QR code, the slip each event gives, the CSV cells a
spreadsheet must not run, and the HOSO_PUBLIC_URL setting."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest

from tracker.domain.errors import BadInput, RuleViolation
from tracker.domain.province import Province
from tracker.province_file import demo_province_path, load_province_file
from tracker.settings import Settings
from tracker.slips.documents import lookup_url, slip_of
from tracker.slips.layout import date_words
from tracker.slips.register import CSV_HEADINGS, HEADINGS, Register, RegisterRow, register_csv

CODE = "000.00.21.H40-260310-0001"
RECEIVED = {"type": "Received", "time": "2026-03-10T02:00:00+00:00", "actor": "pl-rcv-001",
            "office": "000.00.21.H40", "code": CODE, "procedure": "1.004227",
            "applicant_name": "Lê Thị Mai", "applicant_id": "037195000111",
            "phone": "0912345678", "components": ["don"], "missing_components": ["gcn"],
            "resolving_office": "000.21.01.H40", "due": "2026-03-24"}


@pytest.fixture(scope="module")
def province() -> Province:
    return Province(load_province_file(demo_province_path()))


@pytest.mark.parametrize(("day", "words"), [
    (date(2026, 3, 24), "ngày 24 tháng 3 năm 2026"),
    (date(2026, 2, 5), "ngày 05 tháng 02 năm 2026"),
    (date(2026, 1, 31), "ngày 31 tháng 01 năm 2026"),
    (date(2026, 12, 9), "ngày 09 tháng 12 năm 2026"),
])
def test_dates_are_written_out_with_a_zero_before_days_under_10_and_months_1_and_2(
        day: date, words: str) -> None:
    assert date_words(day) == words


def test_the_qr_code_opens_the_public_lookup_of_the_code() -> None:
    assert lookup_url("https://hoso.example.gov.vn/", CODE) == (
        f"https://hoso.example.gov.vn/lookup?code={CODE}")
    assert lookup_url("http://h:8080/hoso", "A&B") == "http://h:8080/hoso/lookup?code=A%26B"


def test_each_slip_is_printed_from_the_latest_of_its_events(province: Province) -> None:
    """GIVEN a history with two reschedules THEN the apology states the later one and the due
    date it moved; the receipt states the receipt's own due date and components by name."""
    history: list[dict[str, Any]] = [
        RECEIVED,
        {"type": "Rescheduled", "time": "2026-03-20T03:00:00+00:00", "actor": "pl-off-001",
         "office": "000.21.01.H40", "due": "2026-04-10", "reason": "lần một"},
        {"type": "Rescheduled", "time": "2026-04-08T03:00:00+00:00", "actor": "pl-off-001",
         "office": "000.21.01.H40", "due": "2026-04-30", "reason": "lần hai"}]
    apology = slip_of("apology", history, province)
    assert (apology.due, apology.new_due, apology.reason) == (
        date(2026, 4, 10), date(2026, 4, 30), "lần hai")
    assert apology.issuer.name == province.offices["000.21.01.H40"].name
    assert apology.staff == province.staff["pl-off-001"].name
    receipt = slip_of("receipt", history, province)
    assert receipt.due == date(2026, 3, 24)
    assert receipt.received_at.isoformat() == "2026-03-10T09:00:00+07:00"
    names = {c.code: c.name for c in province.procedures["1.004227"].components}
    assert (receipt.components, receipt.missing) == ((names["don"],), (names["gcn"],))
    assert receipt.issuer.superior == "UBND Tỉnh Hà Nam"
    assert receipt.issuer.place == "Hà Nam"


def test_a_slip_without_its_event_or_of_an_unknown_kind_is_refused(province: Province) -> None:
    with pytest.raises(RuleViolation, match="no Rejected or RefusedAtCounter event") as refused:
        slip_of("refusal", [RECEIVED], province)
    assert refused.value.rule == "slip-source-event"
    with pytest.raises(BadInput, match="memo"):
        slip_of("memo", [RECEIVED], province)


def test_csv_cells_a_spreadsheet_would_run_as_formulas_start_with_a_quote() -> None:
    """GIVEN a row whose name and note begin like formulas
    THEN the CSV has a BOM, the form's columns, and those cells quoted out of formula reach."""
    row = RegisterRow(code=CODE, procedure="Thủ tục", applicant="=HYPERLINK(\"x\")",
                      contact="+84 912 345 678", resolving_office="Chi nhánh",
                      received=date(2026, 3, 10), due=date(2026, 3, 24), sent=None,
                      result_back=None, returned=None, note="-1")
    body = register_csv(Register(issuer=None, start=date(2026, 3, 1),  # type: ignore[arg-type]
                                 end=date(2026, 3, 31), made_at=None,  # type: ignore[arg-type]
                                 rows=(row,)))
    assert body.startswith(b"\xef\xbb\xbf")
    header, cells = csv.reader(io.StringIO(body[3:].decode("utf-8")))
    assert header == list(CSV_HEADINGS)
    assert len(header) == len(HEADINGS)
    assert cells[:8] == ["1", CODE, "Thủ tục", "01", "'=HYPERLINK(\"x\")", "'+84 912 345 678",
                         "Chi nhánh", "10/03/2026"]
    assert cells[-1] == "'-1"


@pytest.mark.parametrize("url", ["ftp://h/", "hoso.example.gov.vn", "https://h/?a=1",
                                 "https:///x"])
def test_the_public_url_must_be_an_http_address_without_a_query(url: str) -> None:
    with pytest.raises(BadInput, match="HOSO_PUBLIC_URL"):
        Settings.from_environ({"HOSO_PUBLIC_URL": url})


def test_the_public_url_defaults_to_the_local_server_and_loses_its_trailing_slash() -> None:
    assert Settings.from_environ({}).public_url == "http://127.0.0.1:8080"
    assert Settings.from_environ({"HOSO_PUBLIC_URL": "https://a.vn/hoso/"}).public_url == (
        "https://a.vn/hoso")

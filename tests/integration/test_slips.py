"""The slips of Circular 01/2018/TT-VPCP and the office's register, read back as a citizen, a
scanner and a spreadsheet would: the text through ``pdftotext``, the page sizes through
``pdfinfo``, both barcodes through zxing-cpp on the page ``pdftoppm`` renders, the CSV through
Python's csv module. Made with ``hoso slip`` / ``hoso register`` and over the API, where each is
checked against the permission table and lands in the access log."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.conftest import ManualClock
from tests.districts import (
    AGENCY,
    APPLICANT,
    AWAY,
    AWAY_STAFF,
    COMMUNE,
    COMMUNE_RECEIVER,
    HOME,
    HOME_STAFF,
    PROCEDURE,
    check_cast,
)
from tests.hoso_cli import Hoso
from tests.identities import Tokens
from tests.papers import A4_LANDSCAPE, A5, page_sizes, pdf_text, symbols
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.web import create_app

RECEIVER, OFFICIAL, COURIER = HOME_STAFF["receiver"], HOME_STAFF["official"], HOME_STAFF["courier"]
PUBLIC = "https://hoso.example.gov.vn"
CODE_SHAPE = re.compile(r"\b\d{3}\.\d{2}\.\d{2}\.H40-\d{6}-\d{4}\b")
TITLES = {"receipt": "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
          "supplement": "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
          "refusal": "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
          "apology": "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"}


@pytest.fixture
def custody(services: Services) -> CustodyApplication:
    app = services.application()
    check_cast(app.province())
    return app


@pytest.fixture
def hoso(store_env: dict[str, str]) -> Hoso:
    return Hoso({**store_env, "HOSO_PUBLIC_URL": PUBLIC})


def receive(custody: CustodyApplication, office: str = HOME, receiver: str = RECEIVER,
            complete: bool = True) -> str:
    components = list(custody.province().procedure(PROCEDURE).required_components)
    code: str = custody.receive(office=office, procedure=PROCEDURE, actor=receiver,
                                components=components if complete else components[:-1],
                                accept_incomplete=not complete, **APPLICANT)["code"]
    return code


def name_of(custody: CustodyApplication, staff: str) -> str:
    return custody.province().staff[staff].name


def test_the_receipt_states_the_code_and_the_due_date_on_a5_with_both_symbols(
        custody: CustodyApplication, hoso: Hoso, tmp_path: Path) -> None:
    """GIVEN a dossier received at HOME at 09:00 on Tuesday 10 March 2026, one component short
    WHEN hoso slip receipt CODE -o receipt.pdf, with HOSO_PUBLIC_URL set
    THEN the text holds the title, the code, the due date and the time of receipt written out
    with their diacritics, the applicant, the receiver and the office; both copies are A5 and
    on each the Code 128 reads the code and the QR code the public lookup of it."""
    code = receive(custody, complete=False)
    assert custody.status(code)["due"] == "2026-03-24"  # ten working days
    out = tmp_path / "receipt.pdf"
    made = hoso.ok("slip", "receipt", code, "-o", str(out))
    assert made == {"file": str(out), "kind": "receipt", "form": "Mẫu số 01", "code": code}
    text = pdf_text(out)
    for words in (TITLES["receipt"], code, "ngày 24 tháng 3 năm 2026",
                  "09 giờ 00 phút, ngày 10 tháng 3 năm 2026", "Mẫu số 01",
                  APPLICANT["applicant_name"], APPLICANT["applicant_id"],
                  name_of(custody, RECEIVER), "NGƯỜI TIẾP NHẬN HỒ SƠ", "Còn thiếu khi tiếp nhận",
                  "Liên 1: giao người nộp hồ sơ", "Liên 2: lưu tại"):
        assert words in text, words
    assert page_sizes(out) == [A5, A5]
    for page in (1, 2):
        assert symbols(out, tmp_path, page) == {
            "Code128": code, "QRCode": f"{PUBLIC}/lookup?code={code}"}


def test_each_slip_carries_its_title_and_the_event_it_is_printed_from(
        custody: CustodyApplication, clock: ManualClock, hoso: Hoso, tmp_path: Path) -> None:
    """GIVEN a dossier asked for a supplement at the counter, then at AGENCY rescheduled to
    30 April and refused
    WHEN each of its slips is printed
    THEN each is one A5 page with its form's title, the reason given and the staff member who
    gave it; the apology names the date it moves and the new one; both symbols read back."""
    code = receive(custody)
    custody.request_supplement(code, RECEIVER, "Thiếu bản gốc sổ đỏ")
    clock.advance(days=1)
    custody.receive_supplement(code, RECEIVER)
    custody.hand_over(code, RECEIVER, AGENCY, courier=COURIER)
    custody.accept(code, OFFICIAL, AGENCY)
    moved = date.fromisoformat(custody.status(code)["due"])
    custody.reschedule(code, OFFICIAL, date(2026, 4, 30), "Chờ xác minh nguồn gốc đất")
    custody.reject(code, OFFICIAL, "Thửa đất đang có tranh chấp", reason_code="dang-tranh-chap")
    agency = custody.province().offices[AGENCY].name
    expected = {
        "supplement": ["Thiếu bản gốc sổ đỏ", name_of(custody, RECEIVER), "NGƯỜI HƯỚNG DẪN"],
        "refusal": ["Thửa đất đang có tranh chấp", name_of(custody, OFFICIAL),
                    "không tiếp nhận, giải quyết hồ sơ này"],
        "apology": ["Chờ xác minh nguồn gốc đất", name_of(custody, OFFICIAL),
                    f"ngày {moved.day:02d} tháng {moved.month} năm 2026",
                    "ngày 30 tháng 4 năm 2026", "xin lỗi ông/bà"],
    }
    for kind, words in expected.items():
        out = tmp_path / f"{kind}.pdf"
        hoso.ok("slip", kind, code, "-o", str(out))
        text = " ".join(pdf_text(out).split())
        for fragment in [TITLES[kind], code, *words]:
            assert fragment in text, (kind, fragment)
        if kind != "supplement":
            assert agency.upper() in text or agency in text, kind
        assert page_sizes(out) == [A5], kind
        assert symbols(out, tmp_path) == {"Code128": code,
                                          "QRCode": f"{PUBLIC}/lookup?code={code}"}, kind


def test_a_slip_without_its_event_and_bad_input_are_refused_in_one_line(
        custody: CustodyApplication, hoso: Hoso, tmp_path: Path) -> None:
    """GIVEN a dossier only received
    WHEN its supplement, refusal or apology slip is asked for, or a slip is asked for with a
    wrong kind, file name or code
    THEN hoso exits 2 with one line on stderr naming what is missing, and writes no file."""
    code = receive(custody)
    papers = tmp_path / "papers"
    papers.mkdir()
    out = papers / "slip.pdf"
    for kind, event in (("supplement", "SupplementRequested"), ("refusal", "Rejected"),
                        ("apology", "Rescheduled")):
        refused = hoso("slip", kind, code, "-o", str(out))
        assert refused.code == 2, refused
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        assert event in refused.stderr
        assert code in refused.stderr
    for args, said in ((("memo", code, "-o", str(out)), "memo"),
                       (("receipt", code, "-o", str(papers / "slip.png")), ".pdf"),
                       (("receipt", f"{HOME}-260310-0999", "-o", str(out)), "unknown dossier"),
                       (("receipt", "not-a-code", "-o", str(out)), "malformed")):
        refused = hoso("slip", *args)
        assert refused.code == 2, (args, refused)
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        assert said in refused.stderr, refused.stderr
    assert not list(papers.iterdir())


def test_the_register_lists_exactly_the_offices_dossiers_of_the_period(
        custody: CustodyApplication, clock: ManualClock, hoso: Hoso, tmp_path: Path) -> None:
    """GIVEN at HOME two dossiers received on 10 March (one taken through to its result,
    returned by post) and one on 12 March, and around them one at HOME on 16 March, one at
    COMMUNE (under HOME) and one at AWAY in the period
    WHEN HOME's register from 10 to 13 March is written as PDF and as CSV
    THEN both list exactly HOME's three, in order; the PDF is A4 landscape, the CSV is UTF-8
    with a byte-order mark, the form's columns, and the dates of each step."""
    first, second = receive(custody), receive(custody)
    receive(custody, AWAY, AWAY_STAFF["receiver"])
    custody.hand_over(first, RECEIVER, AGENCY, courier=COURIER)
    custody.accept(first, OFFICIAL, AGENCY)
    clock.advance(days=1)
    receive(custody, COMMUNE, COMMUNE_RECEIVER)
    custody.resolve(first, OFFICIAL)
    custody.hand_over(first, OFFICIAL, HOME, courier=COURIER)
    custody.accept(first, RECEIVER, HOME)
    clock.advance(days=1)
    third = receive(custody)
    custody.return_result(first, RECEIVER, by_post=True)
    clock.advance(days=6)
    receive(custody)
    wanted = [first, second, third]
    period = ("--office", HOME, "--from", "2026-03-10", "--to", "2026-03-13")

    pdf, table = tmp_path / "so.pdf", tmp_path / "so.csv"
    assert hoso.ok("register", *period, "-o", str(pdf))["dossiers"] == wanted
    text = pdf_text(pdf)
    assert "SỔ THEO DÕI HỒ SƠ" in text
    assert "Số hồ sơ tiếp nhận: 3" in text
    assert CODE_SHAPE.findall(text) == wanted
    assert set(page_sizes(pdf)) == {A4_LANDSCAPE}

    assert hoso.ok("register", *period, "-o", str(table))["dossiers"] == wanted
    raw = table.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"))))
    assert [row["Mã hồ sơ"] for row in rows] == wanted
    assert [row["TT"] for row in rows] == ["1", "2", "3"]
    done = rows[0]
    assert done["Tên cá nhân, tổ chức"] == APPLICANT["applicant_name"]
    assert done["Cơ quan chủ trì giải quyết"] == custody.province().offices[AGENCY].name
    assert (done["Ngày nhận hồ sơ"], done["Ngày hẹn trả kết quả"],
            done["Ngày chuyển hồ sơ đến cơ quan giải quyết"],
            done["Ngày nhận kết quả từ cơ quan giải quyết"],
            done["Ngày trả kết quả cho cá nhân, tổ chức"]) == (
        "10/03/2026", "24/03/2026", "10/03/2026", "11/03/2026", "12/03/2026")
    assert "Trả qua dịch vụ bưu chính" in done["Ghi chú"]
    assert rows[1]["Ngày chuyển hồ sơ đến cơ quan giải quyết"] == ""


@pytest.mark.parametrize("backend", ["sqlite"])  # the refusals do not depend on the store
def test_a_register_with_bad_input_is_refused_in_one_line(
        custody: CustodyApplication, hoso: Hoso, tmp_path: Path) -> None:
    """GIVEN the demo province
    WHEN a register is asked for with a file of another kind, a day the calendar lacks, an
    office the province does not list, or more than a year
    THEN hoso exits 2 with one line on stderr saying which, and writes no file."""
    papers = tmp_path / "papers"
    papers.mkdir()

    def ask(office: str, start: str, end: str, name: str) -> tuple[int, str]:
        result = hoso("register", "--office", office, "--from", start, "--to", end, "-o",
                      str(papers / name))
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        return result.code, result.stderr

    for args, said in (((HOME, "2026-03-01", "2026-03-31", "so.xlsx"), ".csv"),
                       ((HOME, "2026-02-30", "2026-03-31", "so.pdf"), "from"),
                       (("000.99.99.H40", "2026-03-01", "2026-03-31", "so.pdf"), "unknown office"),
                       ((HOME, "2025-01-01", "2026-03-31", "so.csv"), "366")):
        code, stderr = ask(*args)
        assert code == 2, (args, stderr)
        assert said in stderr, (args, stderr)
    assert not list(papers.iterdir())


@pytest.fixture
def client(services: Services) -> FlaskClient:
    return create_app(services, {"TESTING": True}).test_client()


def test_the_api_answers_slips_and_registers_to_those_allowed_and_logs_each_read(
        services: Services, custody: CustodyApplication, client: FlaskClient,
        store_env: dict[str, str], tmp_path: Path) -> None:
    """GIVEN a dossier received at HOME
    WHEN its receipt, its apology (never rescheduled) and HOME's register are asked for over
    the API by HOME's receiver and supervisor, HOME's courier and AWAY's receiver
    THEN the receipt is an A5 PDF whose QR opens the lookup at HOSO_PUBLIC_URL's default, the
    apology is refused 409 naming the event, the courier and AWAY get 403; and hoso access-log
    lists the receipt's read and the register's as exports, by whom and through which route,
    and nothing for the refused ones."""
    code = receive(custody)
    tokens = Tokens(services)
    receipt = f"/api/v1/dossiers/{code}/slips/receipt.pdf"
    register = f"/api/v1/offices/{HOME}/register.csv?from=2026-03-10&to=2026-03-10"

    answer = client.get(receipt, headers=tokens.header(RECEIVER))
    assert answer.status_code == 200, answer.get_json(silent=True)
    assert answer.mimetype == "application/pdf"
    assert answer.headers["Content-Disposition"] == f'attachment; filename="{code}-receipt.pdf"'
    assert answer.headers["Cache-Control"] == "private, no-store"
    out = tmp_path / "receipt.pdf"
    out.write_bytes(answer.data)
    assert TITLES["receipt"] in pdf_text(out)
    assert symbols(out, tmp_path) == {
        "Code128": code, "QRCode": f"http://127.0.0.1:8080/lookup?code={code}"}

    apology = client.get(f"/api/v1/dossiers/{code}/slips/apology.pdf",
                         headers=tokens.header(RECEIVER))
    assert apology.status_code == 409
    assert "Rescheduled" in apology.get_json()["message"]
    for path in (receipt, register):
        for stranger in (COURIER, AWAY_STAFF["receiver"]):
            refused = client.get(path, headers=tokens.header(stranger))
            assert refused.status_code == 403, (path, stranger)
            assert refused.get_json()["error"] == "forbidden"

    listed = client.get(register, headers=tokens.header(HOME_STAFF["supervisor"]))
    assert listed.status_code == 200
    assert listed.mimetype == "text/csv"
    assert listed.data.startswith(b"\xef\xbb\xbf")
    assert code.encode() in listed.data

    reads = Hoso(store_env).ok("access-log", "--dossier", code)
    assert [(r["staff"], r["what"], r["route"]) for r in reads] == [
        (RECEIVER, "export", "GET /api/v1/dossiers/<code>/slips/receipt.pdf"),
        (HOME_STAFF["supervisor"], "export", "GET /api/v1/offices/<office>/register.csv")]


def test_the_receipt_states_the_fees_collected(custody: CustodyApplication, hoso: Hoso,
                                               tmp_path: Path) -> None:
    """GIVEN a dossier whose procedure's fee is then collected at the counter
    THEN a receipt printed before says nothing of fees, and one printed after states the
    amount paid, in đồng written the Vietnamese way."""
    code = receive(custody)
    before, after = tmp_path / "before.pdf", tmp_path / "after.pdf"
    hoso.ok("slip", "receipt", code, "-o", str(before))
    fee = custody.province().procedure(PROCEDURE).fee or 50_000
    custody.collect_fee(code, RECEIVER, fee)
    hoso.ok("slip", "receipt", code, "-o", str(after))
    assert "Phí, lệ phí" not in pdf_text(before)
    amount = f"{fee:,}".replace(",", ".")
    assert f"7. Phí, lệ phí đã nộp: {amount} đồng" in " ".join(pdf_text(after).split())

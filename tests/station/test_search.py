"""Accent-insensitive search over OCR text, and page counts checked at handovers, on both stores."""

from __future__ import annotations

import json

import pytest

from tests.cast import Cast
from tracker.application import CustodyApplication, NotInitialised
from tracker.domain.codes import DossierCode
from tracker.domain.errors import BadInput, RuleViolation
from tracker.domain.scan_details import ScanDetails
from tracker.search.fold import fold, query_terms, snippet


def test_folding_keeps_positions_and_maps_d_bar() -> None:
    text = "Ông NGUYỄN Văn Đức, đường Lê Lợi"
    assert fold(text) == "ong nguyen van duc, duong le loi"
    assert len(fold(text)) == len(text)
    assert query_terms("nguyễn  văn nguyen A") == ["nguyen", "van", "a"]
    assert snippet(text, ["duc"]) == "Ông NGUYỄN Văn «Đức», đường Lê Lợi"


def scanned(custody: CustodyApplication, cast: Cast, name: str, text: str, pages: int = 2,
            ) -> str:
    """A received dossier digitised with ``pages`` pages and ``text`` as its OCR."""
    code: str = custody.receive(office=cast.commune, procedure=cast.procedure.code,
                                applicant_name=name, applicant_id="037195000111",
                                actor=cast.receiver, components=cast.components)["code"]
    keys = [custody.objects.put(f"{code} page {n}".encode(), "image/png").key
            for n in range(pages)]
    ocr = json.dumps({"pages": [{"page": 1, "text": text}]}, ensure_ascii=False).encode()
    ocr_key = custody.objects.put(ocr, "application/json").key
    custody.digitise(code, cast.receiver, keys, ocr_text_key=ocr_key,
                     details=ScanDetails(dpi=300, blank_pages=[pages], station="st-1"))
    return code


def test_search_finds_vietnamese_text_without_accents(custody: CustodyApplication,
                                                      cast: Cast) -> None:
    # GIVEN two digitised dossiers
    first = scanned(custody, cast, "Nguyễn Văn A",
                    "ĐƠN ĐĂNG KÝ BIẾN ĐỘNG ĐẤT ĐAI\nNgười nộp: Nguyễn Văn A, thôn Đông Hà")
    second = scanned(custody, cast, "Trần Thị Bình", "Hợp đồng thế chấp — bên vay: Trần Thị Bình")
    # WHEN searched without diacritics, in any case
    hits = custody.search("nguyen van a")
    # THEN only the first is found, with a snippet of its original text
    assert [h.code for h in hits] == [first]
    assert "«Nguyễn» «Văn» «A»" in hits[0].snippet
    assert [h.code for h in custody.search("DONG HA dat dai")] == [first]
    assert [h.code for h in custody.search("đồng thế chấp")] == [second]
    assert custody.search("nguyen binh") == []
    # AND --office narrows, and an unknown office is refused
    assert [h.code for h in custody.search("tran", office=cast.commune)] == [second]
    assert custody.search("tran", office=cast.agency) == []
    with pytest.raises(Exception, match="unknown office"):
        custody.search("tran", office="no.such.office")
    # AND query syntax is only ever words
    assert custody.search('" OR * NEAR(') == []
    # AND the index rebuilt from the events answers the same
    assert custody.reindex_search() == 2
    assert [h.code for h in custody.search("nguyen van a")] == [first]


def test_page_count_is_recorded_and_checked_at_handover(custody: CustodyApplication,
                                                        cast: Cast) -> None:
    code = scanned(custody, cast, "Lê Thị Mai", "trang", pages=3)
    digitised = custody.history(code)[-1]
    assert digitised["pages"] == 3
    assert digitised["blank_pages"] == [3]
    assert digitised["dpi"] == 300
    before = custody.history(code)
    # WHEN a handover counts a different number of sheets THEN it is refused, nothing stored
    with pytest.raises(RuleViolation, match=r"digitised with 3 pages; 2 counted \[rule: "
                                            r"page-count\]"):
        custody.hand_over(code, cast.receiver, cast.agency, courier=cast.courier,
                          pages_counted=2)
    with pytest.raises(BadInput):
        custody.hand_over(code, cast.receiver, cast.agency, courier=cast.courier,
                          pages_counted=0)
    assert custody.history(code) == before
    # AND the right count is recorded with the handover
    custody.hand_over(code, cast.receiver, cast.agency, courier=cast.courier, pages_counted=3)
    assert custody.history(code)[-1]["pages_counted"] == 3


def test_scan_details_that_do_not_fit_are_refused(custody: CustodyApplication,
                                                  cast: Cast) -> None:
    code = scanned(custody, cast, "Lê Thị Mai", "trang", pages=1)
    key = custody.objects.put(b"page", "image/png").key
    with pytest.raises(RuleViolation, match="blank page 2 is not one of the 1 pages"):
        custody.digitise(code, cast.receiver, [key], details=ScanDetails(blank_pages=[2]))


def test_events_stored_before_the_station_still_decode(custody: CustodyApplication,
                                                       cast: Cast) -> None:
    """A Digitised or HandedOver stored by the previous release (class version 1, without the
    station's fields) is upcast on read, so old logs replay unchanged."""
    from dataclasses import replace

    from eventsourcing.persistence import StoredEvent

    code = scanned(custody, cast, "Lê Thị Mai", "trang", pages=1)
    custody.hand_over(code, cast.receiver, cast.agency, courier=cast.courier)
    stored = custody.recorder.select_events(DossierCode.parse(code).dossier_id)
    decoded = []
    for record in stored[-2:]:  # Digitised, HandedOver
        state = json.loads(record.state)  # the store keeps plain JSON (no cipher, no zlib)
        assert state.pop("class_version") in (2, 3)
        for new in ("cleaned", "dpi", "blank_pages", "quality_notes", "station", "components",
                    "excluded_pages", "pages_counted"):
            state.pop(new, None)
        old = replace(record, state=json.dumps(state).encode())
        assert isinstance(old, StoredEvent)
        decoded.append(custody.mapper.to_domain_event(old))
    digitised, handed_over = decoded
    assert (digitised.cleaned, digitised.dpi, digitised.blank_pages, digitised.station) == (
        [], None, [], None)
    assert digitised.pages == 1
    assert handed_over.pages_counted is None


def test_a_store_set_up_before_the_index_records_scans_and_rebuilds_it(
        custody: CustodyApplication, cast: Cast) -> None:
    # GIVEN a store whose 'hoso init' predates the search table
    datastore = custody.search_index().datastore  # type: ignore[attr-defined]
    schema = getattr(datastore, "schema", None)  # PostgreSQL: the test's own schema
    with datastore.transaction(commit=True) as c:
        c.execute(f'DROP TABLE "{schema}".dossier_text' if schema else "DROP TABLE dossier_text")
    # WHEN a scan is recorded THEN it is recorded all the same (the index is derived)
    code = scanned(custody, cast, "Nguyễn Văn A", "Nguyễn Văn A")
    assert custody.status(code)["pages"] == 2
    # AND search says how to set the index up instead of failing obscurely
    with pytest.raises(NotInitialised, match="search --reindex"):
        custody.search("nguyen")
    # AND after the DDL the index is rebuilt from the events
    custody.search_index().create_tables()
    assert custody.reindex_search() == 1
    assert [h.code for h in custody.search("nguyen van a")] == [code]

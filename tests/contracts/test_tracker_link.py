"""The station's TrackerPort contract, run on every adapter: in-process and over the HTTP API.

One abstract case states what the scanning station relies on; each adapter subclasses it with a
``tracker`` fixture: ``InProcessTracker`` on the application, ``HttpTracker`` with a station
token against the real API served on a loopback port, and an ``unknown_operator`` fixture: a
tracker and an operator the tracker does not know (in-process, a staff id no one has; over HTTP,
where the token names the operator, a token whose account was disabled). Both end in the same
application, on SQLite (the event store is not what is under test). The base is deleted at the
end so pytest does not collect it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from scanning.errors import ScanningError
from scanning.station import RecordRefused, ScanRecord, TrackerPort
from scanning.tracker_http import HttpTracker, TrackerUnavailable
from storage.filesystem import FilesystemObjectStore
from storage.objects import StoreUnavailable
from tests.cast import Cast
from tests.identities import Tokens
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.station_link import InProcessTracker
from tracker.web import create_app

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])
STATION = "st-1"
ABSENT_KEY = "sha256/00/" + "0" * 64


class ObjectStoreDown(FilesystemObjectStore):
    """The tracker's object store during an outage: every read fails as unreachable."""

    def get(self, key: str) -> Iterator[bytes]:
        raise StoreUnavailable("the object store is unreachable")


@pytest.fixture
def code(custody: CustodyApplication, cast: Cast) -> str:
    """A dossier received at the commune, held by its receiver."""
    received: str = custody.receive(
        office=cast.commune, procedure=cast.procedure.code, applicant_name="Phạm Thị Hồng",
        applicant_id="037195000111", actor=cast.receiver, components=cast.components)["code"]
    return received


def stored_scan(custody: CustodyApplication, cast: Cast, code: str, pages: int = 2
                ) -> ScanRecord:
    """A scan of ``pages`` pages whose every object is already in the tracker's store."""
    def put(data: str, content_type: str) -> str:
        return custody.objects.put(data.encode(), content_type).key

    ocr = json.dumps({"pages": [{"page": 1, "text": "Giấy chứng nhận quyền sử dụng đất "
                                 "của bà Phạm Thị Hồng"}]}, ensure_ascii=False)
    return ScanRecord(
        code=code, operator=cast.receiver, station=STATION,
        pages=[put(f"{code} trang {n}", "image/png") for n in range(1, pages + 1)],
        cleaned=[put(f"{code} bản sạch {n}", "image/jpeg") for n in range(1, pages + 1)],
        pdf_key=put(f"%PDF-1.7 {code}", "application/pdf"),
        ocr_key=put(ocr, "application/json"), dpi=300, blank_pages=[pages],
        quality_notes=[{"page": 1, "message": "con dấu đỏ che chữ"}], device="scanner-7")


def digitised(custody: CustodyApplication, code: str) -> list[dict[str, Any]]:
    return [e for e in custody.history(code) if e["type"] == "Digitised"]


class TrackerLinkContract:
    @pytest.fixture
    def tracker(self) -> TrackerPort:
        raise NotImplementedError

    @pytest.fixture
    def unknown_operator(self) -> tuple[TrackerPort, str, str]:
        """A tracker, an operator it does not know, and what its refusal says."""
        raise NotImplementedError

    def test_a_received_dossier_is_known(self, tracker: TrackerPort, code: str) -> None:
        assert tracker.known_dossier(code) is True

    @pytest.mark.parametrize("other", [
        "000.21.11.H40-260310-0999",  # well formed, never received
        "000.21.11.H40-261399-0001",  # no such day
        "not-a-dossier-code", "mã hồ sơ?#%", "ACME-1234567890"])
    def test_codes_of_no_received_dossier_are_unknown(self, tracker: TrackerPort, code: str,
                                                      other: str) -> None:
        assert tracker.known_dossier(other) is False

    @pytest.mark.parametrize("other", ["000.21.11.H40/260310-0001", "", ".."])
    def test_codes_that_would_break_a_url_are_unknown(self, tracker: TrackerPort, code: str,
                                                      other: str) -> None:
        assert tracker.known_dossier(other) is False

    def test_a_scan_whose_objects_are_stored_is_recorded(
            self, tracker: TrackerPort, custody: CustodyApplication, cast: Cast, code: str
            ) -> None:
        """GIVEN a scan whose pages, cleaned copies, PDF and OCR text are all stored
        WHEN the station asks the tracker to record it
        THEN one Digitised names them, with the station's details, and its text is found."""
        record = stored_scan(custody, cast, code, pages=3)
        status = tracker.record_digitised(record)
        assert (status["code"], status["pages"]) == (code, 3)
        event, = digitised(custody, code)
        assert (event["station"], event["dpi"], event["blank_pages"]) == (STATION, 300, [3])
        assert event["pages"] == 3
        assert [hit.code for hit in custody.search("giay chung nhan pham thi hong")] == [code]

    def test_a_scan_sent_again_is_recorded_once(
            self, tracker: TrackerPort, custody: CustodyApplication, cast: Cast, code: str
            ) -> None:
        """GIVEN a scan recorded, whose answer the station did not get
        WHEN the station sends it again
        THEN it gets the same answer and the dossier still has one Digitised."""
        record = stored_scan(custody, cast, code, pages=2)
        first = tracker.record_digitised(record)
        assert tracker.record_digitised(record) == first
        assert len(digitised(custody, code)) == 1

    def test_a_scan_of_an_unknown_dossier_is_refused(
            self, tracker: TrackerPort, custody: CustodyApplication, cast: Cast, code: str
            ) -> None:
        unknown = code[:-4] + "0999"
        with pytest.raises(RecordRefused, match=unknown):
            tracker.record_digitised(replace(stored_scan(custody, cast, code), code=unknown))

    def test_a_scan_naming_a_missing_object_is_refused_and_nothing_recorded(
            self, tracker: TrackerPort, custody: CustodyApplication, cast: Cast, code: str
            ) -> None:
        """GIVEN a scan one of whose pages never reached the object store
        WHEN the station asks the tracker to record it
        THEN it is refused naming the rule, and the dossier has no scan."""
        record = stored_scan(custody, cast, code)
        with pytest.raises(RecordRefused, match=r"objects-stored"):
            tracker.record_digitised(replace(record, pages=[record.pages[0], ABSENT_KEY]))
        assert digitised(custody, code) == []

    def test_a_scan_the_custody_rules_forbid_is_refused_naming_the_rule(
            self, tracker: TrackerPort, custody: CustodyApplication, cast: Cast, code: str
            ) -> None:
        """GIVEN a dossier cancelled at the station's own office
        WHEN a scan of it is sent THEN it is refused naming the custody rule."""
        custody.cancel(code, cast.receiver, "người nộp rút hồ sơ", reason_code="cong-dan-rut")
        with pytest.raises(RecordRefused, match=r"terminal-final"):
            tracker.record_digitised(stored_scan(custody, cast, code))
        assert digitised(custody, code) == []

    def test_a_scan_by_someone_unknown_is_refused(
            self, unknown_operator: tuple[TrackerPort, str, str], custody: CustodyApplication,
            cast: Cast, code: str) -> None:
        tracker, operator, refusal = unknown_operator
        with pytest.raises(RecordRefused, match=refusal):
            tracker.record_digitised(replace(stored_scan(custody, cast, code),
                                             operator=operator))
        assert digitised(custody, code) == []

    def test_scan_details_that_do_not_fit_are_refused(
            self, tracker: TrackerPort, custody: CustodyApplication, cast: Cast, code: str
            ) -> None:
        with pytest.raises(RecordRefused, match="blank page 9"):
            tracker.record_digitised(replace(stored_scan(custody, cast, code),
                                             blank_pages=[9]))
        assert digitised(custody, code) == []

    def test_a_scan_naming_something_not_an_object_key_is_refused(
            self, tracker: TrackerPort, custody: CustodyApplication, cast: Cast, code: str
            ) -> None:
        record = stored_scan(custody, cast, code)
        with pytest.raises(RecordRefused, match="object key"):
            tracker.record_digitised(replace(record, pages=[record.pages[0], "page-2.png"]))
        assert digitised(custody, code) == []

    def test_an_object_store_outage_is_not_a_refusal(
            self, tracker: TrackerPort, custody: CustodyApplication, cast: Cast, code: str,
            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """GIVEN a scan whose objects are stored, and the tracker's object store unreachable
        WHEN the station asks the tracker to record it
        THEN the failure says the scan may be recorded later: it is not a refusal."""
        record = stored_scan(custody, cast, code)
        monkeypatch.setattr(custody, "objects", ObjectStoreDown(tmp_path / "down"))
        with pytest.raises(ScanningError) as failed:
            tracker.record_digitised(record)
        assert not isinstance(failed.value, RecordRefused), failed.value
        assert isinstance(failed.value, TrackerUnavailable), failed.value
        assert digitised(custody, code) == []


class TestInProcessTracker(TrackerLinkContract):
    @pytest.fixture
    def tracker(self, custody: CustodyApplication) -> TrackerPort:
        return InProcessTracker(custody)

    @pytest.fixture
    def unknown_operator(self, tracker: TrackerPort) -> tuple[TrackerPort, str, str]:
        return tracker, "ghost", "ghost"

    def test_a_scan_of_a_dossier_in_transit_is_refused_naming_the_rule(
            self, tracker: TrackerPort, custody: CustodyApplication, cast: Cast, code: str
            ) -> None:
        custody.hand_over(code, cast.receiver, cast.agency, courier=cast.courier)
        with pytest.raises(RecordRefused, match=r"no-processing-in-transit"):
            tracker.record_digitised(stored_scan(custody, cast, code))
        assert digitised(custody, code) == []


class TestHttpTracker(TrackerLinkContract):
    @pytest.fixture
    def url(self, services: Services) -> Iterator[str]:
        """The real API on a loopback port."""
        app = create_app(services)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_port}"
        server.shutdown()
        thread.join()

    @pytest.fixture
    def tokens(self, services: Services) -> Tokens:
        return Tokens(services)

    @pytest.fixture
    def token(self, tokens: Tokens, cast: Cast) -> str:
        """This station's token, bound to it, the commune's receiver and the commune."""
        return tokens.token(cast.receiver, "station", STATION)

    @pytest.fixture
    def tracker(self, url: str, token: str) -> TrackerPort:
        return HttpTracker(url, token, timeout=30)

    @pytest.fixture
    def unknown_operator(self, url: str, services: Services, tokens: Tokens, cast: Cast,
                         custody: CustodyApplication) -> tuple[TrackerPort, str, str]:
        """A station token of an operator at the commune whose account is then disabled."""
        operator = next(s.id for s in custody.province().staff.values()
                        if s.role == "operator" and s.office == cast.commune)
        token = tokens.token(operator, "station", STATION)
        services.accounts().disable(operator, "tests")
        return HttpTracker(url, token, timeout=30), operator, "401"

    def test_another_stations_token_is_refused(
            self, url: str, token: str, custody: CustodyApplication, cast: Cast, code: str
            ) -> None:
        with pytest.raises(RecordRefused, match="401"):
            HttpTracker(url, "not-the-token-at-all").known_dossier(code)
        with pytest.raises(RecordRefused, match="403"):
            HttpTracker(url, token).record_digitised(
                replace(stored_scan(custody, cast, code), station="st-2"))
        assert digitised(custody, code) == []

    def test_a_staff_members_api_token_records_no_scan(
            self, url: str, tokens: Tokens, custody: CustodyApplication, cast: Cast, code: str
            ) -> None:
        api = HttpTracker(url, tokens.token(cast.receiver), timeout=30)
        with pytest.raises(RecordRefused, match="403"):
            api.known_dossier(code)
        with pytest.raises(RecordRefused, match="403"):
            api.record_digitised(stored_scan(custody, cast, code))
        assert digitised(custody, code) == []

    def test_a_scan_of_a_dossier_gone_from_the_stations_office_is_refused(
            self, tracker: TrackerPort, custody: CustodyApplication, cast: Cast, code: str
            ) -> None:
        """GIVEN a dossier handed over to another office (in transit there)
        WHEN the station of the office it left sends a scan of it
        THEN it is refused: the dossier is no longer within the station's office."""
        custody.hand_over(code, cast.receiver, cast.agency, courier=cast.courier)
        with pytest.raises(RecordRefused, match="403"):
            tracker.record_digitised(stored_scan(custody, cast, code))
        assert digitised(custody, code) == []

    def test_a_tracker_that_cannot_be_reached_is_unavailable(self, token: str, code: str
                                                               ) -> None:
        with pytest.raises(TrackerUnavailable, match="unreachable"):
            HttpTracker("http://127.0.0.1:9", token, timeout=5).known_dossier(code)


del TrackerLinkContract

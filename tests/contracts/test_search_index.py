"""The SearchIndex contract, run on every adapter: SQLite FTS5 and PostgreSQL full-text search.

One abstract case states what any search index must do, read through ``search`` as the
application does; each adapter subclasses it with an ``index`` fixture. The base is deleted at
the end so pytest does not collect it.
"""

from __future__ import annotations

import pytest
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from tracker.search.index import ScanText, SearchIndex, search
from tracker.search.postgres import PostgresSearchIndex
from tracker.search.sqlite import SQLiteSearchIndex

COMMUNE, DISTRICT = "000.21.11.H40", "000.21.01.H40"
DEED = ScanText("000.21.11.H40-260310-0001", COMMUNE, "sha256/aa/" + "a" * 64,
                "ĐƠN ĐĂNG KÝ BIẾN ĐỘNG ĐẤT ĐAI\nNgười nộp: Nguyễn Văn An, thôn Đông Hà, "
                "xã Bà Rịa-Vũng Tàu. CCCD 034090001234")
MORTGAGE = ScanText("000.21.11.H40-260310-0002", COMMUNE, "sha256/bb/" + "b" * 64,
                    "Hợp đồng thế chấp — bên vay: Trần Thị Bình, thôn Đông Hà")
PERMIT = ScanText("000.21.01.H40-260310-0001", DISTRICT, "sha256/cc/" + "c" * 64,
                  "Giấy phép xây dựng cho ông Nguyễn Văn Bình")


def codes(index: SearchIndex, query: str, office: str | None = None, limit: int = 20
          ) -> list[str]:
    return [hit.code for hit in search(index, query, office, limit)]


class SearchIndexContract:
    @pytest.fixture
    def index(self) -> SearchIndex:
        raise NotImplementedError

    @pytest.fixture
    def indexed(self, index: SearchIndex) -> SearchIndex:
        for row in (DEED, MORTGAGE, PERMIT):
            index.add(row)
        return index

    def test_every_word_must_match_accents_and_case_ignored(self, indexed: SearchIndex
                                                           ) -> None:
        assert codes(indexed, "nguyen van an") == [DEED.code]
        assert codes(indexed, "ĐẤT ĐAI đông hà") == [DEED.code]
        assert sorted(codes(indexed, "dong ha")) == sorted([DEED.code, MORTGAGE.code])
        assert codes(indexed, "nguyen tran") == []

    def test_words_match_whole_not_as_prefixes(self, indexed: SearchIndex) -> None:
        assert codes(indexed, "nguy") == []
        assert codes(indexed, "binh") != []

    def test_hyphenated_names_and_id_numbers_are_found(self, indexed: SearchIndex) -> None:
        assert codes(indexed, "vung tau") == [DEED.code]
        assert codes(indexed, "Rịa-Vũng") == [DEED.code]
        assert codes(indexed, "034090001234") == [DEED.code]

    def test_numbers_dates_and_codes_are_found_by_their_parts(self, index: SearchIndex
                                                             ) -> None:
        """A date, a decimal or a dossier code in the text is found as the query words it
        folds to, whatever the adapter's tokenizer makes of the punctuation between them."""
        index.add(ScanText("000.21.11.H40-260310-0003", COMMUNE, "sha256/dd/" + "d" * 64,
                           "Ngày 10/03/2026, diện tích 12.5 m2, theo hồ sơ "
                           "000.21.11.H40-231115-0007"))
        assert codes(index, "10/03/2026") == ["000.21.11.H40-260310-0003"]
        assert codes(index, "12.5 m2") == ["000.21.11.H40-260310-0003"]
        assert codes(index, "000.21.11.H40-231115-0007") == ["000.21.11.H40-260310-0003"]

    def test_the_office_narrows_the_search(self, indexed: SearchIndex) -> None:
        assert codes(indexed, "nguyen", office=COMMUNE) == [DEED.code]
        assert codes(indexed, "nguyen", office=DISTRICT) == [PERMIT.code]
        assert codes(indexed, "nguyen", office="000.99.99.H40") == []

    def test_a_hit_names_its_office_and_marks_the_words_in_the_original(
            self, indexed: SearchIndex) -> None:
        hit, = search(indexed, "tran thi binh")
        assert (hit.code, hit.office) == (MORTGAGE.code, COMMUNE)
        assert "«Trần» «Thị» «Bình»" in hit.snippet

    def test_adding_a_scan_again_replaces_its_row(self, indexed: SearchIndex) -> None:
        indexed.add(ScanText(DEED.code, DEED.office, DEED.scan, "Tờ khai lệ phí trước bạ"))
        assert codes(indexed, "nguyen van an") == []
        assert codes(indexed, "le phi truoc ba") == [DEED.code]
        assert len(indexed.matching(["truoc"], None, 10)) == 1

    def test_each_scan_of_a_dossier_is_a_row_and_the_dossier_one_hit(
            self, indexed: SearchIndex) -> None:
        indexed.add(ScanText(DEED.code, DEED.office, "sha256/ee/" + "e" * 64,
                             "Bổ sung: Nguyễn Văn An nộp bản vẽ thửa đất"))
        assert len(indexed.matching(["nguyen", "an"], None, 10)) == 2
        assert codes(indexed, "nguyen van an") == [DEED.code]
        assert codes(indexed, "ban ve") == [DEED.code]

    def test_the_scan_with_more_of_the_words_ranks_first(self, index: SearchIndex) -> None:
        index.add(ScanText("000.21.11.H40-260310-0004", COMMUNE, "sha256/f1/" + "f1" * 32,
                           "thửa đất số 12, tờ bản đồ số 3, xã Long Sơn"))
        index.add(ScanText("000.21.11.H40-260310-0005", COMMUNE, "sha256/f2/" + "f2" * 32,
                           "thửa đất, thửa đất, thửa đất liền kề, xã Long Sơn"))
        assert codes(index, "thua dat") == ["000.21.11.H40-260310-0005",
                                            "000.21.11.H40-260310-0004"]

    def test_the_limit_counts_dossiers(self, index: SearchIndex) -> None:
        for n in range(1, 8):
            index.add(ScanText(f"000.21.11.H40-260311-{n:04d}", COMMUNE,
                               f"sha256/{n:02x}/" + f"{n:02x}" * 32, f"Biên nhận số {n}"))
        assert len(codes(index, "bien nhan", limit=5)) == 5
        assert len(codes(index, "bien nhan")) == 7

    def test_query_syntax_is_only_ever_words(self, indexed: SearchIndex) -> None:
        assert codes(indexed, '" OR * NEAR( & | ! :*') == []
        assert codes(indexed, "an OR binh") == []
        assert codes(indexed, "") == []

    def test_clear_removes_every_row(self, indexed: SearchIndex) -> None:
        indexed.clear()
        assert codes(indexed, "nguyen") == []
        indexed.add(PERMIT)
        assert codes(indexed, "nguyen") == [PERMIT.code]

    def test_rows_are_listed_as_stored_by_code_and_scan(self, indexed: SearchIndex) -> None:
        listed = indexed.rows()
        assert [(r.code, r.scan) for r in listed] == sorted(
            (row.code, row.scan) for row in (DEED, MORTGAGE, PERMIT))
        deed = next(r for r in listed if r.code == DEED.code)
        assert (deed.office, deed.text, deed.words) == (DEED.office, DEED.text, DEED.words)
        assert [r.code for r in indexed.rows([MORTGAGE.code, "no-such-code"])] == [
            MORTGAGE.code]
        assert indexed.rows([]) == []

    def test_creating_the_tables_again_keeps_the_rows(self, indexed: SearchIndex) -> None:
        indexed.create_tables()
        assert codes(indexed, "nguyen van an") == [DEED.code]


class TestSQLiteSearchIndex(SearchIndexContract):
    @pytest.fixture
    def index(self, sqlite_datastore: SQLiteDatastore) -> SearchIndex:
        index = SQLiteSearchIndex(sqlite_datastore)
        index.create_tables()
        return index


class TestPostgresSearchIndex(SearchIndexContract):
    @pytest.fixture
    def index(self, postgres_datastore: PostgresDatastore) -> SearchIndex:
        index = PostgresSearchIndex(postgres_datastore)
        index.create_tables()
        return index


del SearchIndexContract

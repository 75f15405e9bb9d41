"""The ViewStore contract, run on every adapter: the view tables on SQLite and on PostgreSQL.

One abstract case states what the projector may rely on; each adapter subclasses it with a
``store`` fixture. The base is deleted at the end so pytest does not collect it.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from tracker.projections.fold import DOSSIER_COLUMNS, Figure, Row
from tracker.projections.postgres import PostgresViewStore
from tracker.projections.sqlite import SQLiteViewStore
from tracker.projections.store import VIEWS, ViewStore

COMMUNE, AGENCY = "000.21.11.H40", "000.21.01.H40"


def dossier_row(number: int, version: int = 1, **values: Any) -> Row:
    """A whole view row: every column, the required ones filled, ``values`` over them."""
    row: Row = dict.fromkeys(DOSSIER_COLUMNS)
    row.update(dossier_id=str(uuid.UUID(int=number)), code=f"{COMMUNE}-260310-{number:04d}",
               version=version, procedure="1.004227", receiving_office=COMMUNE,
               resolving_office=AGENCY, applicant_name="Nguyễn Văn Đức", stage="received",
               custodian="pl-rcv-003", office=COMMUNE, due="2026-03-24", fee_paid=0, pages=0,
               supplements_requested=0, received_at="2026-03-10T02:00:00+00:00",
               updated_at="2026-03-10T02:00:00+00:00")
    row.update(values)
    return row


def figure(number: int, version: int, name: str = "received", amount: int = 1) -> Figure:
    return Figure(str(uuid.UUID(int=number)), version, "2026-03-10", COMMUNE, "1.004227", name,
                  None, amount)


class ViewStoreContract:
    @pytest.fixture
    def store(self) -> ViewStore:
        raise NotImplementedError

    def test_nothing_is_tracked_before_the_first_batch(self, store: ViewStore) -> None:
        assert store.max_tracking_id(VIEWS) is None
        assert list(store.dossier_rows()) == []
        assert list(store.figure_rows()) == []

    def test_a_batch_commits_rows_figures_and_position_together(self, store: ViewStore
                                                                ) -> None:
        with store.batch() as batch:
            batch.claim()
            assert batch.rows([dossier_row(1)["dossier_id"]]) == {}
            batch.write([dossier_row(1), dossier_row(2)], [figure(1, 1), figure(2, 1)])
            batch.track(Tracking(VIEWS, 2))
        assert list(store.dossier_rows()) == [dossier_row(1), dossier_row(2)]
        assert [(f["dossier_id"], f["version"]) for f in store.figure_rows()] == [
            (figure(1, 1).dossier_id, 1), (figure(2, 1).dossier_id, 1)]
        assert store.max_tracking_id(VIEWS) == 2
        assert store.max_tracking_id("another-follower") is None

    def test_a_failed_batch_leaves_nothing(self, store: ViewStore) -> None:
        def failing() -> None:
            with store.batch() as batch:
                batch.write([dossier_row(1)], [figure(1, 1)])
                batch.track(Tracking(VIEWS, 1))
                raise RuntimeError("the projector failed mid-batch")

        with pytest.raises(RuntimeError, match="mid-batch"):
            failing()
        assert list(store.dossier_rows()) == []
        assert list(store.figure_rows()) == []
        assert store.max_tracking_id(VIEWS) is None

    @pytest.mark.parametrize("position", [3, 5])
    def test_the_position_only_moves_forward_and_a_refused_batch_writes_nothing(
            self, store: ViewStore, position: int) -> None:
        with store.batch() as batch:
            batch.write([dossier_row(1)], [])
            batch.track(Tracking(VIEWS, 5))
        def behind() -> None:
            with store.batch() as batch:
                batch.write([dossier_row(1, version=2, stage="in_transit")], [figure(1, 2)])
                batch.track(Tracking(VIEWS, position))

        with pytest.raises(IntegrityError):
            behind()
        assert list(store.dossier_rows()) == [dossier_row(1)]
        assert list(store.figure_rows()) == []
        assert store.max_tracking_id(VIEWS) == 5

    def test_a_row_is_replaced_only_by_a_higher_version(self, store: ViewStore) -> None:
        with store.batch() as batch:
            batch.write([dossier_row(1, version=3, stage="at_office")], [])
        with store.batch() as batch:
            batch.write([dossier_row(1, version=2, stage="in_transit")], [])
            batch.write([dossier_row(1, version=3, stage="resolved")], [])
        assert list(store.dossier_rows()) == [dossier_row(1, version=3, stage="at_office")]
        with store.batch() as batch:
            batch.write([dossier_row(1, version=4, stage="resolved")], [])
            assert batch.rows([dossier_row(1)["dossier_id"]])[dossier_row(1)["dossier_id"]] == (
                dossier_row(1, version=4, stage="resolved"))
        assert list(store.dossier_rows()) == [dossier_row(1, version=4, stage="resolved")]

    def test_a_figure_is_written_at_most_once(self, store: ViewStore) -> None:
        with store.batch() as batch:
            batch.write([], [figure(1, 2, "fee", 50000)])
        with store.batch() as batch:
            batch.write([], [figure(1, 2, "fee", 70000), figure(1, 3, "fee", 20000)])
        assert [(f["version"], f["amount"]) for f in store.figure_rows()] == [(2, 50000),
                                                                            (3, 20000)]

    def test_rows_reads_back_any_number_of_dossiers(self, store: ViewStore) -> None:
        stored = [dossier_row(n) for n in range(1, 1201)]
        with store.batch() as batch:
            batch.write(stored, [])
        wanted = [row["dossier_id"] for row in stored[::2]] + [str(uuid.UUID(int=99999))]
        with store.batch() as batch:
            found = batch.rows(wanted)
        assert found == {row["dossier_id"]: row for row in stored[::2]}
        assert [row["dossier_id"] for row in store.dossier_rows()] == sorted(
            row["dossier_id"] for row in stored)

    def test_values_keep_their_types(self, store: ViewStore) -> None:
        row = dossier_row(7, version=12, fee_paid=100000, pages=23, supplements_requested=2,
                          missing_components='["gcn", "to-khai-tncn"]', clock_stopped="paused",
                          applicant_name="Đặng Thị Ánh Tuyết", transit_carrier=None)
        with store.batch() as batch:
            batch.write([row], [])
        stored, = store.dossier_rows()
        assert stored == row
        assert [type(stored[c]) for c in ("version", "fee_paid", "pages")] == [int] * 3

    def test_clear_empties_what_the_named_views_hold_and_keeps_the_position(
            self, store: ViewStore) -> None:
        with store.batch() as batch:
            batch.write([dossier_row(1)], [figure(1, 1)])
            batch.track(Tracking(VIEWS, 1))
        store.clear(["report"])
        assert (len(list(store.dossier_rows())), list(store.figure_rows())) == (1, [])
        store.clear(["queues"])
        assert list(store.dossier_rows()) == []
        assert store.max_tracking_id(VIEWS) == 1

    def test_query_names_the_tables_and_takes_question_marks(self, store: ViewStore) -> None:
        with store.batch() as batch:
            batch.write([dossier_row(1), dossier_row(2, office=AGENCY, stage="at_office")],
                        [figure(1, 1), figure(2, 1), figure(2, 2, "fee", 100000)])
        assert store.query("SELECT code, stage FROM {dossiers} WHERE office = ?", [AGENCY]) == [
            {"code": dossier_row(2)["code"], "stage": "at_office"}]
        totals = store.query("SELECT figure, SUM(amount) AS total FROM {figures} WHERE day "
                             "BETWEEN ? AND ? GROUP BY figure ORDER BY figure",
                             ["2026-03-01", "2026-03-31"])
        assert [(t["figure"], int(t["total"])) for t in totals] == [("fee", 100000),
                                                                    ("received", 2)]

    def test_creating_the_tables_again_keeps_the_views(self, store: ViewStore) -> None:
        with store.batch() as batch:
            batch.write([dossier_row(1)], [figure(1, 1)])
            batch.track(Tracking(VIEWS, 1))
        store.create_table()
        assert (len(list(store.dossier_rows())), len(list(store.figure_rows()))) == (1, 1)
        assert store.max_tracking_id(VIEWS) == 1

    def test_writers_racing_over_one_dossier_end_at_its_latest_version(self, store: ViewStore
                                                                        ) -> None:
        """GIVEN two writers replaying one dossier's versions, one forwards, one backwards
        WHEN they write at the same time, a batch per version
        THEN the row holds the highest version, whichever order the batches committed in."""
        failures: list[BaseException] = []

        def replay(versions: range) -> None:
            try:
                for version in versions:
                    with store.batch() as batch:
                        batch.claim()
                        batch.write([dossier_row(1, version=version, pages=version)], [])
            except BaseException as error:  # reported by the test thread below
                failures.append(error)

        writers = [threading.Thread(target=replay, args=(versions,))
                   for versions in (range(1, 41), range(40, 0, -1))]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        assert failures == []
        assert list(store.dossier_rows()) == [dossier_row(1, version=40, pages=40)]


class TestSQLiteViewStore(ViewStoreContract):
    @pytest.fixture
    def store(self, sqlite_datastore: SQLiteDatastore) -> ViewStore:
        store = SQLiteViewStore(sqlite_datastore)
        store.create_table()
        return store


class TestPostgresViewStore(ViewStoreContract):
    @pytest.fixture
    def store(self, postgres_datastore: PostgresDatastore) -> ViewStore:
        store = PostgresViewStore(postgres_datastore)
        store.create_table()
        return store


del ViewStoreContract

"""The RelayPositions contract, run on every adapter: the position table on SQLite and PostgreSQL.

One abstract case states what the relay relies on (a durable position per relay that only moves
forward); each adapter subclasses it naming its ``backend``, whose factory makes the positions
from a recorder of that backend as the composition root does. The base is deleted at the end.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator

import pytest
from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

from events.relay.position import PositionWriter, RelayPositions, SQLiteRelayPositions
from events.relay.position_postgres import PostgresRelayPositions
from tests.contracts.conftest import open_postgres
from tracker.bootstrap import POSTGRES, SQLITE, Backend

RELAY = "hoso.dossier-events"


class RelayPositionsContract:
    backend: Backend

    @pytest.fixture
    def recorder(self) -> ApplicationRecorder:
        raise NotImplementedError

    @pytest.fixture
    def positions(self, recorder: ApplicationRecorder) -> RelayPositions:
        positions = self.backend.relay_positions(recorder)
        positions.create_table()
        return positions

    @pytest.fixture
    def reopen(self) -> Callable[[], RelayPositions]:
        """The same table through a fresh connection, as a restarted relay reads it."""
        raise NotImplementedError

    def test_a_relay_that_never_published_is_at_zero(self, positions: RelayPositions) -> None:
        assert positions.get(RELAY) == 0

    def test_an_advanced_position_is_committed(
            self, positions: RelayPositions, reopen: Callable[[], RelayPositions]) -> None:
        positions.advance(RELAY, 17)
        assert positions.get(RELAY) == 17
        assert reopen().get(RELAY) == 17

    def test_the_position_never_moves_back(self, positions: RelayPositions) -> None:
        positions.advance(RELAY, 40)
        positions.advance(RELAY, 12)
        positions.advance(RELAY, 40)
        assert positions.get(RELAY) == 40
        positions.advance(RELAY, 41)
        assert positions.get(RELAY) == 41

    def test_each_relay_has_its_own_position(self, positions: RelayPositions) -> None:
        positions.advance(RELAY, 9)
        positions.advance("hoso.audit", 3)
        assert (positions.get(RELAY), positions.get("hoso.audit"), positions.get("other")) == (
            9, 3, 0)

    def test_positions_beyond_32_bits_are_kept(self, positions: RelayPositions) -> None:
        positions.advance(RELAY, 2**40 + 7)
        assert positions.get(RELAY) == 2**40 + 7

    def test_creating_the_table_again_keeps_the_positions(
            self, positions: RelayPositions, reopen: Callable[[], RelayPositions]) -> None:
        positions.advance(RELAY, 5)
        again = reopen()
        again.create_table()
        assert again.get(RELAY) == 5

    def test_two_relays_by_mistake_cannot_move_it_back(
            self, positions: RelayPositions, reopen: Callable[[], RelayPositions]) -> None:
        """GIVEN two relays publishing the same log by mistake, each on its own connection
        WHEN they record acknowledged positions at the same time, in no particular order
        THEN the recorded position is the highest either acknowledged."""
        second = reopen()
        failures: list[BaseException] = []

        def publish(store: RelayPositions, seed: int) -> None:
            order = list(range(1, 201))
            random.Random(seed).shuffle(order)
            try:
                for position in order:
                    store.advance(RELAY, position)
            except BaseException as error:  # reported by the test thread below
                failures.append(error)

        relays = [threading.Thread(target=publish, args=(store, seed))
                  for seed, store in enumerate((positions, second))]
        for relay in relays:
            relay.start()
        for relay in relays:
            relay.join()
        assert failures == []
        assert positions.get(RELAY) == 200

    def test_the_writer_records_the_last_noted_position_on_close(
            self, positions: RelayPositions) -> None:
        """GIVEN a relay's position writer started from the stored position
        WHEN positions are noted, one of them late and lower, and the writer is closed
        THEN the highest noted position is recorded before close returns."""
        positions.advance(RELAY, 10)
        writer = PositionWriter(positions, RELAY, positions.get(RELAY))
        for position in (11, 15, 13, 30):
            writer.note(position)
        writer.close()
        assert positions.get(RELAY) == 30


class TestSQLiteRelayPositions(RelayPositionsContract):
    backend = SQLITE

    @pytest.fixture
    def recorder(self, sqlite_datastore: SQLiteDatastore) -> ApplicationRecorder:
        recorder = SQLiteApplicationRecorder(sqlite_datastore)
        recorder.create_table()
        return recorder

    @pytest.fixture
    def reopen(self, sqlite_path: str) -> Iterator[Callable[[], RelayPositions]]:
        opened: list[SQLiteDatastore] = []

        def fresh() -> RelayPositions:
            opened.append(SQLiteDatastore(sqlite_path, lock_timeout=10))
            positions = self.backend.relay_positions(SQLiteApplicationRecorder(opened[-1]))
            assert isinstance(positions, SQLiteRelayPositions)
            return positions

        yield fresh
        for datastore in opened:
            datastore.close()


class TestPostgresRelayPositions(RelayPositionsContract):
    backend = POSTGRES

    @pytest.fixture
    def recorder(self, postgres_datastore: PostgresDatastore) -> ApplicationRecorder:
        recorder = PostgresApplicationRecorder(postgres_datastore)
        recorder.create_table()
        return recorder

    @pytest.fixture
    def reopen(self, postgres_datastore: PostgresDatastore
               ) -> Iterator[Callable[[], RelayPositions]]:
        opened: list[PostgresDatastore] = []

        def fresh() -> RelayPositions:
            opened.append(open_postgres(postgres_datastore.schema))
            positions = self.backend.relay_positions(PostgresApplicationRecorder(opened[-1]))
            assert isinstance(positions, PostgresRelayPositions)
            return positions

        yield fresh
        for datastore in opened:
            datastore.close()


del RelayPositionsContract

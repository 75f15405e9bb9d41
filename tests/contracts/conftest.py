"""Datastores the contract cases run adapters on: a fresh SQLite file, a fresh PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from tests.conftest import postgres_schema, postgres_test_url


def open_postgres(schema: str) -> PostgresDatastore:
    """A datastore (its own pool) on ``schema`` of the test server."""
    parts = urlparse(postgres_test_url())
    return PostgresDatastore(
        dbname=parts.path.strip("/"), host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432, user=parts.username or "", password=parts.password or "",
        schema=schema, pool_size=4, max_overflow=4)


@pytest.fixture
def sqlite_path(tmp_path: Path) -> str:
    """A file, not ``:memory:``: adapters are used from several threads and connections."""
    return str(tmp_path / "events.sqlite")


@pytest.fixture
def sqlite_datastore(sqlite_path: str) -> Iterator[SQLiteDatastore]:
    datastore = SQLiteDatastore(sqlite_path, lock_timeout=10)
    yield datastore
    datastore.close()


@pytest.fixture
def postgres_datastore() -> Iterator[PostgresDatastore]:
    """A schema of its own on the test server, dropped afterwards."""
    with postgres_schema("c") as schema:
        datastore = open_postgres(schema)
        try:
            yield datastore
        finally:
            datastore.close()

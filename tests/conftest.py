"""Shared fixtures: every store-touching test runs on SQLite and on PostgreSQL.

PostgreSQL is the real server scripts/test.sh starts; its URL comes from HOSO_TEST_DATABASE_URL.
Each test gets a schema of its own, dropped afterwards. A missing server fails the test set-up
with a message saying how to start it: integration tests never skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tests.cast import Cast, cast_from
from tests.servers.seaweedfs import seaweedfs_server  # noqa: F401 - shared session fixture
from tests.servers.tansu import durable_tansu, tansu  # noqa: F401 - broker fixtures
from tracker.application import CustodyApplication
from tracker.bootstrap import Services, compose
from tracker.province_file import demo_province_path, load_province_file
from tracker.settings import Settings

DEFAULT_TEST_DATABASE_URL = "postgresql://hoso_test:hoso_test@127.0.0.1:5432/hoso_test"
BACKENDS = ["sqlite", "postgres"]


class ManualClock:
    """The time the application sees: set by the test, moved forward explicitly."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def postgres_test_url() -> str:
    return os.environ.get("HOSO_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)


@pytest.fixture(scope="session")
def demo_document() -> dict:
    return load_province_file(demo_province_path())


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_env(backend: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """HOSO_* variables naming a fresh, empty store on ``backend``."""
    env = {"HOSO_DATA_DIR": str(tmp_path / "var")}
    if backend == "sqlite":
        yield env
        return
    with postgres_schema("t") as schema:
        yield {**env, "HOSO_DATABASE_URL": f"{postgres_test_url()}?schema={schema}"}


@contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    """A fresh schema on the test server, dropped afterwards; a missing server fails the test
    set-up saying how to start it."""
    url = postgres_test_url()
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(url, autocommit=True)
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL at {url} is not reachable ({error}); run scripts/test.sh")
    with admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield schema
        finally:
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
def clock() -> ManualClock:
    # Tuesday 10 March 2026, 09:00 in Vietnam: an ordinary working morning.
    return ManualClock(datetime.fromisoformat("2026-03-10T09:00:00+07:00"))


@pytest.fixture
def services(store_env: dict[str, str], clock: ManualClock, demo_document: dict
             ) -> Iterator[Services]:
    """What the composition root builds over a fresh store with the demo province loaded."""
    composed = compose(Settings.from_environ(store_env), clock=clock)
    composed.application().load_province(demo_document)
    yield composed
    composed.close()


@pytest.fixture
def custody(services: Services) -> CustodyApplication:
    """The application on a fresh store with the demo province loaded."""
    return services.application()


@pytest.fixture
def cast(custody: CustodyApplication) -> Cast:
    """Who is who in the province ``custody`` holds: its receiver, courier, offices…"""
    return cast_from(custody.province())

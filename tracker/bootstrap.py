"""Composition root: builds the custody application on the store the settings choose."""

from __future__ import annotations

from tracker.application import Clock, CustodyApplication, utc_now
from tracker.settings import Settings


def bootstrap(settings: Settings | None = None, clock: Clock = utc_now,
              create_tables: bool = True) -> CustodyApplication:
    """The application on SQLite under HOSO_DATA_DIR, or on PostgreSQL when a URL is set.

    ``create_tables`` runs the store's DDL. The CLI asks for it only in ``hoso init``: the
    library's PostgreSQL DDL (CREATE OR REPLACE FUNCTION …) fails with "tuple concurrently
    updated" when many processes start at once, so schema set-up is one deliberate step.
    """
    settings = settings or Settings.from_environ()
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    env = {**settings.event_store_env(), "CREATE_TABLE": "true" if create_tables else "false"}
    return CustodyApplication(env=env, clock=clock)

"""Composition root: builds the custody application on the store the settings choose."""

from __future__ import annotations

from tracker.application import Clock, CustodyApplication, utc_now
from tracker.settings import Settings


def bootstrap(settings: Settings | None = None, clock: Clock = utc_now) -> CustodyApplication:
    """The application on SQLite under HOSO_DATA_DIR, or on PostgreSQL when a URL is set."""
    settings = settings or Settings.from_environ()
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return CustodyApplication(env=settings.event_store_env(), clock=clock)

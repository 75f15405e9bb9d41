"""Composition root: builds the custody application and the object stores the settings choose."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from eventsourcing.utils import get_topic

from events.checkpoints import CheckpointDirectory
from events.log import HashingRecorder, TamperEvidentLog
from storage.filesystem import FilesystemObjectStore
from storage.objects import ObjectStore
from storage.spool import SpoolingObjectStore
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
    env = {
        **settings.event_store_env(),
        "CREATE_TABLE": "true" if create_tables else "false",
        # every stored event gets its leaf hash in the same transaction (tamper evidence)
        "APPLICATION_RECORDER_TOPIC": recorder_topic(settings),
    }
    custody = CustodyApplication(env=env, objects=object_store(settings), clock=clock)
    if create_tables:
        custody.search_index().create_tables()  # OCR text search beside the events (issue 7)
        from tracker.projections.views import view_store

        view_store(custody).create_table()  # projected views and their tracking (issue 5)
        from events.relay_position import relay_positions

        relay_positions(custody.recorder).create_table()  # the Kafka relay's position (issue 5)
    return custody


def recorder_topic(settings: Settings) -> str:
    """The hashing recorder for the configured backend (imported only for that backend)."""
    if settings.database_url is None:
        from events.sqlite_store import HashingSQLiteApplicationRecorder

        return get_topic(HashingSQLiteApplicationRecorder)
    from events.postgres_store import HashingPostgresApplicationRecorder

    return get_topic(HashingPostgresApplicationRecorder)


def object_store(settings: Settings) -> ObjectStore:
    """MinIO/S3 when HOSO_S3_ENDPOINT is set, else files under HOSO_DATA_DIR/objects."""
    if settings.s3 is None:
        return FilesystemObjectStore(settings.objects_dir)
    from storage.s3 import S3ObjectStore

    s3 = settings.s3
    return S3ObjectStore(endpoint=s3.endpoint, bucket=s3.bucket, access_key=s3.access_key,
                         secret_key=s3.secret_key, secure=s3.secure)


def station_store(settings: Settings) -> SpoolingObjectStore:
    """The object store as a scanning station uses it: spooled locally through outages."""
    return SpoolingObjectStore(object_store(settings), Path(settings.spool_dir))


def tamper_evident_log(custody: CustodyApplication, settings: Settings) -> TamperEvidentLog:
    """The log over the application's own recorder, copying checkpoints to their directory."""
    recorder = cast(HashingRecorder, custody.recorder)
    return TamperEvidentLog(recorder, settings.log_origin,
                            [CheckpointDirectory(settings.checkpoint_dir)])

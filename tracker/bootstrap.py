"""Composition root: the one place settings are read and adapters are chosen and built.

``backend_for`` picks the event store's backend once, from the settings: that ``Backend`` gives
the hashing recorder, the view store, the search index and the relay positions, all in the
event store's own database (the range scanner comes with the recorder). ``compose`` makes the
``Services`` of one process from the settings; the CLI (``tracker.cli.context``) and the web app
(``tracker.web.create_app``) take everything they use from it and build no adapter themselves.
Nothing is built until it is asked for, so a command that never opens the store never connects.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.utils import get_topic

from events.evidence.checkpoints import CheckpointDirectory
from events.evidence.log import HashingRecorder, TamperEvidentLog
from events.relay.position import RelayPositions
from storage.filesystem import FilesystemObjectStore
from storage.objects import ObjectStore
from storage.private import private_file, private_folder, tighten
from storage.spool import SpoolingObjectStore
from tracker.application import Clock, CustodyApplication, utc_now
from tracker.domain.errors import N_, BadInput
from tracker.event_metadata import MetadataMapper
from tracker.projections.store import Scratch, ViewStore
from tracker.projections.views import Views, open_views
from tracker.search.index import SearchIndex
from tracker.settings import Settings

if TYPE_CHECKING:  # the adapters below load heavy libraries: imported when first built
    from eventsourcing.postgres import PostgresApplicationRecorder
    from eventsourcing.sqlite import SQLiteApplicationRecorder

    from events.evidence.checkpointer import Checkpointer
    from events.evidence.inclusion import InclusionProver
    from events.evidence.notes import Signer
    from events.evidence.witness.client import WitnessEndpoint
    from events.evidence.witness.cosigning import Cosigning
    from events.evidence.witness.store import CosignatureDirectory, CosignatureStore
    from events.relay.publisher import Relay
    from scanning.ocr import OcrSettings
    from scanning.staging import StagingStore
    from scanning.station import PagePreparer, Station, TrackerPort
    from tracker.identity.accounts import Accounts
    from tracker.projections.kafka_consumer import KafkaProjection
    from tracker.projections.verify import ViewVerifier
    from tracker.station_link import Executor


@dataclass(frozen=True)
class Backend:
    """What differs between the event stores. Each factory takes the application's recorder
    and builds its part in the same database, sharing the recorder's datastore."""

    name: str
    recorder_topic: Callable[[], str]
    view_store: Callable[[ApplicationRecorder], ViewStore]
    search_index: Callable[[ApplicationRecorder], SearchIndex]
    relay_positions: Callable[[ApplicationRecorder], RelayPositions]
    prepare: Callable[[Settings], None]  # readies the store's place before it is first opened
    scratch: Callable[[Settings], AbstractContextManager[Scratch]]  # views rebuilt to compare


def _sqlite_recorder_topic() -> str:
    from events.store.sqlite import HashingSQLiteApplicationRecorder

    return get_topic(HashingSQLiteApplicationRecorder)


def _sqlite_view_store(recorder: ApplicationRecorder) -> ViewStore:
    from tracker.projections.sqlite import SQLiteViewStore

    return cast(ViewStore, SQLiteViewStore(_sqlite(recorder).datastore))


def _sqlite_search_index(recorder: ApplicationRecorder) -> SearchIndex:
    from tracker.search.sqlite import SQLiteSearchIndex

    return SQLiteSearchIndex(_sqlite(recorder).datastore)


def _sqlite_relay_positions(recorder: ApplicationRecorder) -> RelayPositions:
    from events.relay.position import SQLiteRelayPositions

    return SQLiteRelayPositions(_sqlite(recorder))


def _sqlite_prepare(settings: Settings) -> None:
    """The data folder 0700 and the database file 0600 before SQLite opens it: SQLite gives
    the -wal and -shm files it creates the database file's mode. Existing ones are tightened."""
    private_folder(settings.data_dir)
    private_file(settings.sqlite_file)
    for suffix in ("-wal", "-shm"):
        tighten(settings.sqlite_file.with_name(settings.sqlite_file.name + suffix))


def _sqlite_scratch(settings: Settings) -> AbstractContextManager[Scratch]:
    """A temporary database file in the data folder, beside the store."""
    from tracker.projections.sqlite import scratch_file

    return scratch_file(settings.data_dir)


def _sqlite(recorder: ApplicationRecorder) -> SQLiteApplicationRecorder:
    return cast("SQLiteApplicationRecorder", recorder)  # the backend's own recorder


def _postgres_recorder_topic() -> str:
    from events.store.postgres import HashingPostgresApplicationRecorder

    return get_topic(HashingPostgresApplicationRecorder)


def _postgres_view_store(recorder: ApplicationRecorder) -> ViewStore:
    from tracker.projections.postgres import PostgresViewStore

    return cast(ViewStore, PostgresViewStore(_postgres(recorder).datastore))


def _postgres_search_index(recorder: ApplicationRecorder) -> SearchIndex:
    from tracker.search.postgres import PostgresSearchIndex

    return PostgresSearchIndex(_postgres(recorder).datastore)


def _postgres_relay_positions(recorder: ApplicationRecorder) -> RelayPositions:
    from events.relay.position_postgres import PostgresRelayPositions

    return PostgresRelayPositions(_postgres(recorder))


def _postgres_prepare(settings: Settings) -> None:
    """Nothing: the server keeps its own files."""


def _postgres_scratch(settings: Settings) -> AbstractContextManager[Scratch]:
    """A temporary schema in the store's database."""
    from tracker.projections.postgres import scratch_schema

    env = settings.event_store_env()
    return scratch_schema(env["POSTGRES_DBNAME"], env["POSTGRES_HOST"], env["POSTGRES_PORT"],
                          env["POSTGRES_USER"], env["POSTGRES_PASSWORD"])


def _postgres(recorder: ApplicationRecorder) -> PostgresApplicationRecorder:
    return cast("PostgresApplicationRecorder", recorder)  # the backend's own recorder


SQLITE = Backend("sqlite", _sqlite_recorder_topic, _sqlite_view_store, _sqlite_search_index,
                 _sqlite_relay_positions, _sqlite_prepare, _sqlite_scratch)
POSTGRES = Backend("postgres", _postgres_recorder_topic, _postgres_view_store,
                   _postgres_search_index, _postgres_relay_positions, _postgres_prepare,
                   _postgres_scratch)


def backend_for(settings: Settings) -> Backend:
    """PostgreSQL when HOSO_DATABASE_URL is set, else SQLite under HOSO_DATA_DIR."""
    return SQLITE if settings.database_url is None else POSTGRES


def compose(settings: Settings | None = None, clock: Clock = utc_now,
            create_tables: bool = True) -> Services:
    """The services of one process, over ``settings`` (by default the environment's)."""
    return Services(settings or Settings.from_environ(), clock, create_tables)


def bootstrap(settings: Settings | None = None, clock: Clock = utc_now,
              create_tables: bool = True) -> CustodyApplication:
    """The application on SQLite under HOSO_DATA_DIR, or on PostgreSQL when a URL is set."""
    return compose(settings, clock, create_tables).application()


def custody_application(settings: Settings, backend: Backend, clock: Clock = utc_now,
                        create_tables: bool = True) -> CustodyApplication:
    """The application on ``backend``; ``create_tables`` runs the DDL of its store.

    The CLI asks for the DDL only in ``hoso init``: the library's PostgreSQL DDL (CREATE OR
    REPLACE FUNCTION …) fails with "tuple concurrently updated" when many processes start at
    once, so schema set-up is one deliberate step.
    """
    backend.prepare(settings)
    env = {
        **settings.event_store_env(),
        "CREATE_TABLE": "true" if create_tables else "false",
        # every stored event gets its leaf hash in the same transaction (tamper evidence)
        "APPLICATION_RECORDER_TOPIC": backend.recorder_topic(),
        # each event saved while serving a request carries that request's id
        "MAPPER_TOPIC": get_topic(MetadataMapper),
    }
    custody = CustodyApplication(env=env, objects=object_store(settings), clock=clock,
                                 search_index_for=backend.search_index)
    if create_tables:
        custody.search_index().create_tables()  # OCR text search beside the events
        backend.view_store(custody.recorder).create_table()  # the projected views
        backend.relay_positions(custody.recorder).create_table()  # the Kafka relay's position
        cosignature_store(backend, custody.recorder).create_table()  # witnesses' cosignatures
    return custody


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


def cosignature_store(backend: Backend, recorder: ApplicationRecorder) -> CosignatureStore:
    """The witnesses' cosignatures, in a table of the event store's own database."""
    if backend is POSTGRES:
        from events.evidence.witness.store_postgres import PostgresCosignatures

        return PostgresCosignatures(_postgres(recorder))
    from events.evidence.witness.store import SQLiteCosignatures

    return SQLiteCosignatures(_sqlite(recorder))


def session_key(path: Path) -> bytes:
    """The key in ``path``; 32 random bytes made when absent. The key is written whole to a
    temporary file and linked into place, so of processes starting together one makes it and
    every other reads that same, complete key."""
    private_folder(path.parent)
    if not path.exists():
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".session-key-")
        with os.fdopen(fd, "wb") as out:  # mkstemp makes the file 0600
            out.write(secrets.token_bytes(32))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            os.unlink(temporary)
    key = path.read_bytes()
    if len(key) < 32:
        raise BadInput(N_("{path} must hold at least 32 bytes: delete it to make a new key "
                          "(everyone signed in then signs in again)"),
                       path=path)
    return key


class Services:
    """Everything one process uses, built from one ``Settings`` when first asked for.

    ``settings`` holds the values the entry points need as they are (listening address, station
    tokens, trusted hosts, key paths, the Kafka group); every adapter comes from a method. The
    application and the views are built once and kept; the rest is built afresh on each call.
    """

    def __init__(self, settings: Settings, clock: Clock = utc_now,
                 create_tables: bool = True) -> None:
        self.settings = settings
        self.backend = backend_for(settings)
        self.clock = clock
        self.create_tables = create_tables
        self._cosigning: Cosigning | None = None
        self._lock = threading.Lock()
        self._custody: CustodyApplication | None = None
        self._views: Views | None = None
        self._verifier: ViewVerifier | None = None
        self._prover: InclusionProver | None = None

    # -- the store ---------------------------------------------------------------------------

    def application(self) -> CustodyApplication:
        with self._lock:
            if self._custody is None:
                self._custody = custody_application(self.settings, self.backend, self.clock,
                                                    self.create_tables)
            return self._custody

    def follows_in_process(self) -> bool:
        """True when the views catch up in this process: no Kafka consumer group feeds them."""
        return self.settings.kafka_bootstrap is None

    def views(self) -> Views:
        """This process's views, kept: followed in-process unless Kafka feeds them."""
        if self._views is None:
            made = self.open_views(follow=self.follows_in_process())
            with self._lock:
                if self._views is None:
                    self._views = made
        return self._views

    def open_views(self, follow: bool = True) -> Views:
        """New views over the application's store (a projector and follower of their own)."""
        custody = self.application()
        return open_views(custody, self.backend.view_store(custody.recorder), follow=follow)

    def view_verifier(self) -> ViewVerifier:
        """Compares this process's views with a rebuild from the log in a scratch store; kept,
        so /readyz reports the last run of the schedule (HOSO_VIEW_VERIFY_SECONDS)."""
        from tracker.projections.verify import ViewVerifier

        views = self.views()
        with self._lock:
            if self._verifier is None:
                self._verifier = ViewVerifier(
                    views, lambda: self.backend.scratch(self.settings),
                    self.settings.view_verify_seconds)
            return self._verifier

    def relay_positions(self) -> RelayPositions:
        return self.backend.relay_positions(self.application().recorder)

    def session_key(self) -> bytes:
        """The key that signs page sessions, made (random, 0600) when it does not exist yet."""
        return session_key(self.settings.session_key)

    def accounts(self) -> Accounts:
        """Accounts and tokens, kept in the application's store."""
        from tracker.identity.accounts import Accounts

        return Accounts(self.application())

    def close(self) -> None:
        if self._custody is not None:
            self._custody.close()

    # -- objects and scanning ----------------------------------------------------------------

    def object_store(self) -> ObjectStore:
        return object_store(self.settings)

    def station_store(self) -> SpoolingObjectStore:
        return station_store(self.settings)

    def tracker_link(self) -> TrackerPort:
        """The tracker a station records through: over HTTP when HOSO_TRACKER_URL is set (with
        HOSO_STATION_TOKEN), else this process's application."""
        if self.settings.tracker_url is None:
            from tracker.station_link import InProcessTracker

            return InProcessTracker(self.application())
        if not self.settings.station_token:
            raise BadInput(N_("HOSO_TRACKER_URL needs HOSO_STATION_TOKEN"))
        from scanning.tracker_http import HttpTracker

        return HttpTracker(self.settings.tracker_url, self.settings.station_token)

    def scanning_station(self, name: str, operator: str, jobs: int = 2,
                         ocr: OcrSettings | None = None, device: str | None = None,
                         over_kafka: bool = False, stage: bool = False) -> Station:
        """A station with a scanner of its own: its objects spooled through outages, its
        clean-up and OCR done here or, ``over_kafka``, by ``hoso worker ocr`` processes."""
        from scanning.ocr import OcrSettings
        from scanning.station import Station

        ocr = ocr or OcrSettings()
        preparer = self.ocr_preparer(name, ocr) if over_kafka else None
        return Station(self.station_store(), self.tracker_link(), name, operator, jobs=jobs,
                       ocr=ocr, device=device, preparer=preparer,
                       separators=self.settings.separators,
                       staging=self.staging_store(ocr) if stage else None)

    def staging_store(self, ocr: OcrSettings | None = None) -> StagingStore:
        """The station's staging area for QC, under HOSO_DATA_DIR/staging."""
        from scanning.staging import StagingStore

        return StagingStore(Path(self.settings.data_dir) / "staging", ocr)

    def upload_station(self, name: str, operator: str, carry_out: Executor) -> Station:
        """The tracker processing pages a station uploaded, into the application's store;
        ``carry_out`` carries out each scan's command (as the uploading station's identity).
        With HOSO_KAFKA_BOOTSTRAP the pages' clean-up and OCR go to the ``hoso worker ocr``
        processes, as a scanning station's do with ``--over-kafka``; else this process does
        them."""
        from scanning.ocr import OcrSettings
        from scanning.station import Station
        from tracker.station_link import InProcessTracker

        custody = self.application()
        preparer = (self.ocr_preparer(name, OcrSettings())
                    if self.settings.kafka_bootstrap is not None else None)
        return Station(custody.objects, InProcessTracker(custody, carry_out), name, operator,
                       preparer=preparer, separators=self.settings.separators)

    # -- witnesses ---------------------------------------------------------------------------

    def witness_endpoints(self) -> list[WitnessEndpoint]:
        """HOSO_WITNESSES with their keys read (a vkey string or a .pub file)."""
        from events.evidence.keys import KeyFileError
        from events.evidence.notes import NoteError
        from events.evidence.witness.client import WitnessEndpoint
        from events.evidence.witness.keys import load_witness_verifier

        endpoints = []
        for witness in self.settings.witnesses:
            try:
                key = (load_witness_verifier(witness.key) if "+" in witness.key
                       else load_witness_verifier(Path(witness.key)))
                endpoints.append(WitnessEndpoint(witness.name, witness.url, key))
            except (KeyFileError, NoteError) as error:
                raise BadInput(N_("HOSO_WITNESSES: witness {name!r}: {error}"),
                               name=witness.name, error=error) from None
        return endpoints

    def cosignature_store(self) -> CosignatureStore:
        return cosignature_store(self.backend, self.application().recorder)

    def cosignature_directory(self) -> CosignatureDirectory:
        """Cosignature files beside the checkpoint files (HOSO_CHECKPOINT_DIR)."""
        from events.evidence.witness.store import CosignatureDirectory

        return CosignatureDirectory(self.settings.checkpoint_dir)

    def cosigning(self) -> Cosigning | None:
        """This process's requests for cosignatures (kept), None without HOSO_WITNESSES: every
        checkpoint this process signs wakes it; ``start`` it to run in the background."""
        if not self.settings.witnesses:
            return None
        from events.evidence.witness.cosigning import Cosigning

        if self._cosigning is None:
            made = Cosigning(cast(HashingRecorder, self.application().recorder),
                             self.cosignature_store(), self.cosignature_directory(),
                             self.witness_endpoints())
            with self._lock:
                if self._cosigning is None:
                    self._cosigning = made
        return self._cosigning

    # -- tamper evidence ---------------------------------------------------------------------

    def tamper_evident_log(self) -> TamperEvidentLog:
        """The log; with witnesses configured, each checkpoint it signs wakes ``cosigning``."""
        made = tamper_evident_log(self.application(), self.settings)
        cosigning = self.cosigning()
        if cosigning is not None:
            from events.evidence.witness.cosigning import WakeWitnesses

            made.sinks.append(WakeWitnesses(cosigning))
        return made

    def checkpoint_directory(self) -> CheckpointDirectory:
        return CheckpointDirectory(self.settings.checkpoint_dir)

    def inclusion_prover(self) -> InclusionProver:
        """Inclusion proofs of a few events at a time (the public lookup's), kept: it caches
        the roots of the log's blocks."""
        from events.evidence.inclusion import InclusionProver

        recorder = cast(HashingRecorder, self.application().recorder)
        with self._lock:
            if self._prover is None:
                self._prover = InclusionProver(recorder)
            return self._prover

    def signer(self) -> Signer:
        """The checkpoint signer (HOSO_AUDIT_KEY, else the one ``hoso init`` made); BadInput
        naming how to make one when there is none, or it is unreadable."""
        from events.evidence.keys import KeyFileError, load_signer
        from events.evidence.notes import NoteError

        try:
            return load_signer(self._audit_key())
        except (KeyFileError, NoteError) as error:
            raise BadInput(str(error)) from None

    def _audit_key(self) -> Path:
        if self.settings.audit_key is None:
            raise BadInput(N_("no audit signing key: run 'hoso init' (it makes "
                              "{default_audit_key}) or set HOSO_AUDIT_KEY to a key made by "
                              "'hoso audit keygen'"),
                           default_audit_key=self.settings.default_audit_key)
        return self.settings.audit_key

    def make_audit_key(self) -> tuple[Path, Path, bool]:
        """The signing key and its public key: HOSO_AUDIT_KEY's as configured, else
        HOSO_DATA_DIR/keys/audit.key and audit.pub, made (0600 in a 0700 folder) when absent.
        The third value says whether they were made now."""
        from events.evidence.keys import KeyFileExists, generate_keypair

        if self.settings.audit_key is not None:
            public = self.settings.audit_public_key or self.settings.audit_key.with_name(
                "audit.pub")
            return self.settings.audit_key, public, False
        target = self.settings.default_audit_key
        private_folder(target.parent)
        try:
            private, public = generate_keypair(target.parent)
        except KeyFileExists:  # another process made it meanwhile, or left half a pair
            if not (target.exists() and target.with_name("audit.pub").exists()):
                raise
            return target, target.with_name("audit.pub"), False
        return private, public, True

    def checkpointer(self) -> Checkpointer:
        """Signed checkpoints within HOSO_CHECKPOINT_SECONDS of every commit (or every
        HOSO_CHECKPOINT_EVERY events), by the audit key followed across rotations; BadInput
        without a usable key, as ``signer``."""
        from events.evidence.checkpointer import Checkpointer
        from events.evidence.checkpoints import CheckpointPolicy
        from events.evidence.signing_keys import FollowedKey

        keys = FollowedKey(self._audit_key(), self.checkpoint_directory(),
                           self.settings.log_origin, self.signer())
        policy = CheckpointPolicy(self.settings.checkpoint_every,
                                  self.settings.checkpoint_seconds)
        custody = self.application()
        return Checkpointer(self.tamper_evident_log(), keys, policy, custody.clock)

    # -- Kafka (kafka-python is imported only here, when asked for) --------------------------

    def kafka(self, purpose: str) -> str:
        """The Kafka bootstrap servers; BadInput naming ``purpose`` when none is configured."""
        if self.settings.kafka_bootstrap is None:
            raise BadInput(N_("HOSO_KAFKA_BOOTSTRAP is not set: there is no Kafka to "
                              "{purpose}"),
                           purpose=purpose)
        return self.settings.kafka_bootstrap

    def relay(self, batch_size: int = 1000, topic: str | None = None,
              servers: str | None = None) -> Relay:
        """The relay of the application's store to ``topic`` (hoso.dossier-events unless
        another is given) on the Kafka cluster at ``servers`` (HOSO_KAFKA_BOOTSTRAP unless
        given): dossier events as CloudEvents, its position beside the events."""
        from events.relay.kafka import TOPIC, KafkaPublisher
        from events.relay.publisher import Relay
        from tracker.cloudevents import CloudEventMessages

        servers = servers or self.kafka("relay to")
        topic = topic or TOPIC
        custody = self.application()
        return Relay(custody.recorder, self.relay_positions(), KafkaPublisher(servers, topic),
                     CloudEventMessages(custody, self.settings.log_origin),
                     name=f"kafka:{topic}", batch_size=batch_size)

    def kafka_projection(self, group: str | None = None, max_records: int = 500
                         ) -> KafkaProjection:
        """A member of the projection consumer group (HOSO_KAFKA_GROUP unless ``group``)
        applying hoso.dossier-events to the views."""
        from events.relay.kafka import KafkaSubscription
        from tracker.projections.kafka_consumer import KafkaProjection

        subscription = KafkaSubscription(self.kafka("project from"),
                                         group or self.settings.kafka_group,
                                         max_records=max_records)
        return KafkaProjection(subscription, self.open_views().projector)

    def ocr_preparer(self, station: str, ocr: OcrSettings) -> PagePreparer:
        """Clean-up and OCR sent as jobs to ``hoso worker ocr`` processes; they read the files
        from the shared object store, not from this station's spool."""
        from tracker.ocr_queue import KafkaPreparer

        return KafkaPreparer(self.kafka("send OCR jobs to"), self.object_store(), station, ocr)

    def run_ocr_worker(self, name: str, stop: threading.Event) -> int:
        """Take OCR jobs as one member of the worker group until ``stop``; how many were done."""
        from scanning.ocr import OcrSettings
        from tracker.ocr_queue import run_worker

        return run_worker(self.kafka("take OCR jobs from"), self.object_store(), OcrSettings(),
                          name, stop)

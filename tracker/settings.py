"""The only reader of os.environ: HOSO_* variables and the embedded defaults.

| variable            | default  | meaning                                                   |
|---------------------|----------|-----------------------------------------------------------|
| HOSO_DATA_DIR       | ./var    | where the embedded SQLite event store lives (hoso.sqlite) |
| HOSO_DATABASE_URL   | (unset)  | postgresql://user:password@host:port/dbname[?schema=S]    |
| HOSO_HOST/HOSO_PORT | 127.0.0.1 / 8080 | where ``hoso serve`` listens                      |
| HOSO_TRUSTED_HOSTS  | localhost, 127.0.0.1, ::1 and HOSO_HOST | the ``Host`` names the API |
|                     |          | answers; any other gets 400 (no DNS rebinding)            |
| HOSO_TLS_CERT / HOSO_TLS_KEY | (unset) | PEM certificate chain and private key, both or    |
|                     |          | neither: ``hoso serve`` then answers HTTPS itself, and    |
|                     |          | may listen on an address other than loopback              |
| HOSO_S3_ENDPOINT    | (unset)  | host:port of MinIO/S3; unset keeps objects under HOSO_DATA_DIR |
| HOSO_S3_BUCKET      | hoso     | the bucket (created if absent)                            |
| HOSO_S3_ACCESS_KEY / HOSO_S3_SECRET_KEY | | credentials, required with an endpoint          |
| HOSO_S3_SECURE      | true     | TLS on (true) or off (false)                              |
| HOSO_SPOOL_DIR      | HOSO_DATA_DIR/spool | a station's local spool for object-store outages |
| HOSO_AUDIT_KEY      | (below)  | path of the Ed25519 private key that signs checkpoints;   |
|                     |          | unset, HOSO_DATA_DIR/keys/audit.key if it exists (``hoso  |
|                     |          | init`` makes it there)                                    |
| HOSO_AUDIT_PUBLIC_KEY | audit.pub beside the key | the public key ``audit verify`` uses   |
| HOSO_CHECKPOINT_DIR | HOSO_DATA_DIR/checkpoints | copies of signed checkpoints outside the store |
| HOSO_LOG_ORIGIN     | hoso/custody-log | the log's name in its checkpoints                  |
| HOSO_CHECKPOINT_EVERY / HOSO_CHECKPOINT_SECONDS | 1000 / 10 | ``hoso serve`` signs a checkpoint
|                     |          | after this many new events (0: no count trigger) and within |
|                     |          | this many seconds (at least 1) of any commit: the window  |
| HOSO_CHECKPOINT_GRACE | 30     | seconds ``audit verify`` allows beyond that window before |
|                     |          | an unsigned event fails it                                |
| HOSO_KAFKA_BOOTSTRAP | (unset) | host:port[,host:port] of Kafka; ``hoso relay`` and ``hoso serve``
|                     |          | publish events to hoso.dossier-events; unset, no relay runs |
| HOSO_KAFKA_GROUP    | hoso-projections | consumer group of ``hoso project --from-kafka``     |
| HOSO_VIEW_VERIFY_SECONDS | 0   | ``hoso serve`` verifies the views against a rebuild this often |
|                     |          | and /readyz reports the last run (0: never)               |
| HOSO_SESSION_KEY    | HOSO_DATA_DIR/keys/session.key | the key that signs page sessions;   |
|                     |          | made (0600) on first use; share it between web processes  |
| HOSO_SESSION_IDLE_MINUTES | 30 | a page session ends after this long without a request |
| HOSO_STATION_TOKENS | (refused) | no longer read: station tokens are made with           |
|                     |          | ``hoso token create --kind station`` and stored hashed     |
| HOSO_TRACKER_URL    | (unset)  | a station elsewhere: the tracker's base URL (else in-process) |
| HOSO_STATION_TOKEN  | (unset)  | that station's token, sent as ``Authorization: Bearer``   |
| HOSO_SEPARATORS     | PATCHT   | comma-separated barcode texts a station takes for separator |
|                     |          | sheets (Code 39, Code 128 or QR), besides hoso's covers    |
| HOSO_PUBLIC_URL     | http://127.0.0.1:8080 | the address citizens reach hoso at: the |
|                     |          | slips' QR codes link to <this>/lookup?code=<code>         |
| HOSO_WITNESSES      | (unset)  | ``name=URL=PUBKEY,…``: the witnesses every new checkpoint |
|                     |          | goes to (PUBKEY: a witness's vkey string or .pub file)    |
| HOSO_WITNESS_QUORUM | 0        | cosignatures ``audit verify``, exports and the offline    |
|                     |          | verifier require on the newest checkpoint (0: none)       |
| HOSO_METRICS_TOKEN  | (unset)  | a client sending ``Authorization: Bearer <this>`` may read |
|                     |          | /metrics from any address; unset, loopback clients only   |
| HOSO_READY_RELAY_LAG_EVENTS / _SECONDS | 10000 / 60 | /readyz fails when the relay is this |
|                     |          | many events, or the oldest unrelayed event this many      |
|                     |          | seconds, behind the log                                   |
| PROMETHEUS_MULTIPROC_DIR | (unset) | read by prometheus-client itself: each process of a   |
|                     |          | host writes its counters there and /metrics sums them     |

Each secret (HOSO_DATABASE_URL, HOSO_S3_ACCESS_KEY, HOSO_S3_SECRET_KEY, HOSO_STATION_TOKEN) may
instead be read from a file named by the same variable with ``_FILE`` appended (a container's
``/run/secrets/…``); the file's content less its trailing newline is the value. Setting both is
refused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from tracker.domain.errors import N_, BadInput


@dataclass(frozen=True)
class S3Settings:
    endpoint: str
    bucket: str
    access_key: str
    secret_key: str
    secure: bool


@dataclass(frozen=True)
class TlsSettings:
    """The PEM files ``hoso serve`` terminates TLS with."""

    cert: Path
    key: Path


@dataclass(frozen=True)
class WitnessSetting:
    """One entry of HOSO_WITNESSES, as written (bootstrap reads the key)."""

    name: str
    url: str
    key: str


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str | None
    host: str
    port: int
    s3: S3Settings | None
    spool_dir: Path
    audit_key: Path | None
    audit_public_key: Path | None
    checkpoint_dir: Path
    log_origin: str
    checkpoint_every: int
    checkpoint_seconds: float
    checkpoint_grace: float = 30.0
    kafka_bootstrap: str | None = None
    kafka_group: str = "hoso-projections"
    tracker_url: str | None = None
    station_token: str | None = None
    witnesses: tuple[WitnessSetting, ...] = ()
    witness_quorum: int = 0
    trusted_hosts: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
    tls: TlsSettings | None = None
    session_key: Path = Path("var/keys/session.key")
    session_idle_minutes: int = 30
    public_url: str = "http://127.0.0.1:8080"
    view_verify_seconds: int = 0
    separators: tuple[str, ...] = ("PATCHT",)
    metrics_token: str | None = None
    ready_relay_lag_events: int = 10_000
    ready_relay_lag_seconds: int = 60
    metrics_dir: Path | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = with_secret_files(os.environ if environ is None else environ)
        port = env.get("HOSO_PORT", "8080")
        if not port.isdigit():
            raise BadInput(N_("HOSO_PORT must be a port number, not {port!r}"), port=port)
        data_dir = Path(env.get("HOSO_DATA_DIR") or "var")
        if env.get("HOSO_STATION_TOKENS"):
            raise BadInput(N_("HOSO_STATION_TOKENS is no longer read: make each station a token "
                           "with 'hoso token create --kind station' and unset it (README: "
                           "moving station tokens over)"))
        made = default_audit_key(data_dir)  # where ``hoso init`` makes one
        audit_key = (Path(env["HOSO_AUDIT_KEY"]) if env.get("HOSO_AUDIT_KEY")
                     else made if made.exists() else None)
        public = made.with_name("audit.pub")
        return cls(
            data_dir=data_dir,
            database_url=env.get("HOSO_DATABASE_URL") or None,
            host=env.get("HOSO_HOST", "127.0.0.1"),
            port=int(port),
            s3=s3_settings(env),
            spool_dir=Path(env.get("HOSO_SPOOL_DIR") or data_dir / "spool"),
            audit_key=audit_key,
            audit_public_key=(Path(env["HOSO_AUDIT_PUBLIC_KEY"])
                              if env.get("HOSO_AUDIT_PUBLIC_KEY")
                              else audit_key.with_name("audit.pub") if audit_key
                              else public if public.exists() else None),
            checkpoint_dir=Path(env.get("HOSO_CHECKPOINT_DIR") or data_dir / "checkpoints"),
            log_origin=env.get("HOSO_LOG_ORIGIN") or "hoso/custody-log",
            checkpoint_every=_whole(env, "HOSO_CHECKPOINT_EVERY", "1000"),
            checkpoint_seconds=float(_window(env)),
            checkpoint_grace=float(_whole(env, "HOSO_CHECKPOINT_GRACE", "30")),
            kafka_bootstrap=env.get("HOSO_KAFKA_BOOTSTRAP") or None,
            kafka_group=env.get("HOSO_KAFKA_GROUP") or "hoso-projections",
            tracker_url=(env.get("HOSO_TRACKER_URL") or "").rstrip("/") or None,
            station_token=env.get("HOSO_STATION_TOKEN") or None,
            witnesses=witnesses(env),
            witness_quorum=witness_quorum(env),
            trusted_hosts=trusted_hosts(env),
            tls=tls_settings(env),
            session_key=Path(env.get("HOSO_SESSION_KEY") or data_dir / "keys" / "session.key"),
            session_idle_minutes=_whole(env, "HOSO_SESSION_IDLE_MINUTES", "30"),
            public_url=public_url(env),
            view_verify_seconds=_whole(env, "HOSO_VIEW_VERIFY_SECONDS", "0"),
            separators=tuple(t.strip() for t in (env.get("HOSO_SEPARATORS") or "PATCHT")
                             .split(",") if t.strip()),
            metrics_token=env.get("HOSO_METRICS_TOKEN") or None,
            ready_relay_lag_events=_whole(env, "HOSO_READY_RELAY_LAG_EVENTS", "10000"),
            ready_relay_lag_seconds=_whole(env, "HOSO_READY_RELAY_LAG_SECONDS", "60"),
            metrics_dir=(Path(env["PROMETHEUS_MULTIPROC_DIR"])
                         if env.get("PROMETHEUS_MULTIPROC_DIR") else None),
        )

    @property
    def default_audit_key(self) -> Path:
        """Where ``hoso init`` makes the signing key when HOSO_AUDIT_KEY names none."""
        return default_audit_key(self.data_dir)

    @property
    def objects_dir(self) -> Path:
        return self.data_dir / "objects"

    @property
    def sqlite_file(self) -> Path:
        """The embedded store's database file (used when no HOSO_DATABASE_URL is set)."""
        return self.data_dir / "hoso.sqlite"

    def event_store_env(self) -> dict[str, str]:
        """The eventsourcing library's persistence keys for the chosen store."""
        if self.database_url is None:
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.sqlite_file),
                "SQLITE_LOCK_TIMEOUT": "30",
            }
        return postgres_env(self.database_url)

    def describe_store(self) -> str:
        if self.database_url is None:
            return f"sqlite:{self.sqlite_file}"
        url = urlparse(self.database_url)
        return f"postgresql://{url.hostname}:{url.port or 5432}{url.path}"


def postgres_env(database_url: str) -> dict[str, str]:
    url = urlparse(database_url)
    if url.scheme not in ("postgresql", "postgres") or not url.path.strip("/"):
        raise BadInput(
            N_("HOSO_DATABASE_URL must look like postgresql://user:password@host:port/dbname")
        )
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(url.path.strip("/")),
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_LOCK_TIMEOUT": "30",
    }
    schema = parse_qs(url.query).get("schema")
    if schema:
        env["POSTGRES_SCHEMA"] = schema[0]
    return env


def s3_settings(env: Mapping[str, str]) -> S3Settings | None:
    endpoint = env.get("HOSO_S3_ENDPOINT")
    if not endpoint:
        return None
    access, secret = env.get("HOSO_S3_ACCESS_KEY"), env.get("HOSO_S3_SECRET_KEY")
    if not access or not secret:
        raise BadInput(N_("HOSO_S3_ENDPOINT needs HOSO_S3_ACCESS_KEY and HOSO_S3_SECRET_KEY"))
    secure = env.get("HOSO_S3_SECURE", "true").lower()
    if secure not in ("true", "false"):
        raise BadInput(N_("HOSO_S3_SECURE must be true or false, not {secure!r}"),
                       secure=secure)
    return S3Settings(endpoint=endpoint, bucket=env.get("HOSO_S3_BUCKET") or "hoso",
                      access_key=access, secret_key=secret, secure=secure == "true")


SECRET_VARIABLES = ("HOSO_DATABASE_URL", "HOSO_S3_ACCESS_KEY", "HOSO_S3_SECRET_KEY",
                    "HOSO_STATION_TOKEN")


def with_secret_files(env: Mapping[str, str]) -> Mapping[str, str]:
    """``env`` with each secret whose ``<NAME>_FILE`` is set read from that file."""
    named = [name for name in SECRET_VARIABLES if env.get(f"{name}_FILE")]
    if not named:
        return env
    merged = dict(env)
    for name in named:
        path = env[f"{name}_FILE"]
        if env.get(name):
            raise BadInput(N_("{name} and {name}_FILE are both set: keep one (the file, for a "
                              "secret)"), name=name)
        try:
            value = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as error:
            raise BadInput(N_("{name}_FILE names {path!r}, which cannot be read: {reason}"),
                           name=name, path=path, reason=error.strerror or str(error)) from None
        if not value:
            raise BadInput(N_("{name}_FILE names {path!r}, which is empty"), name=name, path=path)
        merged[name] = value
    return merged


def tls_settings(env: Mapping[str, str]) -> TlsSettings | None:
    """HOSO_TLS_CERT and HOSO_TLS_KEY, both or neither."""
    cert, key = env.get("HOSO_TLS_CERT"), env.get("HOSO_TLS_KEY")
    if not cert and not key:
        return None
    if not cert or not key:
        raise BadInput(N_("HOSO_TLS_CERT and HOSO_TLS_KEY go together: set both PEM files "
                       "(certificate chain and private key) or neither"))
    return TlsSettings(cert=Path(cert), key=Path(key))


def witnesses(env: Mapping[str, str]) -> tuple[WitnessSetting, ...]:
    """HOSO_WITNESSES: comma-separated ``name=URL=PUBKEY``. A vkey ends in base64 without
    padding, so the URL is everything between the first and the last ``=``."""
    found = []
    for entry in (e.strip() for e in env.get("HOSO_WITNESSES", "").split(",")):
        if not entry:
            continue
        name, _, rest = entry.partition("=")
        url, _, key = rest.rpartition("=")
        if not name or not url.startswith(("http://", "https://")) or not key:
            raise BadInput(N_("HOSO_WITNESSES: {value!r} is not name=URL=PUBKEY (URL "
                              "http:// or https://, PUBKEY the witness's vkey or .pub file)"),
                           value=entry[:60])
        found.append(WitnessSetting(name, url.rstrip("/"), key))
    if len({w.name for w in found}) != len(found):
        raise BadInput(N_("HOSO_WITNESSES names a witness twice"))
    return tuple(found)


def witness_quorum(env: Mapping[str, str]) -> int:
    """HOSO_WITNESS_QUORUM: how many of HOSO_WITNESSES must have cosigned (0: none)."""
    quorum = _whole(env, "HOSO_WITNESS_QUORUM", "0")
    if quorum > len(witnesses(env)):
        raise BadInput(N_("HOSO_WITNESS_QUORUM={quorum} but HOSO_WITNESSES names only "
                          "{count} witness(es)"),
                       quorum=quorum, count=len(witnesses(env)))
    return quorum


def trusted_hosts(env: Mapping[str, str]) -> tuple[str, ...]:
    """HOSO_TRUSTED_HOSTS, else the loopback names and the address ``hoso serve`` binds."""
    listed = [h.strip() for h in env.get("HOSO_TRUSTED_HOSTS", "").split(",") if h.strip()]
    if listed:
        return tuple(listed)
    return tuple(dict.fromkeys(["localhost", "127.0.0.1", "::1", env.get("HOSO_HOST") or
                                "127.0.0.1"]))


def public_url(env: Mapping[str, str]) -> str:
    """HOSO_PUBLIC_URL without a trailing slash: an http(s) address with a host, and nothing
    after its path, since the slips append ``/lookup?code=…`` to it."""
    value = (env.get("HOSO_PUBLIC_URL") or "http://127.0.0.1:8080").rstrip("/")
    url = urlparse(value)
    if url.scheme not in ("http", "https") or not url.hostname or url.query or url.fragment:
        raise BadInput(N_("HOSO_PUBLIC_URL must be an http(s) address such as "
                          "https://hoso.example.gov.vn, not {value!r}"),
                       value=value)
    return value


def default_audit_key(data_dir: Path) -> Path:
    """HOSO_DATA_DIR/keys/audit.key, beside the session key and never in the database."""
    return data_dir / "keys" / "audit.key"


def _window(env: Mapping[str, str]) -> int:
    """HOSO_CHECKPOINT_SECONDS: at least 1, since it bounds how long an event goes unsigned."""
    seconds = _whole(env, "HOSO_CHECKPOINT_SECONDS", "10")
    if seconds < 1:
        raise BadInput(N_("HOSO_CHECKPOINT_SECONDS must be at least 1: it is the longest an event "
                       "waits for a signed checkpoint"))
    return seconds


def _whole(env: Mapping[str, str], name: str, default: str) -> int:
    value = env.get(name) or default
    if not value.isdigit():
        raise BadInput(N_("{name} must be a whole number, not {value!r}"),
                       name=name, value=value)
    return int(value)

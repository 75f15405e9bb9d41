"""deploy/ checked without a container engine: the compose file against the Compose
Specification's JSON schema (vendored beside this test, see README.md), what the schema cannot
say (health checks, restart policies, limits, pinned images, named volumes, secrets only from
files), the province's topology, the Dockerfile and the hash-pinned lock."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SCHEMA = Path(__file__).with_name("compose-spec.json")
SCHEMA_SHA256 = "91ae91d24640d45634c9d4b5f4e3a5ce1b6b6da38bc06b27e2a04891f81f32da"
"""compose-spec/compose-spec@b2835e8acc1e42e7aecbc27a9bc4a1fc66ef21ba schema/compose-spec.json"""

SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|KEY|CREDENTIAL", re.IGNORECASE)
CREDENTIALS_IN_URL = re.compile(r"://[^/@\s]+:[^/@\s]+@")
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
OWN_IMAGE = re.compile(r"^hoso:")


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return document


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def long_running() -> list[str]:
    return [name for name, service in services().items() if service.get("restart") != "no"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(entry.partition("=")[::2] for entry in env)
    return {str(k): str(v) for k, v in env.items()}


def mounted_secrets(service: dict[str, Any]) -> set[str]:
    """The paths under /run/secrets (and elsewhere) a service's secrets appear at."""
    paths = set()
    for entry in service.get("secrets") or []:
        if isinstance(entry, str):
            paths.add(f"/run/secrets/{entry}")
        else:
            paths.add(entry.get("target") or f"/run/secrets/{entry['source']}")
    return paths


def secret_names(service: dict[str, Any]) -> set[str]:
    return {e if isinstance(e, str) else e["source"] for e in service.get("secrets") or []}


def test_the_vendored_schema_is_the_one_recorded() -> None:
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256


def test_the_compose_file_validates_against_the_compose_specification() -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator.iter_errors(compose())]
    assert errors == []


def test_a_file_breaking_the_specification_is_caught() -> None:
    """The schema check is not vacuous: a misspelt key and a wrong type both fail it."""
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    broken = compose()
    broken["services"]["relay"]["helthcheck"] = {"test": ["CMD", "true"]}
    broken["services"]["web-1"]["deploy"] = {"replicas": [2]}
    said = {e.message for e in validator.iter_errors(broken)}
    assert said == {"'helthcheck' does not match any of the regexes: '^x-'",
                    "[2] is not of type 'integer', 'string'"}


@pytest.mark.parametrize("name", long_running())
def test_every_long_running_service_has_a_health_check_a_restart_policy_and_limits(
        name: str) -> None:
    service = services()[name]
    health = service.get("healthcheck") or {}
    assert health.get("test"), f"{name}: no health check"
    assert not health.get("disable"), f"{name}: its health check is disabled"
    assert service.get("restart") in ("always", "unless-stopped", "on-failure"), name
    limits = (service.get("deploy") or {}).get("resources", {}).get("limits", {})
    assert {"cpus", "memory"} <= limits.keys() or {"cpus", "mem_limit"} <= service.keys(), \
        f"{name}: no CPU and memory limits"


@pytest.mark.parametrize("name", sorted(services()))
def test_every_service_has_limits_an_explicit_restart_and_a_pinned_image(name: str) -> None:
    service = services()[name]
    assert "restart" in service, f"{name}: say whether it restarts"
    limits = (service.get("deploy") or {}).get("resources", {}).get("limits", {})
    assert limits.get("cpus"), f"{name}: no CPU limit"
    assert limits.get("memory"), f"{name}: no memory limit"
    image = service["image"]
    assert DIGEST.search(image) or (OWN_IMAGE.match(image) and "build" in service), \
        f"{name}: {image} is pinned by neither digest nor build"


def inline_secrets(service: dict[str, Any]) -> list[str]:
    """The environment variables of ``service`` that carry a secret themselves: named like a
    secret without naming a secret file mounted in the service, or credentials in a URL."""
    mounted = mounted_secrets(service)
    def carries(variable: str, value: str) -> bool:
        if CREDENTIALS_IN_URL.search(value):
            return True
        return bool(SECRET_NAME.search(variable)) and ("${" in value or value not in mounted)

    return [v for v, value in environment(service).items() if carries(v, value)]


@pytest.mark.parametrize("name", sorted(services()))
def test_no_secret_is_written_into_the_environment(name: str) -> None:
    assert inline_secrets(services()[name]) == []


def test_an_inline_secret_is_caught() -> None:
    """The check is not vacuous: a password, an interpolated key, credentials in a URL and a
    path to a file the service does not mount are all caught; a mounted secret's path is not."""
    service = {"secrets": ["db"], "environment": {
        "POSTGRES_PASSWORD": "hunter2", "HOSO_S3_SECRET_KEY": "${MINIO_ROOT_PASSWORD}",
        "HOSO_DATABASE_URL": "postgresql://hoso:hunter2@postgres/hoso",
        "HOSO_AUDIT_KEY": "/etc/hoso/audit.key", "HOSO_DATABASE_URL_FILE": "/run/secrets/db",
        "HOSO_S3_BUCKET": "hoso"}}
    assert inline_secrets(service) == ["POSTGRES_PASSWORD", "HOSO_S3_SECRET_KEY",
                                       "HOSO_DATABASE_URL", "HOSO_AUDIT_KEY"]


def test_secrets_come_from_files_kept_out_of_the_repository() -> None:
    declared = compose()["secrets"]
    assert all(set(s) == {"file"} and s["file"].startswith("./secrets/")
               for s in declared.values()), declared
    ignored = (DEPLOY / ".gitignore").read_text().split()
    assert "secrets/" in ignored
    assert ".env" in ignored
    used = set().union(*(secret_names(service) for service in services().values()))
    assert used == set(declared)


@pytest.mark.parametrize("name", sorted(services()))
def test_data_lives_in_named_volumes_and_binds_are_read_only(name: str) -> None:
    volumes = compose()["volumes"]
    for mount in services()[name].get("volumes") or []:
        source, _, rest = mount.partition(":")
        if source.startswith((".", "/")):
            assert rest.endswith(":ro"), f"{name}: bind {mount} is writable"
        else:
            assert source in volumes, f"{name}: {source} is not a named volume"


def test_the_topology_is_the_provinces() -> None:
    """Three KRaft brokers with replication 3 and two in sync; two web processes behind the TLS
    proxy; one relay; two projection consumers, two OCR workers; a witness; MinIO users made by
    an init job from secrets, never the root account for hoso or the stations."""
    found = services()
    brokers = [n for n in found if n.startswith("kafka-") and n[-1].isdigit()]
    assert sorted(environment(found[n])["KAFKA_NODE_ID"] for n in brokers) == ["1", "2", "3"]
    for name in brokers:
        env = environment(found[name])
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].count("@") == 3
        assert (env["KAFKA_DEFAULT_REPLICATION_FACTOR"], env["KAFKA_MIN_INSYNC_REPLICAS"]) \
            == ("3", "2")
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3"
    topics = " ".join(found["kafka-topics"]["command"])
    assert "--replication-factor 3" in topics
    assert "--config min.insync.replicas=2" in topics
    for topic in ("hoso.dossier-events", "hoso.ocr-jobs", "hoso.ocr-results"):
        assert topic in topics

    caddyfile = (DEPLOY / "Caddyfile").read_text()
    webs = [n for n in found if n.startswith("web-")]
    assert len(webs) == 2
    assert all(f"{n}:8080" in caddyfile for n in webs)
    assert "tls /run/secrets/tls_cert /run/secrets/tls_key" in caddyfile
    assert "Host {$HOSO_PUBLIC_HOST}" in caddyfile  # health checks pass hoso's trusted hosts
    assert {"tls_cert", "tls_key"} <= secret_names(found["proxy"])
    for name in webs:
        assert "--behind-proxy" in found[name]["command"]
        assert "ports" not in found[name]  # reachable only through the proxy
    assert found["relay"]["command"] == ["hoso", "relay"]
    assert found["relay"]["deploy"].get("replicas", 1) == 1
    assert found["projections"]["deploy"]["replicas"] == 2
    assert found["ocr"]["deploy"]["replicas"] == 2
    assert found["ocr"]["command"] == ["hoso", "worker", "ocr"]
    assert found["witness"]["command"][:3] == ["hoso", "witness", "serve"]
    assert environment(found["relay"])["HOSO_WITNESSES"].startswith("witness=http://witness:")

    hoso_services = [n for n, s in found.items() if OWN_IMAGE.match(s["image"])]
    for name in hoso_services:
        assert not {"minio_root_user", "minio_root_password"} & secret_names(found[name]), \
            f"{name} holds MinIO's root account"
    signers = sorted(n for n, s in found.items() if "audit_key" in secret_names(s))
    assert signers == ["init", *webs]  # the log's signing key only where checkpoints are signed
    init = (DEPLOY / "minio" / "init.sh").read_text()
    for user in ("minio_hoso_user", "minio_station_user"):
        assert f"mc admin user add province \"$(secret {user})\"" in init
    station = json.loads((DEPLOY / "minio" / "hoso-station.json").read_text())
    granted = {a for s in station["Statement"] for a in s["Action"]}
    assert granted == {"s3:PutObject", "s3:ListBucket"}  # never reads or deletes a page


def test_the_image_is_multi_stage_non_root_with_tesseract_vie_and_installs_from_the_lock() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert dockerfile.count("\nFROM ") >= 2
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile, re.MULTILINE)
    assert base is not None
    assert DIGEST.search(base.group(1))
    users = re.findall(r"^USER (\S+)$", dockerfile, re.MULTILINE)
    assert users
    assert users[-1].split(":")[0] not in ("root", "0")
    for package in ("tesseract-ocr-vie", "tesseract-ocr-osd"):
        assert package in dockerfile
    assert "--require-hashes" in dockerfile
    assert "requirements.lock" in dockerfile


def test_the_lock_pins_every_runtime_dependency_with_hashes_within_pyproject() -> None:
    lock = (DEPLOY / "requirements.lock").read_text()
    pinned: dict[str, str] = {}
    for block in re.split(r"\n(?=[a-z0-9])", lock):
        head = re.match(r"([a-z0-9][a-z0-9._-]*)==(\S+)", block)
        if head is None:
            continue
        assert "--hash=sha256:" in block, f"{head.group(1)} has no hash"
        pinned[head.group(1)] = head.group(2)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"]:
        requirement = Requirement(spec)
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        assert name in pinned, f"{name} is not in deploy/requirements.lock"
        assert requirement.specifier.contains(pinned[name]), \
            f"{name}=={pinned[name]} is outside {requirement.specifier}: run the lock's command"

"""Secrets from files: each secret variable's ``_FILE`` twin names a file holding the value, as
compose mounts them under /run/secrets; both at once, an unreadable or an empty file is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hoso_cli import Hoso
from tracker.domain.errors import BadInput
from tracker.settings import Settings


def secret(tmp_path: Path, name: str, value: str) -> str:
    path = tmp_path / name
    path.write_text(value)
    path.chmod(0o600)
    return str(path)


def test_the_secrets_are_read_from_the_files_their_file_variables_name(tmp_path: Path) -> None:
    env = {"HOSO_DATA_DIR": str(tmp_path / "var"),
           "HOSO_DATABASE_URL_FILE": secret(
               tmp_path, "url", "postgresql://hoso:s%40fe@db.internal:5432/hoso\n"),
           "HOSO_S3_ENDPOINT": "minio:9000",
           "HOSO_S3_ACCESS_KEY_FILE": secret(tmp_path, "access", "hoso-app\n"),
           "HOSO_S3_SECRET_KEY_FILE": secret(tmp_path, "secret", "a secret with spaces \n"),
           "HOSO_STATION_TOKEN_FILE": secret(tmp_path, "token", "st-token")}
    settings = Settings.from_environ(env)
    assert settings.database_url == "postgresql://hoso:s%40fe@db.internal:5432/hoso"
    assert settings.event_store_env()["POSTGRES_PASSWORD"] == "s@fe"
    assert settings.s3 is not None
    assert (settings.s3.access_key, settings.s3.secret_key) == ("hoso-app", "a secret with spaces ")
    assert settings.station_token == "st-token"


@pytest.mark.parametrize(("write", "says"), [
    ("both", "HOSO_S3_SECRET_KEY and HOSO_S3_SECRET_KEY_FILE are both set"),
    ("missing", "which cannot be read"),
    ("empty", "which is empty"),
])
def test_a_secret_file_that_cannot_give_the_value_is_refused_saying_what_to_fix(
        tmp_path: Path, write: str, says: str) -> None:
    env = {"HOSO_DATA_DIR": str(tmp_path / "var"), "HOSO_S3_ENDPOINT": "minio:9000",
           "HOSO_S3_ACCESS_KEY": "hoso-app",
           "HOSO_S3_SECRET_KEY_FILE": (secret(tmp_path, "s", "") if write == "empty"
                                       else str(tmp_path / "absent") if write == "missing"
                                       else secret(tmp_path, "s", "x"))}
    if write == "both":
        env["HOSO_S3_SECRET_KEY"] = "inline"
    with pytest.raises(BadInput) as refused:
        Settings.from_environ(env)
    assert says in str(refused.value)
    # AND the command line refuses it in one line with exit 2
    result = Hoso(env)("offices")
    assert result.code == 2, result.stderr
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

"""The audit key pair on disk: the private key readable by its owner only, from its first byte.

The caller passes paths (hoso's settings module reads ``HOSO_AUDIT_KEY``); nothing here reads the
environment. Files hold one key string and a newline, in the signed-note formats of notes.py.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TypeVar

from events.evidence.notes import MalformedKey, NamedSigner, Signer, Verifier
from storage.durable import fsync_directory

DEFAULT_KEY_NAME = "hoso-audit"
PRIVATE_KEY_FILE = "audit.key"
PUBLIC_KEY_FILE = "audit.pub"
PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644
DIRECTORY_MODE = 0o700
_EXISTS = (
    "{path} already exists: refusing to overwrite a key file; move it away first "
    "if you really mean to replace the audit key"
)


SignerT = TypeVar("SignerT", bound=NamedSigner)


class KeyFileError(Exception):
    """A key file that cannot be created or used as it stands; the message says what to do."""

    code = "key_file"
    exit_code = 1
    http_status = 500


class KeyFileExists(KeyFileError, FileExistsError):
    """Generating a key pair would overwrite an existing key file: refused, never overwritten."""


def create_key_file(path: Path, content: str, mode: int, exists: str = _EXISTS) -> None:
    """Create ``path`` (never replacing it: KeyFileExists with ``exists`` formatted with the
    path) with ``mode`` from the start, write ``content``, fsync."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    except FileExistsError:
        raise KeyFileExists(exists.format(path=path)) from None
    try:
        os.fchmod(fd, mode)  # the umask may have taken bits away; set exactly what we mean
        os.write(fd, content.encode("ascii"))
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)


def write_keypair(signer: NamedSigner, key_path: Path, pub_path: Path,
                  exists: str = _EXISTS) -> None:
    """Write ``signer``'s private key (mode 0600) and public key (0644), each one key string
    and a newline; their folder is made 0700 if absent. Existing key files are never replaced:
    KeyFileExists is raised and nothing is written."""
    key_path.parent.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    for path in (key_path, pub_path):  # the refusal create_key_file makes, said before writing
        if path.exists() or path.is_symlink():
            raise KeyFileExists(exists.format(path=path))
    create_key_file(key_path, signer.to_text() + "\n", PRIVATE_MODE, exists)
    try:
        create_key_file(pub_path, signer.verifier.to_text() + "\n", PUBLIC_MODE, exists)
    except BaseException:
        key_path.unlink(missing_ok=True)
        raise
    fsync_directory(key_path.parent)


def generate_keypair(directory: Path, name: str = DEFAULT_KEY_NAME) -> tuple[Path, Path]:
    """Write a new Ed25519 pair: ``audit.key`` (mode 0600) and ``audit.pub`` (mode 0644).

    The directory is created with mode 0700 if absent. Existing key files are never replaced:
    KeyFileExists is raised and nothing is written.
    """
    key_path, pub_path = directory / PRIVATE_KEY_FILE, directory / PUBLIC_KEY_FILE
    write_keypair(Signer.generate(name), key_path, pub_path)
    return key_path, pub_path


def read_private_key(path: Path, kind: type[SignerT], what: str, missing: str) -> SignerT:
    """The ``kind`` of signer in a private key file only its owner can read (mode 0600 or
    0400). ``what`` names the key in errors ("the audit key"); ``missing`` is the error when
    there is no file. Errors name the problem, never the file's content."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise KeyFileError(missing) from None
    except OSError as err:
        raise KeyFileError(f"cannot open {what} {path}: {err.strerror}") from err
    with os.fdopen(fd, "rb") as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise KeyFileError(f"{what} {path} is not a regular file")
        mode = stat.S_IMODE(status.st_mode)
        if mode & 0o077:
            raise KeyFileError(f"{what} {path} has mode {mode:04o}: a private key must be "
                               f"readable by its owner only; run: chmod 600 {path}")
        raw = handle.read()
    try:
        return kind.parse(raw.decode("ascii"))
    except (UnicodeDecodeError, MalformedKey) as err:
        problem = err if isinstance(err, MalformedKey) else "not ASCII text"
        raise KeyFileError(f"{what} {path} is not a {kind.KIND}: {problem}") from None


def replace_keypair(key_path: Path, pub_path: Path, signer: Signer) -> None:
    """Put ``signer``'s pair in place of the key files there (written whole beside them, then
    renamed over them, so each file is the old key or the new one, never a mixture)."""
    for path, text, mode in ((key_path, signer.to_text(), PRIVATE_MODE),
                             (pub_path, signer.verifier.to_text(), PUBLIC_MODE)):
        path.parent.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}.new")
        temp.unlink(missing_ok=True)
        create_key_file(temp, text + "\n", mode)
        try:
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
        fsync_directory(path.parent)


def load_signer(path: Path) -> Signer:
    """The signer in a private key file that only its owner can read (mode 0600 or 0400)."""
    return read_private_key(path, Signer, "the audit key", f"no audit key at {path}: generate "
                            "a key pair first, or point HOSO_AUDIT_KEY at it")


def load_verifier(path_or_text: Path | str) -> Verifier:
    """A verifier from a public key file (a ``Path``) or from the key string itself (a ``str``)."""
    if isinstance(path_or_text, str):
        if path_or_text.startswith("PRIVATE+KEY+"):
            raise MalformedKey("that is a private key: verify with the public (verifier) key")
        return Verifier.parse(path_or_text.strip())
    try:
        text = path_or_text.read_text(encoding="ascii")
    except FileNotFoundError:
        raise KeyFileError(f"no public key at {path_or_text}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise KeyFileError(f"cannot read the public key {path_or_text}: {err}") from err
    if text.startswith("PRIVATE+KEY+"):
        raise KeyFileError(
            f"{path_or_text} holds a private key: give inspectors the .pub file, never the .key"
        )
    try:
        return Verifier.parse(text.strip())
    except MalformedKey as err:
        raise KeyFileError(f"{path_or_text} is not a verifier key: {err}") from err

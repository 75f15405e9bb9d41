"""A witness's key pair on disk: ``witness.key`` (mode 0600) and ``witness.pub`` beside it.

Each file holds one key string and a newline in the cosignature/v1 formats of
events/evidence/cosignature.py. Existing key files are never replaced, and a private key readable by
anyone but its owner is refused, as the audit key is (events/evidence/keys.py).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from events.evidence.cosignature import CosignatureSigner, CosignatureVerifier
from events.evidence.keys import KeyFileError, KeyFileExists
from events.evidence.notes import MalformedKey
from storage.durable import fsync_directory

DEFAULT_NAME = "hoso-witness"
PRIVATE_KEY_FILE = "witness.key"
PUBLIC_KEY_FILE = "witness.pub"
PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644
DIRECTORY_MODE = 0o700


def _create(path: Path, content: str, mode: int) -> None:
    """Create ``path`` (never replacing it) with ``mode`` from the first byte, write, fsync."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    except FileExistsError:
        raise KeyFileExists(f"{path} already exists: refusing to overwrite a witness key; a "
                            "witness keeps its key for life (a new key is a new witness)"
                            ) from None
    try:
        os.fchmod(fd, mode)
        os.write(fd, content.encode("ascii"))
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)


def generate_witness_keys(directory: Path, name: str = DEFAULT_NAME) -> tuple[Path, Path]:
    """Write a new pair: ``witness.key`` (0600) and ``witness.pub`` (0644) in ``directory``
    (made 0700 if absent). KeyFileExists, and nothing written, when either file exists."""
    signer = CosignatureSigner.generate(name)
    directory.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    key_path, pub_path = directory / PRIVATE_KEY_FILE, directory / PUBLIC_KEY_FILE
    for path in (key_path, pub_path):
        if path.exists() or path.is_symlink():
            raise KeyFileExists(f"{path} already exists: refusing to overwrite a witness key")
    _create(key_path, signer.to_text() + "\n", PRIVATE_MODE)
    try:
        _create(pub_path, signer.verifier.to_text() + "\n", PUBLIC_MODE)
    except BaseException:
        key_path.unlink(missing_ok=True)
        raise
    fsync_directory(directory)
    return key_path, pub_path


def load_witness_signer(path: Path) -> CosignatureSigner:
    """The signer in a private key file only its owner can read (mode 0600 or 0400)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise KeyFileError(f"no witness key at {path}: make one with 'hoso witness keygen'"
                           ) from None
    except OSError as err:
        raise KeyFileError(f"cannot open the witness key {path}: {err.strerror}") from err
    with os.fdopen(fd, "rb") as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise KeyFileError(f"the witness key {path} is not a regular file")
        mode = stat.S_IMODE(status.st_mode)
        if mode & 0o077:
            raise KeyFileError(f"the witness key {path} has mode {mode:04o}: a private key must "
                               f"be readable by its owner only; run: chmod 600 {path}")
        raw = handle.read()
    try:
        return CosignatureSigner.parse(raw.decode("ascii"))
    except (UnicodeDecodeError, MalformedKey) as err:
        problem = err if isinstance(err, MalformedKey) else "not ASCII text"
        raise KeyFileError(f"the witness key {path} is not a witness signer key: {problem}"
                           ) from None


def load_witness_verifier(path_or_text: Path | str) -> CosignatureVerifier:
    """A witness's public key from its ``.pub`` file (a ``Path``) or the key string (a ``str``)."""
    if isinstance(path_or_text, str):
        return CosignatureVerifier.parse(path_or_text)
    try:
        text = path_or_text.read_text(encoding="ascii")
    except FileNotFoundError:
        raise KeyFileError(f"no witness public key at {path_or_text}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise KeyFileError(f"cannot read the witness public key {path_or_text}: {err}") from err
    if text.startswith("PRIVATE+KEY+"):
        raise KeyFileError(f"{path_or_text} holds a private key: give the log the .pub file")
    try:
        return CosignatureVerifier.parse(text)
    except MalformedKey as err:
        raise KeyFileError(f"{path_or_text} is not a witness public key: {err}") from err

"""A witness's key pair on disk: ``witness.key`` (mode 0600) and ``witness.pub`` beside it.

Each file holds one key string and a newline in the cosignature/v1 formats of
events/evidence/cosignature.py. Existing key files are never replaced, and a private key readable by
anyone but its owner is refused, as the audit key is (events/evidence/keys.py).
"""

from __future__ import annotations

from pathlib import Path

from events.evidence.cosignature import CosignatureSigner, CosignatureVerifier
from events.evidence.keys import KeyFileError, read_private_key, write_keypair
from events.evidence.notes import MalformedKey

DEFAULT_NAME = "hoso-witness"
PRIVATE_KEY_FILE = "witness.key"
PUBLIC_KEY_FILE = "witness.pub"
_EXISTS = ("{path} already exists: refusing to overwrite a witness key; a witness keeps its "
           "key for life (a new key is a new witness)")


def generate_witness_keys(directory: Path, name: str = DEFAULT_NAME) -> tuple[Path, Path]:
    """Write a new pair: ``witness.key`` (0600) and ``witness.pub`` (0644) in ``directory``
    (made 0700 if absent). KeyFileExists, and nothing written, when either file exists."""
    key_path, pub_path = directory / PRIVATE_KEY_FILE, directory / PUBLIC_KEY_FILE
    write_keypair(CosignatureSigner.generate(name), key_path, pub_path, _EXISTS)
    return key_path, pub_path


def load_witness_signer(path: Path) -> CosignatureSigner:
    """The signer in a private key file only its owner can read (mode 0600 or 0400)."""
    return read_private_key(path, CosignatureSigner, "the witness key",
                            f"no witness key at {path}: make one with 'hoso witness keygen'")


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

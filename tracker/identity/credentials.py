"""Secrets and their stored forms: argon2id password hashes and hashed bearer tokens.

A token reads ``<staff>.<id>.<secret>``. The first two parts are its public id (listed, and
named by ``hoso token revoke``), which says whose account holds it, so checking a token is one
aggregate read and one constant-time comparison of SHA-256 digests. The secret is 32 random
bytes: a digest without salt or stretching is enough for a secret nobody chose, unlike a
password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tracker.domain.errors import N_, BadInput

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
"""Long enough for a pass phrase; short enough that hashing a hostile one costs nothing."""

_hasher = PasswordHasher()  # argon2id with the library's defaults (RFC 9106 low-memory)
_DUMMY = _hasher.hash("a password nobody has")


def check_password_rules(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise BadInput(N_("a password has {min_password} to {max_password} characters"),
                       min_password=MIN_PASSWORD, max_password=MAX_PASSWORD)
    if len(set(password)) < 4:
        raise BadInput(N_("a password needs at least 4 different characters"))


def hash_password(password: str) -> str:
    check_password_rules(password)
    return _hasher.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    """True when ``password`` matches the stored hash. Without a stored hash a dummy is
    checked, so an account without a password takes as long to refuse as a wrong password."""
    if len(password) > MAX_PASSWORD:
        return False
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token(staff: str) -> tuple[str, str, str]:
    """A fresh token for ``staff``: (public id, the whole token, digest of its secret)."""
    token_id = f"{staff}.{secrets.token_hex(4)}"
    secret = secrets.token_urlsafe(32)
    return token_id, f"{token_id}.{secret}", digest(secret)


def split_token(token: str) -> tuple[str, str, str] | None:
    """(staff, public id, secret) of a well-formed token, else None."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts) or len(token) > 200:
        return None
    staff, suffix, secret = parts
    return staff, f"{staff}.{suffix}", secret


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def digest_matches(secret: str, expected: str) -> bool:
    return hmac.compare_digest(digest(secret), expected)

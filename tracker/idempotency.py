"""Idempotency keys: a retried request records nothing twice and gets the first answer back.

A request that carries a key is recorded together with what it did: an ``IdempotentRequest``
aggregate whose id derives from the key is saved in the same transaction as the command's
events. The store's uniqueness of (aggregate id, version) then settles every race, within a
process or across several: of two requests with one key, one commits and the other finds the
record. The record names the dossier and the version the command brought it to, so the first
answer is replayed from the log rather than copied into it. Records are never removed: a key is
kept as long as the log, well beyond the day a client may retry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from tracker.domain.errors import N_, BadInput, HosoError

KEY_PATTERN = r"^[\x21-\x7e]{8,128}$"
"""Printable ASCII without spaces, 8 to 128 characters: a UUID is the usual choice."""


class KeyReused(HosoError):
    """The key was used before for a different request."""

    code = "idempotency_key_reused"
    http_status = 422


class IdempotentRequest(Aggregate):
    """One request made with an idempotency key, and the dossier version it produced."""

    class Recorded(Aggregate.Created):
        fingerprint: str
        action: str
        code: str
        version: int

    def __init__(self, fingerprint: str, action: str, code: str, version: int) -> None:
        self.fingerprint = fingerprint
        self.action = action
        self.code = code
        self.version = version


def request_id(key: str) -> UUID:
    """The record's id: a hash of the key, so the key itself is not stored."""
    return uuid5(NAMESPACE_URL, f"hoso:idempotency-key:{key}")


def fingerprint(action: str, command: dict[str, Any]) -> str:
    """What makes two requests the same: the action and the command's fields."""
    canonical = json.dumps([action, command], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Claim:
    """A key and the request it is for, to be recorded with the request's events."""

    key: str
    fingerprint: str
    action: str

    def record(self, code: str, version: int) -> IdempotentRequest:
        return IdempotentRequest._create(
            IdempotentRequest.Recorded, id=request_id(self.key), fingerprint=self.fingerprint,
            action=self.action, code=code, version=version)


class AlreadyDone(Exception):
    """Raised out of a save when another request with this key committed first."""

    def __init__(self, claim: Claim) -> None:
        super().__init__(claim.action)
        self.claim = claim


pending: ContextVar[Claim | None] = ContextVar("hoso_idempotency_claim", default=None)
"""The claim of the command running in this context; the application's save records it."""


@contextmanager
def claiming(claim: Claim | None) -> Iterator[None]:
    token = pending.set(claim)
    try:
        yield
    finally:
        pending.reset(token)


T = TypeVar("T")


class RequestLog(Protocol):
    def idempotent_request(self, key: str) -> IdempotentRequest | None: ...


def at_most_once(log: RequestLog, claim: Claim, attempts: int, attempt: Callable[[], T],
                 earlier: Callable[[IdempotentRequest], T]) -> T:
    """``attempt()`` (which saves ``claim`` with what it records) once for ``claim``'s key: a
    repeat with the same request answers ``earlier(request)``, one with another request is
    refused (KeyReused), and a twin that got there first makes this one read its answer."""
    for _ in range(attempts):
        found = log.idempotent_request(claim.key)
        if found is not None:
            if found.fingerprint != claim.fingerprint:
                raise KeyReused(N_("this Idempotency-Key was already used for a different "
                                   "request; send a new key for a new request"))
            return earlier(found)
        try:
            return attempt()
        except AlreadyDone:
            continue
        except HosoError:
            if log.idempotent_request(claim.key) is None:
                raise  # refused on its own merits, not because a twin got there first
    raise BadInput(N_("this Idempotency-Key is being used by several requests at once; retry"))

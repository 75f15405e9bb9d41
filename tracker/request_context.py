"""The request being served, as a context variable: its id goes into every log line and into the
metadata of every event it records, with no import of the web framework below the web layer."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
"""An incoming X-Request-Id is kept when it matches this (a UUID, a proxy's hex id …); anything
else, which could carry text from outside into logs and events, is replaced."""

current_request_id: ContextVar[str | None] = ContextVar("hoso_request_id", default=None)


def new_request_id() -> str:
    """32 random hex digits."""
    return secrets.token_hex(16)


def request_id_from(header: str | None) -> str:
    """``header`` when it is a well-formed request id, else a new one."""
    if header is not None and REQUEST_ID.fullmatch(header):
        return header
    return new_request_id()


@contextmanager
def serving(request_id: str) -> Iterator[None]:
    """Run the body as the request ``request_id``."""
    token = current_request_id.set(request_id)
    try:
        yield
    finally:
        current_request_id.reset(token)

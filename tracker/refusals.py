"""What counts as a refusal, as opposed to a fault: errors that carry their own answer.

A refusal says why the request was not done and changed nothing. Each kind states its ``code``
(for programs), ``http_status`` (for the API) and ``exit_code`` (for the CLI) on its class; the
web's error handler and the CLI's ``main`` catch ``REFUSALS`` in one place each.
"""

from __future__ import annotations

from typing import Protocol

from storage.objects import StorageError
from tracker.domain.errors import HosoError


class Refusal(Protocol):
    code: str
    http_status: int
    exit_code: int


REFUSALS: tuple[type[Exception], ...] = (HosoError, StorageError)

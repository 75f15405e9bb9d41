"""Accounts: who may sign in, with which password hash, and the tokens issued to them.

One ``Account`` aggregate per staff member holds everything that decides whether a credential
is good: the password hash, whether the account is enabled, a ``generation`` that every
password change and every disabling advances (a page session made under an older generation is
over), and the tokens issued in the staff member's name. Keeping them in one aggregate makes
"disable ends every session and token" one event, and keeps each change in the same
tamper-evident log as the custody events. Hashing happens outside the domain: the aggregate
stores digests and hashes it is handed, never a secret.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from tracker.domain.codes import NAMESPACE
from tracker.domain.errors import N_, RuleViolation, UnknownReference

TOKEN_KINDS = ("api", "station", "handheld")
"""``api``: a staff member's program; ``station``: a scanning station, bound to its station
and office; ``handheld``: a courier's phone, bound to the courier."""


def account_id(staff: str) -> UUID:
    return uuid5(NAMESPACE, f"account/{staff}")


@dataclass(frozen=True)
class TokenGrant:
    """A token as the account keeps it: its public id and the SHA-256 of its secret."""

    id: str
    kind: str
    station: str | None
    office: str
    digest: str
    created: str
    expires: str
    revoked: bool = False

    def live(self, now: datetime) -> bool:
        return not self.revoked and now < datetime.fromisoformat(self.expires)


class Account(Aggregate):
    """A staff member's sign-in: password, enabled or not, tokens."""

    class Opened(Aggregate.Created):
        staff: str

    class PasswordSet(Aggregate.Event):
        password_hash: str
        by: str

        def apply(self, account: Account) -> None:
            account.password_hash = self.password_hash
            account.generation += 1

    class Disabled(Aggregate.Event):
        by: str

        def apply(self, account: Account) -> None:
            account.enabled = False
            account.generation += 1

    class Enabled(Aggregate.Event):
        by: str

        def apply(self, account: Account) -> None:
            account.enabled = True

    class TokenIssued(Aggregate.Event):
        grant: dict[str, str | bool | None]
        by: str

        def apply(self, account: Account) -> None:
            grant = TokenGrant(**self.grant)  # type: ignore[arg-type]
            account.tokens[grant.id] = grant

    class TokenRevoked(Aggregate.Event):
        token: str
        by: str

        def apply(self, account: Account) -> None:
            account.tokens[self.token] = replace(account.tokens[self.token], revoked=True)

    def __init__(self, staff: str) -> None:
        self.staff = staff
        self.password_hash: str | None = None
        self.enabled = True
        self.generation = 0
        self.tokens: dict[str, TokenGrant] = {}

    @classmethod
    def open(cls, staff: str) -> Account:
        return cls._create(cls.Opened, id=account_id(staff), staff=staff)

    def set_password(self, password_hash: str, by: str) -> None:
        self.trigger_event(self.PasswordSet, password_hash=password_hash, by=by)

    def disable(self, by: str) -> None:
        if self.enabled:
            self.trigger_event(self.Disabled, by=by)

    def enable(self, by: str) -> None:
        if not self.enabled:
            self.trigger_event(self.Enabled, by=by)

    def issue(self, grant: TokenGrant, by: str) -> None:
        if grant.id in self.tokens:
            raise RuleViolation("token-unique", N_("token {id} exists already"), id=grant.id)
        self.trigger_event(self.TokenIssued, grant=asdict(grant), by=by)

    def revoke(self, token: str, by: str) -> None:
        if token not in self.tokens:
            raise UnknownReference(N_("unknown token {token!r}"), token=token)
        if not self.tokens[token].revoked:
            self.trigger_event(self.TokenRevoked, token=token, by=by)

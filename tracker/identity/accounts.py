"""Accounts and tokens: setting passwords, disabling, issuing and revoking tokens, and turning a
password, a token or a page session back into an ``Identity``.

Every check reads the account and the province data as they are now: a staff member disabled
(here, or marked ``active: false`` in the province file), removed from the province file, or
whose token was revoked is refused on their very next request. Refusals of credentials all say
the same thing, so they tell a guesser nothing about which part was wrong.

Every API request checks a token, so the checks keep each account they read in memory and bring
it up to date from the store with the events recorded since (one indexed read, usually
returning nothing), instead of replaying all its events each time: the same answer as a fresh
read, whichever process recorded the change.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from eventsourcing.application import AggregateNotFoundError, Repository

from tracker.application import CustodyApplication
from tracker.domain.accounts import TOKEN_KINDS, Account, TokenGrant, account_id
from tracker.domain.errors import N_, BadInput, RuleViolation, Unauthenticated, UnknownReference
from tracker.domain.province import Staff
from tracker.identity import credentials
from tracker.identity.principal import Identity

MAX_TOKEN_DAYS = 730
DEFAULT_TOKEN_DAYS = 90
TOKEN_ROLES = {"station": ("operator", "receiver", "supervisor"), "handheld": ("courier",)}
"""Who a token of each kind may act as; ``api`` tokens are open to every role."""

WRONG_SIGN_IN = "wrong staff id or password, or the account is disabled"
WRONG_CREDENTIAL = "the token is unknown, expired or revoked, or its account is disabled"
CHECKED_ACCOUNTS = 4096
"""Accounts kept in memory for credential checks, the least recently used dropped first."""


class Accounts:
    """The accounts kept in ``app``'s event store, beside the custody events."""

    def __init__(self, app: CustodyApplication) -> None:
        self.app = app
        # read only: the checks never change what they read, so it is shared, not copied
        self._checked = Repository(app.events, cache_maxsize=CHECKED_ACCOUNTS,
                                   deepcopy_from_cache=False)

    # -- administration ---------------------------------------------------------------------

    def set_password(self, staff: str, password: str, by: str) -> None:
        """Give ``staff`` a password (opening their account on first use); every page session
        made with the old one ends."""
        self.app.province().person(staff)
        password_hash = credentials.hash_password(password)
        account = self.account(staff) or Account.open(staff)
        account.set_password(password_hash, by)
        self.app.save(account)

    def change_password(self, staff: str, current: str, new: str) -> int:
        """Change one's own password, proving the current one; the account's new generation
        (every other session of the account ends)."""
        account = self.account(staff)
        if account is None or not credentials.password_matches(account.password_hash, current):
            raise Unauthenticated(N_("the current password is wrong"))
        account.set_password(credentials.hash_password(new), staff)
        self.app.save(account)
        return account.generation

    def disable(self, staff: str, by: str) -> None:
        """End every session and token of ``staff``, now and until enabled again."""
        self.app.province().person(staff)
        account = self.account(staff) or Account.open(staff)
        account.disable(by)
        self.app.save(account)

    def enable(self, staff: str, by: str) -> None:
        account = self._existing(staff)
        account.enable(by)
        self.app.save(account)

    def issue_token(self, staff: str, kind: str, by: str, station: str | None = None,
                    days: int = DEFAULT_TOKEN_DAYS) -> tuple[TokenGrant, str]:
        """A new token for ``staff``: its grant, and the token itself, shown only this once."""
        person = self.app.province().person(staff)
        if kind not in TOKEN_KINDS:
            raise BadInput(N_("a token's kind is one of {items}, not {kind!r}"),
                           items=', '.join(TOKEN_KINDS), kind=kind)
        if (kind == "station") != (station is not None):
            raise BadInput(N_("a station token names its station (--station), other kinds do not"))
        if kind in TOKEN_ROLES and person.role not in TOKEN_ROLES[kind]:
            raise RuleViolation("token-role", N_("{staff} has the role {role}; a {kind} "
                                                 "token is for {items}"),
                                              staff=staff, role=person.role, kind=kind,
                                              items=' or '.join(TOKEN_ROLES[kind]))
        if not 1 <= days <= MAX_TOKEN_DAYS:
            raise BadInput(N_("a token lasts 1 to {max_token_days} days"),
                           max_token_days=MAX_TOKEN_DAYS)
        token_id, token, digest = credentials.new_token(staff)
        now = self.app.clock()
        grant = TokenGrant(id=token_id, kind=kind, station=station, office=person.office,
                           digest=digest, created=now.isoformat(),
                           expires=(now + timedelta(days=days)).isoformat())
        account = self.account(staff) or Account.open(staff)
        account.issue(grant, by)
        self.app.save(account)
        return grant, token

    def revoke_token(self, token_id: str, by: str) -> None:
        account = self.account(token_id.split(".")[0])
        if account is None or token_id not in account.tokens:
            raise UnknownReference(N_("unknown token {token_id!r}"), token_id=token_id)
        account.revoke(token_id, by)
        self.app.save(account)

    def rows(self) -> list[dict[str, Any]]:
        """Every staff member of the province file, with the state of their account."""
        rows = []
        for person in self.app.province().staff.values():
            account = self.account(person.id)
            rows.append({
                "staff": person.id, "name": person.name, "role": person.role,
                "office": person.office, "active_in_province": person.active,
                "has_password": bool(account and account.password_hash),
                "enabled": account.enabled if account else True,
                "live_tokens": sum(g.live(self.app.clock()) for g in account.tokens.values())
                if account else 0})
        return rows

    def token_rows(self, staff: str | None = None) -> list[dict[str, Any]]:
        """The tokens issued, without their digests: id, kind, station, office, dates, state."""
        people = [staff] if staff else list(self.app.province().staff)
        now = self.app.clock()
        rows = []
        for person in people:
            account = self.account(person)
            for grant in (account.tokens.values() if account else ()):
                state = "revoked" if grant.revoked else "live" if grant.live(now) else "expired"
                rows.append({"id": grant.id, "staff": person, "kind": grant.kind,
                             "station": grant.station, "office": grant.office,
                             "created": grant.created, "expires": grant.expires,
                             "state": state})
        return rows

    # -- authentication ---------------------------------------------------------------------

    def sign_in(self, staff: str, password: str) -> tuple[Identity, int]:
        """The identity a password proves, with the account's generation for the session."""
        account = self._checked_account(staff) if len(staff) <= 64 else None
        good = credentials.password_matches(account.password_hash if account else None,
                                            password)
        if not good or account is None:
            raise Unauthenticated(WRONG_SIGN_IN)
        return self._identity(account, "session", WRONG_SIGN_IN), account.generation

    def from_session(self, staff: str, generation: int) -> Identity:
        """The identity of a page session, unless its account changed since it was made."""
        account = self._checked_account(staff)
        if account is None or account.generation != generation:
            raise Unauthenticated(N_("the session has ended: sign in again"))
        return self._identity(account, "session", "the session has ended: sign in again")

    def from_token(self, token: str) -> Identity:
        parts = credentials.split_token(token)
        account = self._checked_account(parts[0]) if parts else None
        grant = account.tokens.get(parts[1]) if account and parts else None
        if (parts is None or account is None or grant is None
                or not credentials.digest_matches(parts[2], grant.digest)
                or not grant.live(self.app.clock())):
            raise Unauthenticated(WRONG_CREDENTIAL)
        identity = self._identity(account, grant.kind, WRONG_CREDENTIAL)
        if identity.office != grant.office:
            raise Unauthenticated(WRONG_CREDENTIAL)  # tokens stay at the office they were made for
        return Identity(identity.staff, identity.role, identity.office, grant.kind,
                        station=grant.station, token=grant.id)

    def _identity(self, account: Account, credential: str, refusal: str) -> Identity:
        person: Staff | None = self.app.province().staff.get(account.staff)
        if person is None or not person.active or not account.enabled:
            raise Unauthenticated(refusal)
        return Identity(person.id, person.role, person.office, credential)

    # -- helpers ----------------------------------------------------------------------------

    def account(self, staff: str) -> Account | None:
        """``staff``'s account read afresh, to change."""
        try:
            return cast(Account, self.app.repository.get(account_id(staff)))
        except AggregateNotFoundError:
            return None

    def _checked_account(self, staff: str) -> Account | None:
        """``staff``'s account as it is now, to check a credential against (never to change)."""
        try:
            return cast(Account, self._checked.get(account_id(staff)))
        except AggregateNotFoundError:
            return None

    def _existing(self, staff: str) -> Account:
        account = self.account(staff)
        if account is None:
            self.app.province().person(staff)
            raise UnknownReference(N_("{staff} has no account yet: set a password first"),
                                   staff=staff)
        return account

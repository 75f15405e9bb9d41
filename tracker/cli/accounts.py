"""``hoso account``, ``hoso token`` and ``hoso access-log``: the server operator's tools for
accounts, tokens and the log of personal-data reads.

The operator runs these on the server and already holds the database, so the CLI trusts them;
each change is recorded as made by ``cli:<login name>``.
"""

from __future__ import annotations

import getpass
import sys

import click

from tracker.cli.context import application, services
from tracker.cli.output import emit, json_option, table
from tracker.commands.parse import parse
from tracker.commands.queries import AccessLogQuery
from tracker.domain.accounts import TOKEN_KINDS
from tracker.domain.errors import N_, BadInput
from tracker.identity import access_log
from tracker.identity.accounts import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS


def operator() -> str:
    return f"cli:{getpass.getuser()}"


@click.group()
def account() -> None:
    """Staff accounts: passwords, disabling and enabling, the list."""


@account.command("set-password")
@click.argument("staff")
@click.option("--password-stdin", is_flag=True, required=True,
              help="Read the password from the first line of standard input.")
def set_password(staff: str, password_stdin: bool) -> None:
    """Set STAFF's password (opening the account); their page sessions end."""
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise BadInput(N_("no password on standard input"))
    services().accounts().set_password(staff, password, operator())
    emit({"staff": staff, "password": "set"}, lambda: [f"{staff}: password set"])


@account.command()
@click.argument("staff")
def disable(staff: str) -> None:
    """End STAFF's sessions and tokens, now and until enabled."""
    services().accounts().disable(staff, operator())
    emit({"staff": staff, "enabled": False}, lambda: [f"{staff}: disabled"])


@account.command()
@click.argument("staff")
def enable(staff: str) -> None:
    """Let STAFF sign in again (their old tokens stay revoked only if revoked)."""
    services().accounts().enable(staff, operator())
    emit({"staff": staff, "enabled": True}, lambda: [f"{staff}: enabled"])


@account.command("list")
@json_option
def list_accounts() -> None:
    """Every staff member of the province file and the state of their account."""
    rows = services().accounts().rows()
    emit(rows, lambda: table(rows, ["staff", "role", "office", "has_password", "enabled",
                                    "active_in_province", "live_tokens"]))


@click.group()
def token() -> None:
    """API tokens: for a staff member's programs, a scanning station, a courier's handheld."""


@token.command()
@click.option("--staff", required=True, help="The staff member the token acts as.")
@click.option("--kind", type=click.Choice(TOKEN_KINDS), default="api", show_default=True)
@click.option("--station", help="The scanning station a station token is bound to.")
@click.option("--expires-days", type=click.IntRange(1, MAX_TOKEN_DAYS),
              default=DEFAULT_TOKEN_DAYS, show_default=True)
@json_option
def create(staff: str, kind: str, station: str | None, expires_days: int) -> None:
    """Make a token; it is shown this once and stored only as a digest."""
    grant, secret = services().accounts().issue_token(staff, kind, operator(), station,
                                                      expires_days)
    emit({"id": grant.id, "token": secret, "kind": kind, "expires": grant.expires},
         lambda: [secret, f"(id {grant.id}, {kind}, expires {grant.expires}; "
                          "shown only this once)"])


@token.command()
@click.argument("token_id")
@json_option
def revoke(token_id: str) -> None:
    """Revoke the token TOKEN_ID (as ``token list`` shows it)."""
    services().accounts().revoke_token(token_id, operator())
    emit({"id": token_id, "state": "revoked"}, lambda: [f"{token_id}: revoked"])


@token.command("list")
@click.option("--staff", help="Only this staff member's tokens.")
@json_option
def list_tokens(staff: str | None) -> None:
    """The tokens issued, without their secrets."""
    rows = services().accounts().token_rows(staff)
    emit(rows, lambda: table(rows, ["id", "kind", "station", "office", "expires", "state"]))


@click.command("access-log")
@click.option("--dossier", help="Only reads of this dossier.")
@click.option("--staff", help="Only reads by this staff member.")
@click.option("--limit", type=int, default=1000, show_default=True)
@json_option
def access_log_command(dossier: str | None, staff: str | None, limit: int) -> None:
    """Who read which citizen's data, when, and through which route."""
    query = parse(AccessLogQuery, {"dossier": dossier, "staff": staff, "limit": limit})
    rows = access_log.entries(application(), query.dossier, query.staff, query.limit)
    emit(rows, lambda: table(rows, ["at", "staff", "role", "what", "dossier", "route"]))


COMMANDS = [account, token, access_log_command]

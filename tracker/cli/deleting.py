"""The options of a command that deletes: ``--dry-run`` to list what would go, ``--yes`` to
delete it, and exactly one of them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

import click

F = TypeVar("F", bound=Callable[..., Any])


def dry_run_or_yes(yes_help: str) -> Callable[[F], F]:
    """Give a command ``--dry-run`` and ``--yes`` (``yes_help`` says what it deletes); a call
    with neither or both is refused (exit 2), and the command is passed ``yes`` alone."""

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def checked(*args: Any, dry_run: bool, **kwargs: Any) -> Any:
            if dry_run == kwargs["yes"]:
                raise click.UsageError("give exactly one of --dry-run and --yes")
            return command(*args, **kwargs)

        with_yes = click.option("--yes", is_flag=True, help=yes_help)(checked)
        return cast(F, click.option("--dry-run", "dry_run", is_flag=True,
                                    help="List what would go; delete nothing.")(with_yes))

    return decorate

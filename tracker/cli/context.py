"""The application shared by one ``hoso`` invocation, built on first use."""

from __future__ import annotations

from typing import Any

import click

from tracker.application import CustodyApplication
from tracker.bootstrap import bootstrap


def application(create_tables: bool = False) -> CustodyApplication:
    """Only ``hoso init`` passes ``create_tables``; see tracker.bootstrap for why."""
    state: dict[str, Any] = click.get_current_context().find_root().ensure_object(dict)
    if "app" not in state:
        state["app"] = bootstrap(create_tables=create_tables)
    app: CustodyApplication = state["app"]
    return app

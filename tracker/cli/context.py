"""The services shared by one ``hoso`` invocation, composed on first use (tracker.bootstrap)."""

from __future__ import annotations

from typing import Any

import click

from tracker.application import CustodyApplication
from tracker.bootstrap import Services, compose


def services(create_tables: bool = False) -> Services:
    """This invocation's services, from the environment. Only ``hoso init`` passes
    ``create_tables``; see tracker.bootstrap for why."""
    state: dict[str, Any] = click.get_current_context().find_root().ensure_object(dict)
    if "services" not in state:
        state["services"] = compose(create_tables=create_tables)
    found: Services = state["services"]
    return found


def application(create_tables: bool = False) -> CustodyApplication:
    """This invocation's custody application (built on first use)."""
    return services(create_tables).application()

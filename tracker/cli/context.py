"""The application shared by one ``hoso`` invocation, built on first use."""

from __future__ import annotations

from typing import Any

import click

from tracker.application import CustodyApplication
from tracker.bootstrap import bootstrap


def application() -> CustodyApplication:
    state: dict[str, Any] = click.get_current_context().find_root().ensure_object(dict)
    if "app" not in state:
        state["app"] = bootstrap()
    app: CustodyApplication = state["app"]
    return app

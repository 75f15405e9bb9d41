"""``/healthz`` (the process answers and the store can be read) and ``/readyz`` (everything a
request may need is in order, else 503 naming what is not)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from tracker.readiness import (
    Check,
    checkpoint_check,
    kafka_check,
    object_store_check,
    relay_check,
)
from tracker.refusals import REFUSALS
from tracker.web.auth import services
from tracker.witness_readiness import witness_readiness

blueprint = Blueprint("health", __name__)
log = logging.getLogger("hoso.web")


@blueprint.get("/healthz")
def healthz() -> Response:
    custody = current_app.extensions["custody"]
    position = custody.recorder.max_notification_id()
    return jsonify({"status": "ok", "position": position or 0})


@blueprint.get("/readyz")
def readyz() -> tuple[Response, int]:
    """The store and the views, each ``ok`` or what is wrong with it. A dossier whose view
    could not apply an event is named here: its status is stale until the projector is fixed
    and the views rebuilt, which operators must see at once. So is a scheduled verification
    (HOSO_VIEW_VERIFY_SECONDS) whose last run found the views differing from the log. With
    witnesses, each one's lag is shown and a witness behind by more than the signing window
    is named; unready only when too few are within it for HOSO_WITNESS_QUORUM. Then the
    relay's lag, the object store, Kafka and the newest checkpoint (tracker.readiness)."""
    checks: dict[str, Any] = {}
    problems: list[str] = []
    try:
        checks["store"] = {"position": current_app.extensions["custody"]
                           .recorder.max_notification_id() or 0}
        views = services().views()
        attention = views.needing_attention()  # catches the views up when they follow
        progress = views.progress()
        verifier = services().view_verifier()
        checks["views"] = {"followed_by": progress["followed_by"],
                           "lag": max((v["lag"] or 0) for v in progress["views"])}
    except REFUSALS as error:  # e.g. a store 'hoso init' never set up
        problems.append(str(error))
    except Exception as error:  # readiness reports a failure rather than failing
        log.error("readiness check failed: %s", type(error).__name__, exc_info=error)
        problems.append(f"the store or the views cannot be read ({type(error).__name__})")
    else:
        checks["views"]["needs_attention"] = [
            {"code": row["code"], "version": row["version"], "event": row["event"],
             "reason": row["reason"]} for row in attention]
        problems += [f"the views of {row['code']} could not apply event {row['version']} "
                     f"({row['event']}): {row['reason']}" for row in attention]
        checks["views"]["verified"] = verifier.summary()
        problems += verifier.problems()
        witnesses, behind = witness_readiness(services())
        if witnesses is not None:
            checks["witnesses"] = witnesses
            problems += behind
    _beyond_the_store(checks, problems)
    if problems:
        return jsonify({"status": "unavailable", "problems": problems, "checks": checks}), 503
    return jsonify({"status": "ok", "checks": checks}), 200


def _beyond_the_store(checks: dict[str, Any], problems: list[str]) -> None:
    """The checks of tracker.readiness, each reported on its own: one failing check does not
    hide the others."""
    wired = services()
    now = wired.clock()
    named: list[tuple[str, Callable[[], Check | None]]] = [
        ("relay", lambda: relay_check(wired, now)),
        ("object_store", lambda: object_store_check(wired)),
        ("kafka", lambda: kafka_check(wired)),
        ("checkpoint", lambda: checkpoint_check(wired, now)),
    ]
    for name, run in named:
        try:
            found = run()
        except Exception as error:  # readiness reports a failure rather than failing
            log.error("readiness check %s failed: %s", name, type(error).__name__,
                      exc_info=error)
            problems.append(f"the {name.replace('_', ' ')} check failed "
                            f"({type(error).__name__})")
            continue
        if found is not None:
            checks[name], failed = found
            problems += failed

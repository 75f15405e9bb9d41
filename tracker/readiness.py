"""The readiness checks beyond the store and the views: the relay's lag, the object store,
Kafka, and the newest checkpoint against the signing window. Each gives what ``/readyz`` shows
and the problems that make the process unready; each is cheap (an indexed query or one short
request) so that a probe every few seconds costs little.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from storage.objects import StorageError, key_for
from tracker.bootstrap import Services
from tracker.store_gauges import relay_lag

PROBE_KEY = key_for("0" * 64)
"""A key no content has: asking whether it exists is the object store's cheapest round trip."""
KAFKA_TIMEOUT = 2.0
"""Seconds a metadata request to Kafka may take before Kafka counts as unreachable."""

Check = tuple[dict[str, Any], list[str]]


def relay_check(wired: Services, now: datetime) -> Check | None:
    """How far the Kafka relay is behind the log (None without Kafka); unready beyond
    HOSO_READY_RELAY_LAG_EVENTS events or HOSO_READY_RELAY_LAG_SECONDS seconds."""
    settings = wired.settings
    if settings.kafka_bootstrap is None:
        return None
    events, seconds = relay_lag(wired, now)
    check = {"lag_events": events, "lag_seconds": round(seconds, 1),
             "max_events": settings.ready_relay_lag_events,
             "max_seconds": settings.ready_relay_lag_seconds}
    problems = []
    if events > settings.ready_relay_lag_events or seconds > settings.ready_relay_lag_seconds:
        problems.append(f"the Kafka relay is {events} events and {seconds:.0f} s behind the log "
                        f"(at most {settings.ready_relay_lag_events} events and "
                        f"{settings.ready_relay_lag_seconds} s allowed)")
    return check, problems


def object_store_check(wired: Services) -> Check:
    """One existence query to the object store the application writes pages to."""
    objects = wired.application().objects
    try:
        objects.exists(PROBE_KEY)
    except (StorageError, OSError) as error:
        return {"reachable": False}, [f"the object store cannot be reached: {error}"]
    return {"reachable": True}, []


def kafka_check(wired: Services) -> Check | None:
    """A metadata request to HOSO_KAFKA_BOOTSTRAP (None without Kafka)."""
    bootstrap = wired.settings.kafka_bootstrap
    if bootstrap is None:
        return None
    from events.relay.kafka import probe

    failed = probe(bootstrap, KAFKA_TIMEOUT)
    if failed is None:
        return {"reachable": True}, []
    return {"reachable": False}, [f"Kafka at {bootstrap} does not answer within "
                                  f"{KAFKA_TIMEOUT:g} s: {failed}"]


def checkpoint_check(wired: Services, now: datetime) -> Check:
    """The newest checkpoint and the oldest event it does not cover: unready when that event
    has waited longer than the signing window and its grace (HOSO_CHECKPOINT_SECONDS plus
    HOSO_CHECKPOINT_GRACE), which ``hoso audit verify`` would fail."""
    log = wired.tamper_evident_log()
    latest = log.latest_checkpoint()
    signed = latest.size if latest is not None else 0
    size = log.size()
    check: dict[str, Any] = {
        "size": signed, "unsigned_events": max(size - signed, 0),
        "age_seconds": None if latest is None else round((now - latest.time).total_seconds(), 1)}
    if size <= signed:
        return check, []
    first = log.records_from_leaf(signed, 1)
    if not first:
        return check, []
    record = first[0]
    custody = wired.application()
    event = custody.mapper.to_domain_event(StoredEvent(
        originator_id=UUID(record.originator_id), originator_version=record.version,
        topic=record.topic, state=record.state))
    waited = (now - event.timestamp).total_seconds()  # type: ignore[attr-defined]
    allowed = wired.settings.checkpoint_seconds + wired.settings.checkpoint_grace
    check["unsigned_for_seconds"] = round(waited, 1)
    if waited <= allowed:
        return check, []
    return check, [f"{size - signed} events have waited {waited:.0f} s for a signed checkpoint "
                   f"(at most {allowed:g} s: HOSO_CHECKPOINT_SECONDS and "
                   f"HOSO_CHECKPOINT_GRACE); is the signer running?"]

"""``hoso storage``: put, get, check, sync and collect the objects scanned dossiers are made of.

An *orphan* is a stored object that no Digitised event names (``object_keys_named``): a scan
refused after its objects were stored and not deleted then, a killed station, an OCR job's
bundle. ``gc`` deletes orphans older than the grace period only, so a scan between storing its
objects and recording them (seconds to minutes) is never robbed of them.
"""

from __future__ import annotations

import os
import random
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from storage.filesystem import FilesystemObjectStore
from storage.objects import CorruptObject, MissingObject, ObjectStore, StoreUnavailable
from storage.spool import SpoolingObjectStore
from tracker.application import NotInitialised
from tracker.cli.context import application, services
from tracker.cli.deleting import dry_run_or_yes
from tracker.cli.output import emit, json_option


def _store() -> SpoolingObjectStore:
    return services().station_store()


@click.group()
def storage() -> None:
    """Object storage for scanned pages and PDFs."""


@storage.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--content-type", default="application/octet-stream", show_default=True)
@json_option
def put(file: Path, content_type: str) -> None:
    """Store FILE; prints its key (the content's SHA-256). Spooled if the store is down."""
    store = _store()
    with file.open("rb") as data:
        info = store.put(data, content_type)
    spooled = store.is_pending(info.key)
    emit({"key": info.key, "size": info.size, "spooled": spooled},
         lambda: [info.key + ("  (spooled: the object store is unreachable)" if spooled else "")])


@storage.command()
@click.argument("key")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@json_option
def get(key: str, output: Path) -> None:
    """Write the object KEY to a file, only once its bytes matched their hash."""
    stream = _store().get(key)
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in stream:
                out.write(chunk)
        os.replace(temp_name, output)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    emit({"key": key, "file": str(output), "size": output.stat().st_size},
         lambda: [f"{key} → {output}"])


@storage.command()
@json_option
def status() -> None:
    """Backend, object and orphan counts, and what waits in the spool (reported even while the
    store is unreachable; orphans only where the event store is set up)."""
    store = _store()
    spool = store.status()
    try:
        named: set[str] | None = application().object_keys_named()
    except NotInitialised:
        named = None  # a station's own machine keeps no events: orphans are the tracker's
    try:
        stored = list(store.primary.listing())
    except StoreUnavailable:
        stored = None  # the spool is what matters during an outage: still report it
    orphans = (None if stored is None or named is None
               else [key for key, _ in stored if key not in named])
    report = {
        "backend": store.backend,
        "reachable": stored is not None,
        "objects": None if stored is None else len(stored),
        "orphans": None if orphans is None else len(orphans),
        "spooled": spool.objects,
        "spool_bytes": spool.bytes,
        "oldest_spooled": spool.oldest.isoformat() if spool.oldest else None,
        "spool_rejected": spool.rejected,
        "partial_files": _partial_files(store.primary),
    }
    emit(report, lambda: [f"{k}: {v}" for k, v in report.items()])


@storage.command()
@click.option("--sample", type=click.IntRange(min=1),
              help="Re-read only N stored objects chosen at random (plus every named one).")
@json_option
def verify(sample: int | None) -> None:
    """Re-read stored objects and every object a Digitised event names; exit 1 if any is
    missing or corrupt."""
    store = _store()
    stored = list(store.keys())
    if sample is not None and sample < len(stored):
        stored = random.sample(stored, sample)
    named = application().object_keys_named()
    missing, corrupt = [], []
    for key in sorted(set(stored) | named):
        try:
            for _ in store.get(key):
                pass
        except MissingObject:
            missing.append(key)
        except CorruptObject:
            corrupt.append(key)
    report = {"checked": len(set(stored) | named), "named_by_events": len(named),
              "missing": missing, "corrupt": corrupt}
    emit(report, lambda: [f"checked {report['checked']} objects",
                          *(f"MISSING {k}" for k in missing), *(f"CORRUPT {k}" for k in corrupt)])
    if missing or corrupt:
        raise click.exceptions.Exit(1)


@storage.command()
@click.option("--once", is_flag=True, help="Upload what can be uploaded now, then stop.")
@json_option
def sync(once: bool) -> None:
    """Upload the spool to the object store, oldest first, retrying with back-off."""
    store = _store()
    if once:
        uploaded = store.sync_once()
        left = store.status().objects
        emit({"uploaded": uploaded, "spooled": left},
             lambda: [f"uploaded {uploaded}, {left} still spooled"])
        return
    stop = threading.Event()
    try:
        store.run_sync(stop)
    except KeyboardInterrupt:
        stop.set()


def _partial_files(store: ObjectStore) -> int | None:
    return store.partial_files() if isinstance(store, FilesystemObjectStore) else None


@storage.command()
@dry_run_or_yes("Delete the orphans listed.")
@click.option("--grace-hours", type=click.FloatRange(min=0), default=24.0, show_default=True,
              help="Leave orphans younger than this: a scan may still be recording them.")
@json_option
def gc(yes: bool, grace_hours: float) -> None:
    """Delete stored objects that no Digitised event names and older than the grace period
    (one of --dry-run or --yes); also clears writes killed before their rename."""
    store = _store().primary
    named = application().object_keys_named()
    cutoff = datetime.now(UTC) - timedelta(hours=grace_hours)
    orphans, young = [], 0
    for key, stored in store.listing():
        if key in named:
            continue
        if stored < cutoff:
            orphans.append(key)
        else:
            young += 1
    if yes:
        named_now = application().object_keys_named()  # an event recorded meanwhile wins
        orphans = [key for key in orphans if key not in named_now]
        for key in orphans:
            store.remove(key)
    partial = (store.clear_partial() if yes and isinstance(store, FilesystemObjectStore)
               else 0)
    report = {"orphans": orphans, "removed": len(orphans) if yes else 0,
              "kept_younger_than_grace": young, "partial_cleared": partial}
    emit(report, lambda: [*(f"{'removed' if yes else 'would remove'} {k}" for k in orphans),
                          f"{len(orphans)} orphan(s) {'removed' if yes else 'found'}; "
                          f"{young} younger than {grace_hours:g} h kept"])


COMMANDS = [storage]

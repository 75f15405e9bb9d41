"""``hoso audit rotate-key``: a new signing key takes over the log from a stated tree size.

The old key and the new one both sign a rotation statement (events.evidence.rotation), kept
beside the checkpoints and carried in every export; checkpoints the old key signed below that
size keep verifying with the new public key. What to do when a key was stolen is in the
README's operations notes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from events.evidence.checkpoints import CheckpointDirectory
from events.evidence.keys import (
    PRIVATE_KEY_FILE,
    PUBLIC_KEY_FILE,
    KeyFileError,
    replace_keypair,
)
from events.evidence.notes import Signer
from events.evidence.rotation import KeyRing, Rotation
from tracker.bootstrap import Services
from tracker.cli.context import services
from tracker.cli.output import emit, json_option
from tracker.domain.errors import BadInput

NEXT_STEPS = (
    "give every witness the new public key (hoso witness serve --log-key NEW.pub, and the old "
    "one too unless it was stolen) and every inspector the new audit.pub",
    "a running hoso serve signs with the new key from its next checkpoint once HOSO_AUDIT_KEY "
    "holds it (with --out, put it there); servers on other machines need this statement in "
    "their checkpoint folder and the new key first (docs/OPERATIONS.md)",
)


@click.command("rotate-key")
@click.option("--from-size", type=click.IntRange(0),
              help="The first tree size the new key signs (default: one more than the newest "
                   "checkpoint; at most one more than the log's size).")
@click.option("--out", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Write the new pair to DIR/audit.key and audit.pub instead of replacing the "
                   "configured key (for a HOSO_AUDIT_KEY kept as a secret elsewhere).")
@json_option
def rotate_key(from_size: int | None, directory: Path | None) -> None:
    """Make a new signing key for the log from a tree size on: both keys sign the statement,
    kept beside the checkpoints; the new key replaces the old (or goes to --out DIR) and signs
    the log at once when it has reached that size. A hoso serve running here follows: it
    signs with the new key from that size on, once the key file holds it."""
    wired = services()
    folder = wired.checkpoint_directory()
    with folder.rotation_lock(exclusive=True):  # no hoso serve here signs meanwhile
        document, lines = _rotate(wired, folder, from_size, directory)
    emit(document, lambda: lines)


def _rotate(wired: Services, folder: CheckpointDirectory, from_size: int | None,
            directory: Path | None) -> tuple[dict[str, Any], list[str]]:
    old = wired.signer()
    log = wired.tamper_evident_log()
    latest, size = log.latest_checkpoint(), log.size()
    lowest = latest.size + 1 if latest is not None else 0
    start = lowest if from_size is None else from_size
    if not lowest <= start <= size + 1:
        raise BadInput(f"--from-size must be from {lowest} (the old key signed checkpoints up "
                       f"to {lowest - 1}) to {size + 1} (the log's next leaf)")
    if directory is not None:
        key_path, pub_path = directory / PRIVATE_KEY_FILE, directory / PUBLIC_KEY_FILE
    else:
        key_path = wired.settings.audit_key or wired.settings.default_audit_key
        pub_path = wired.settings.audit_public_key or key_path.with_name(PUBLIC_KEY_FILE)
    now = wired.application().clock()
    new = Signer.generate(old.name)
    rotation = Rotation(log.origin, start, old.verifier, new.verifier, now)
    statement = folder.write_rotation(rotation.sign(new, old), rotation)
    folder.mark_rotation()  # a running server reads the statements again at its next signature
    try:
        replace_keypair(key_path, pub_path, new)
    except (KeyFileError, OSError) as error:
        raise BadInput(f"the statement is kept ({statement}) but the new key could not be "
                       f"written: {error}; rotate again with --out DIR") from None
    signed = log.checkpoint(new, now) if size >= start else None
    document = {
        "old_key": old.verifier.to_text(), "new_key": new.verifier.to_text(),
        "from_size": start, "statement": str(statement), "private_key": str(key_path),
        "public_key": str(pub_path), "checkpoint": signed[0].size if signed else None,
        "next_steps": list(NEXT_STEPS),
    }
    return document, [
        f"rotated: {rotation.label}", f"statement: {statement}",
        f"new key: {key_path} (public {pub_path})",
        f"signed with the new key at size {signed[0].size}" if signed else
        f"the new key signs once the log reaches {start} leaves",
        *(f"next: {step}" for step in NEXT_STEPS)]


def key_periods(keys: KeyRing) -> list[dict[str, Any]]:
    """The log's keys and the sizes each signs, as ``audit verify --json`` reports them."""
    return [{"key": p.verifier.to_text(), "from_size": p.first,
             "until_size": None if p.end is None else p.end - 1} for p in keys.periods]

"""``hoso witness``: run a witness for some log, and see how this log's witnesses keep up.

``keygen`` and ``serve`` need no store: a witness runs on another host, for another operator,
with nothing of hoso's but this command. ``status`` and ``submit`` are the log's side and read
HOSO_WITNESSES through the composition root.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import click

from events.evidence.cosignature import Cosignature, check_quorum
from events.evidence.keys import KeyFileError, load_verifier
from events.evidence.notes import Checkpoint, NoteError, note_text
from events.evidence.witness.client import Conflict, Cosigned, Outcome, Refused, Unreachable
from events.evidence.witness.keys import DEFAULT_NAME, generate_witness_keys, load_witness_signer
from events.evidence.witness.protocol import parse_cosignature_lines
from events.evidence.witness.server import Witness, make_server
from events.evidence.witness.state import EvidenceFolder, WitnessState
from tracker.bootstrap import Services
from tracker.cli.context import services
from tracker.cli.output import emit, json_option, table
from tracker.domain.errors import N_, BadInput
from tracker.logs import configure_logging

log = logging.getLogger("hoso.witness")


@click.group()
def witness() -> None:
    """Outside witnesses (c2sp.org/tlog-witness): keys, the server, the log's witnesses."""


@witness.command()
@click.option("--out", "directory", required=True,
              type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default=DEFAULT_NAME, show_default=True,
              help="The witness's key name; a schema-less URL is best (witness.example.org/w1).")
@json_option
def keygen(directory: Path, name: str) -> None:
    """Make a witness key pair: DIR/witness.key (0600) and DIR/witness.pub, the vkey the log
    operator puts in HOSO_WITNESSES."""
    try:
        private, public = generate_witness_keys(directory, name)
    except (KeyFileError, NoteError) as error:
        raise BadInput(str(error)) from None
    vkey = public.read_text(encoding="ascii").strip()
    emit({"private_key": str(private), "public_key": str(public), "vkey": vkey},
         lambda: [f"private key: {private} (never leaves this host)",
                  f"public key:  {public}", f"vkey:        {vkey}"])


@witness.command()
@click.option("--port", type=click.IntRange(0, 65535), required=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--key", "key_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The witness's private key (hoso witness keygen).")
@click.option("--state", "state_path", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="The state file: what the witness cosigned, kept across restarts.")
@click.option("--log-origin", required=True, help="The witnessed log's origin line.")
@click.option("--log-key", "log_keys", required=True, multiple=True,
              help="The witnessed log's public key: its audit.pub, or the key string; again "
                   "for each key it may sign with (its old and new key after a rotation).")
@click.option("--evidence", type=click.Path(file_okay=False, path_type=Path),
              help="Where refused requests are kept (default: evidence/ beside the state).")
def serve(port: int, host: str, key_path: Path, state_path: Path, log_origin: str,
          log_keys: tuple[str, ...], evidence: Path | None) -> None:
    """Witness one log: cosign its checkpoints over POST /add-checkpoint, never a rollback or
    a fork, until SIGTERM."""
    try:
        signer = load_witness_signer(key_path)
        log_verifiers = [load_verifier(key if "+" in key and not Path(key).is_file()
                                       else Path(key)) for key in log_keys]
        state = WitnessState(state_path, signer.verifier.label)
        if not state.load():
            state.save()
            click.echo(f"hoso: new witness state {state_path}", err=True)
    except (KeyFileError, NoteError, OSError) as error:
        raise BadInput(str(error)) from None
    folder = evidence or state_path.parent / "evidence"
    keeper = Witness(signer, {log_origin: log_verifiers}, state, EvidenceFolder(folder))
    try:
        server = make_server(keeper, host, port)
    except OSError as error:
        raise BadInput(N_("cannot listen on {host}:{port}: {strerror}"),
                       host=host, port=port, strerror=error.strerror) from None
    configure_logging()

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    held = state.head(log_origin)
    log.info("witness %s for %r (holds size %d) on http://%s:%d; evidence in %s",
             signer.verifier.to_text(), log_origin, held.size, host, server.server_address[1],
             folder)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    log.info("witness stopped")


@witness.command()
@json_option
def status() -> None:
    """Each configured witness: the newest checkpoint it cosigned for this log, and how far
    (leaves, checkpoints, time) it is behind the newest one."""
    rows = witness_status(services())
    emit(rows, lambda: table(rows, ["witness", "url", "cosigned_size", "lag_leaves",
                                    "lag_checkpoints", "behind_since"]) if rows
         else ["no witnesses configured (HOSO_WITNESSES)"])


def witness_status(wired: Services) -> list[dict[str, Any]]:
    endpoints = wired.witness_endpoints()
    if not endpoints:
        return []
    store = wired.cosignature_store()
    notes = wired.tamper_evident_log().recorder.select_checkpoints()
    checkpoints = [Checkpoint.parse(note_text(note)) for note in notes]
    newest = checkpoints[-1].size if checkpoints else 0
    rows = []
    for endpoint in endpoints:
        size = store.newest_by(endpoint.label)
        cosigned_at = None
        if size is not None:
            lines = store.lines_for(size)
            line = next((line for line in parse_cosignature_lines("".join(lines).encode())
                         if endpoint.verifier.made(line)), None) if lines else None
            cosigned_at = Cosignature.from_line(line).time.isoformat() if line else None
        later = [cp for cp in checkpoints if cp.size > (size or 0)]
        rows.append({"witness": endpoint.label, "url": endpoint.url, "cosigned_size": size,
                     "cosigned_at": cosigned_at, "newest_size": newest,
                     "lag_leaves": newest - (size or 0), "lag_checkpoints": len(later),
                     "behind_since": later[0].time.isoformat() if later else None})
    return rows


@witness.command()
@json_option
def submit() -> None:
    """Ask every configured witness to cosign the newest checkpoint now; exit 1 unless each
    one holds its cosignature afterwards."""
    wired = services()
    cosigning = wired.cosigning()
    if cosigning is None:
        raise BadInput(N_("HOSO_WITNESSES is not set: there is no witness to ask"))
    outcomes = cosigning.submit_all()
    rows = [{"witness": label, "outcome": _describe(outcome)}
            for label, outcome in outcomes.items()]
    latest = wired.tamper_evident_log().latest()
    quorum = None
    if latest is not None:
        checkpoint, note = latest
        lines = wired.cosignature_store().lines_for(checkpoint.size)
        quorum = check_quorum(note, lines, [e.verifier for e in wired.witness_endpoints()],
                              wired.settings.witness_quorum)
    emit({"witnesses": rows, "size": latest[0].size if latest else None,
          "quorum": quorum.to_dict() if quorum else None},
         lambda: [*(f"{r['witness']}: {r['outcome']}" for r in rows),
                  f"newest checkpoint: {quorum.describe()}" if quorum else "no checkpoint"])
    if quorum is None or quorum.missing:
        raise click.exceptions.Exit(1)


def _describe(outcome: Outcome | None) -> str:
    match outcome:
        case None:
            return "holds the newest checkpoint's cosignature already"
        case Cosigned(cosignature):
            return f"cosigned at {cosignature.time.isoformat()}"
        case Conflict(size):
            return f"holds size {size}; asked again and it still disagrees"
        case Refused(status, message):
            return f"refused ({status}): {message}"
        case Unreachable(error):
            return f"unreachable: {error}"
    return repr(outcome)


COMMANDS = [witness]

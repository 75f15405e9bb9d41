"""Where a batch comes from: files named by the operator, a SANE scanner's feeder, a watched folder.

Every source yields plain files, in page order, that the station then loads and processes; none
deletes anything. The scanner writes through ``scanimage --batch`` into a fresh folder (SANE's
own front end: no Python binding to keep in step with the drivers). A watched folder takes a file
only once it is fully written — its size and modification time unchanged over ``settle``
seconds, with the rest of the folder as quiet, or renamed into place from a ``.part``/dot-file —
and the station moves it to ``done/``, ``held/`` or ``failed/`` only after its objects are
stored (or it was refused), never before.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from scanning.errors import ScanningError
from storage.durable import fsync_directory

SCANNER_FORMAT = "png"  # lossless, and scanimage records the resolution in it (pHYs)
SCANNER_TIMEOUT = 1800.0  # a 100-sheet feeder at 300 dpi colour takes minutes, not hours
OUT_OF_DOCUMENTS = "out of documents"
IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload")


class ScannerFailed(ScanningError):
    """``scanimage`` failed before producing any page (no device, jammed, bad option)."""


def from_files(paths: Sequence[Path | str]) -> list[Path]:
    """The operator's files in the order given (a missing one is reported when loaded)."""
    return [Path(p) for p in paths]


@dataclass(frozen=True)
class ScannerSettings:
    device: str
    resolution: int = 300
    mode: str = "Color"
    source: str | None = None  # e.g. "ADF" / "Automatic Document Feeder"; driver-specific
    batch_count: int | None = None  # None: until the feeder is empty
    options: tuple[str, ...] = ()  # further driver options, e.g. ("--test-picture", "Grid")


def from_scanner(settings: ScannerSettings, into: Path,
                 timeout: float = SCANNER_TIMEOUT) -> list[Path]:
    """Feed the scanner's batch into ``into`` (created, must be empty) as page-0001.png, ….

    An empty feeder ends a batch normally; any other failure after some pages keeps those pages
    (they are real sheets already out of the feeder) and raises only when there are none.
    """
    into.mkdir(parents=True, exist_ok=True)
    if any(into.iterdir()):
        raise ScannerFailed(f"{into} is not empty: a batch needs a folder of its own")
    command = ["scanimage", "-d", settings.device, f"--batch={into}/page-%04d.{SCANNER_FORMAT}",
               f"--format={SCANNER_FORMAT}", "--mode", settings.mode,
               "--resolution", str(settings.resolution)]
    if settings.source:
        command += ["--source", settings.source]
    if settings.batch_count is not None:
        command.append(f"--batch-count={settings.batch_count}")
    command += settings.options
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except FileNotFoundError:
        raise ScannerFailed("scanimage is not installed (Debian package sane-utils)") from None
    except subprocess.TimeoutExpired:
        raise ScannerFailed(f"the scanner did not finish within {timeout:g} s") from None
    pages = sorted(into.glob(f"page-*.{SCANNER_FORMAT}"))
    if not pages:
        reason = _last_line(done.stderr) or f"exit status {done.returncode}"
        raise ScannerFailed(f"scanner {settings.device} produced no page: {reason}")
    return pages


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.startswith("scanimage:")]
    return lines[-1].removeprefix("scanimage: ") if lines else ""


class WatchedFolder:
    """A hot folder: scanners or people drop files in; each is taken once, when complete.

    ``done/``, ``held/`` and ``failed/`` live inside the folder; files there and names that say
    they are still being written (``.part``, ``.tmp``, leading dot) are never taken.
    """

    def __init__(self, root: Path, settle: float = 2.0) -> None:
        self.root = root
        self.settle = settle
        self.done = root / "done"
        self.held = root / "held"
        self.failed = root / "failed"
        self._seen: dict[Path, tuple[int, int, float]] = {}

    def prepare(self) -> None:
        for folder in (self.root, self.done, self.held, self.failed):
            folder.mkdir(parents=True, exist_ok=True)

    def ready(self) -> list[Path]:
        """The folder's files, in name order (scanners number their pages), once every one of
        them has kept its size and mtime for ``settle`` seconds; [] while any is still changing.

        Waiting for the whole folder to be quiet keeps a feeder's pages in one batch with their
        cover, instead of cutting the batch wherever a poll happened to fall.
        """
        now = time.monotonic()
        ready: list[Path] = []
        quiet = True
        present = set()
        for path in self._candidates():
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            present.add(path)
            signature = (stat.st_size, stat.st_mtime_ns)
            seen = self._seen.get(path)
            if seen is None or seen[:2] != signature:
                self._seen[path] = (*signature, now)
                quiet = False
            elif now - seen[2] < self.settle:
                quiet = False
            else:  # an empty settled file too: loading refuses it by name
                ready.append(path)
        for gone in set(self._seen) - present:
            del self._seen[gone]
        return ready if quiet else []

    def finish(self, path: Path, outcome: str) -> Path:
        """Move a processed file to done/, held/ (pages waiting for a dossier) or failed/,
        keeping a distinct name; only call this once its objects are stored or it was
        refused."""
        folders = {"done": self.done, "held": self.held, "failed": self.failed}
        if outcome not in folders:
            raise ValueError(f"outcome must be one of {', '.join(folders)}, not {outcome!r}")
        target_dir = folders[outcome]
        target = target_dir / path.name
        counter = 1
        while target.exists():
            target = target_dir / f"{path.stem}-{counter}{path.suffix}"
            counter += 1
        shutil.move(str(path), target)
        fsync_directory(target_dir)
        self._seen.pop(path, None)
        return target

    def watch(self, poll: float = 0.5, stop_after_idle: float | None = None
              ) -> Iterator[list[Path]]:
        """Yield each batch of ready files as it appears; with ``stop_after_idle``, end once
        nothing has been ready (or pending) for that long."""
        self.prepare()
        idle_since = time.monotonic()
        while True:
            batch = self.ready()
            if batch:
                yield batch
                idle_since = time.monotonic()
            elif self._seen:
                idle_since = time.monotonic()
            if stop_after_idle is not None and time.monotonic() - idle_since >= stop_after_idle:
                return
            time.sleep(poll)

    def _candidates(self) -> Iterator[Path]:
        for path in sorted(self.root.iterdir()):
            if (path.is_file() and not path.name.startswith(".")
                    and not path.name.endswith(IGNORED_SUFFIXES)):
                yield path


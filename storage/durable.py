"""Making a rename or a new file survive a crash: fsync of the directory that holds it."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def fsync_directory(directory: Path) -> None:
    """Flush the directory entry; some filesystems cannot, and then this does nothing."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)

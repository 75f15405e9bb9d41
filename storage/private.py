"""Folders and files that only hoso's own user may open: folders 0700, files 0600.

The data folder holds the SQLite store (applicant names and identity numbers), scanned pages
and the station spool. Folders are created private level by level (``Path.mkdir`` with
``parents`` gives the parents the default mode); ``tighten`` drops the group and other bits of
something that already exists and leaves a mode that has none alone, so a file already private
is never touched.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folders(path: Path) -> None:
    """Create ``path`` and every missing parent with mode 0700; existing folders stay as they
    are. Raises FileExistsError when ``path`` exists and is not a folder."""
    try:
        path.mkdir(mode=FOLDER_MODE)
    except FileNotFoundError:
        private_folders(path.parent)
        private_folders(path)
    except FileExistsError:
        if not path.is_dir():
            raise


def private_folder(path: Path) -> None:
    """``path`` created as by ``private_folders``, or tightened to 0700 when it exists."""
    private_folders(path)
    tighten(path)


def private_file(path: Path) -> None:
    """``path`` created empty with mode 0600 when absent, else tightened to 0600. Creating it
    first is what makes a later opener's sibling files private too (SQLite gives its -wal and
    -shm files the database file's mode)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     FILE_MODE)
    except FileExistsError:
        tighten(path)
    else:
        os.close(fd)


def tighten(path: Path) -> None:
    """Drop the group and other bits of ``path`` (a folder becomes 0700, a file 0600); nothing
    when it is absent or already has none."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        path.chmod(FOLDER_MODE if path.is_dir() else FILE_MODE)

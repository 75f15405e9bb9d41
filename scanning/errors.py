"""Errors of the scanning pipeline: each names the file (and page) it is about.

``scanning`` never imports the tracker, so these carry no exit code of their own; the CLI maps
``BadPage`` to bad input (exit 2) because the operator can fix it by rescanning the page.
"""

from __future__ import annotations


class ScanningError(Exception):
    """Base of every error the scanning pipeline raises on purpose."""


class BadPage(ScanningError):
    """A file that cannot be a page: corrupt, truncated, empty, not an image, or too large."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason

"""The generated scan corpus, drawn once per test run and shared by the test workers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.scanning.corpus import (
    ADMIN_SET,
    BLANK_SET,
    FORM_SET,
    QUALITY_SET,
    TEXT_SET,
    Generated,
    write_case,
)

CASES = {case.name: case for case in TEXT_SET + ADMIN_SET + FORM_SET + BLANK_SET + QUALITY_SET}


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """One folder for the whole run: pytest-xdist workers share their base temp's parent, and
    ``write_case`` renames finished files into place, so a page is drawn at most once a worker
    and read whole by all."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if worker_id != "master" else base
    folder = root / "scan-corpus"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def generated(corpus_dir: Path) -> Callable[[str], Generated]:
    """``generated(name)``: the named corpus page, written on first use."""
    return lambda name: write_case(CASES[name], corpus_dir)

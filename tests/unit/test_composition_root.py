"""One composition root: only tracker.bootstrap reads the settings and picks the backend.

import-linter keeps tracker.settings out of the CLI and the web; these tests state the rest,
which an import contract cannot: nothing else calls ``Settings.from_environ``, and no module
picks a backend by testing what type of datastore or recorder it was given.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tracker.bootstrap import POSTGRES, SQLITE, backend_for
from tracker.settings import Settings

ROOT = Path(__file__).parents[2]
PACKAGES = ("tracker", "events", "storage", "scanning")
SETTINGS_READERS = {"tracker/settings.py", "tracker/bootstrap.py"}


def modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def calls(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def test_only_the_composition_root_reads_the_settings() -> None:
    """GIVEN every module of hoso
    THEN Settings.from_environ is called only by tracker.settings and tracker.bootstrap."""
    readers = {
        str(path.relative_to(ROOT))
        for path in modules()
        for call in calls(path)
        if isinstance(call.func, ast.Attribute) and call.func.attr == "from_environ"
    }
    assert readers <= SETTINGS_READERS


def test_no_module_picks_a_backend_by_type() -> None:
    """GIVEN every module of hoso
    THEN none asks whether something is a datastore or a recorder of some kind: the backend is
    chosen once, from the settings, by tracker.bootstrap.backend_for."""
    checks = [
        f"{path.relative_to(ROOT)}:{call.lineno}"
        for path in modules()
        for call in calls(path)
        if isinstance(call.func, ast.Name) and call.func.id == "isinstance"
        and len(call.args) == 2
        and any(name.endswith(("Datastore", "Recorder"))
                for name in _names(call.args[1]))
    ]
    assert not checks


def _names(node: ast.expr) -> list[str]:
    return [n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(node)
            if isinstance(n, ast.Name | ast.Attribute)]


def test_the_backend_follows_the_database_url(tmp_path: Path) -> None:
    """GIVEN settings with and without HOSO_DATABASE_URL
    THEN PostgreSQL is chosen with one and SQLite without, each naming its hashing recorder."""
    sqlite = Settings.from_environ({"HOSO_DATA_DIR": str(tmp_path)})
    postgres = Settings.from_environ({"HOSO_DATA_DIR": str(tmp_path),
                                      "HOSO_DATABASE_URL": "postgresql://u:p@db:5432/hoso"})
    assert backend_for(sqlite) is SQLITE
    assert backend_for(postgres) is POSTGRES
    assert SQLITE.recorder_topic() == "events.store.sqlite:HashingSQLiteApplicationRecorder"
    assert POSTGRES.recorder_topic() == (
        "events.store.postgres:HashingPostgresApplicationRecorder")

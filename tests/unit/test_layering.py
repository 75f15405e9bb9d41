"""The domain imports only the standard library, eventsourcing.domain and itself.

import-linter (run by scripts/test.sh) forbids named packages; this test states the positive rule,
which import-linter cannot express for a library's submodules.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).parents[2] / "tracker" / "domain"
ALLOWED = {"eventsourcing.domain"}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_domain_modules_import_nothing_else() -> None:
    offenders = {
        f"{path.name}: {name}"
        for path in DOMAIN.glob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] not in sys.stdlib_module_names
        and name not in ALLOWED
        and not name.startswith("tracker.domain")
    }
    assert not offenders

"""Each library's import contract covers every package, so a new module cannot escape it."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


def importlinter() -> dict[str, Any]:
    config: dict[str, Any] = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    return dict(config["tool"]["importlinter"])


def library_contracts() -> list[dict[str, Any]]:
    """The forbidden contracts that keep third-party libraries to their adapters."""
    config = importlinter()
    roots = tuple(config["root_packages"])
    return [c for c in config["contracts"] if c["type"] == "forbidden"
            and not any(m == r or m.startswith(r + ".") for m in c["forbidden_modules"]
                        for r in roots)]


def test_every_library_contract_takes_every_package_as_its_source() -> None:
    contracts = library_contracts()
    assert {"minio", "kafka", "flask", "zxingcpp", "cv2", "pytesseract"} <= {
        module for c in contracts for module in c["forbidden_modules"]}
    roots = sorted(importlinter()["root_packages"])
    assert [(c["name"], sorted(c["source_modules"])) for c in contracts] == [
        (c["name"], roots) for c in contracts]


def test_each_allowance_is_one_import_of_a_forbidden_library() -> None:
    """Allowances are single 'module -> library' imports, never a whole package's sources."""
    for contract in library_contracts():
        assert contract.get("ignore_imports"), contract["name"]
        for allowance in contract["ignore_imports"]:
            importer, _, library = allowance.partition(" -> ")
            assert library in contract["forbidden_modules"], allowance
            assert importer.split(".")[0] in importlinter()["root_packages"], allowance
            assert importer.count(".") >= 1, allowance

"""Runs the real ``hoso`` command in a subprocess, on the store a test's environment names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


class Hoso:
    def __init__(self, store_env: dict[str, str]) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith("HOSO_")}
        self.env = {**base, **store_env}

    def __call__(self, *args: str) -> Result:
        done = subprocess.run([sys.executable, "-m", "tracker.cli.main", *args],
                              env=self.env, capture_output=True, text=True, timeout=120)
        return Result(done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str) -> Any:
        """Run with --json, require exit 0, return the parsed document."""
        result = self(*args, "--json")
        assert result.code == 0, result.stderr
        return result.json()

"""The benchmarks still run and print one JSON document (tiny sizes; no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize(("script", "args", "key"), [
    ("custody.py", ["--count", "5", "--backend", "both"], "backends"),
    ("storage.py", ["--scale", "0.02"], "s3"),
    ("audit.py", ["--events", "2000", "--appends", "20", "--rounds", "1",
                  "--signer-seconds", "0.5", "--signer-rounds", "1"], "verify"),
    ("projections.py", ["--events", "200", "--rate", "100", "--seconds", "1",
                        "--rebuild-events", "3000"], "rebuild"),
    ("barcodes.py", ["--rounds", "1"], "ms_per_cover"),
    ("ocr.py", ["--pages", "1", "--rounds", "1"], "ratios"),
    ("http.py", ["--quick"], "backends"),
    ("report.py", ["--dossiers", "500", "--rounds", "1"], "timings"),
])
def test_bench_prints_one_json_document(script: str, args: list[str], key: str) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert key in json.loads(done.stdout)

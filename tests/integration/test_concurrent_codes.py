"""50 parallel receptions at one office get 50 distinct codes with no gap (separate processes)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.cast import cast_from
from tests.hoso_cli import Hoso
from tracker.domain.codes import DossierCode
from tracker.domain.province import Province
from tracker.province_file import demo_province_path, load_province_file

PARALLEL = 50


def test_parallel_receptions_get_distinct_gap_free_codes(store_env: dict[str, str]) -> None:
    # GIVEN a store with the demo province and one commune counter
    hoso = Hoso(store_env)
    hoso.ok("init", "--demo")
    c = cast_from(Province(load_province_file(demo_province_path())))
    components = [a for comp in c.components for a in ("--component", comp)]
    # WHEN 50 processes receive a dossier there at the same time
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tracker.cli.main", "receive", "--office", c.commune,
             "--procedure", c.procedure.code, "--applicant-name", f"Công dân {n}",
             "--applicant-id", f"0010900{n:05d}", "--actor", c.receiver, *components,
             "--json"],
            env=hoso.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in range(PARALLEL)
    ]
    outputs = [p.communicate(timeout=300) for p in processes]
    # THEN every one succeeded, and the codes are 0001…0050 of one day, each once
    failures = [err for p, (_, err) in zip(processes, outputs, strict=True) if p.returncode]
    assert not failures
    codes = [DossierCode.parse(json.loads(out)["code"]) for out, _ in outputs]
    assert {code.office for code in codes} == {c.commune}
    assert len({code.day for code in codes}) == 1
    assert sorted(code.number for code in codes) == list(range(1, PARALLEL + 1))
    # AND each code names its own stored dossier
    names = {hoso.ok("status", str(code))["applicant_name"] for code in codes}
    assert len(names) == PARALLEL

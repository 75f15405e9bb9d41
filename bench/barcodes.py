"""Cover-sheet decoding time (ms a cover) on the rough zint-made set, against full-size decoding.

Every cover of ``tests/station/covers.py``'s rough set (Code 128 and QR, at the four right
angles, skewed, blurred, noisy, JPEG-compressed, 150–300 dpi) is drawn once, then decoded
``--rounds`` times by ``scanning.barcodes.read_barcodes`` (a downscaled copy first, full size only
when that finds nothing) and, in the same run, by zxing-cpp on the full-size page (the baseline:
what the reader costs without downscaling). Also timed: a page without any symbol, which is most
of a batch and pays both passes. Target: every cover decoded, under 50 ms a cover.

Usage, from the repository root:
    .venv/bin/python bench/barcodes.py [--rounds 5]
One JSON document goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from statistics import mean, median
from time import perf_counter
from typing import TypeVar

# Run as a script, this file's folder comes first on sys.path; the repository root holds the
# scanning package and the cover generator in tests/, which is not installed.
ROOT = Path(__file__).resolve().parents[1]
sys.path[:1] = [str(ROOT)]

import numpy as np  # noqa: E402
import zxingcpp  # noqa: E402

from scanning.barcodes import READ_FORMATS, read_barcodes  # noqa: E402
from tests.station.covers import ROUGH_SET, CoverCase, cover_page  # noqa: E402

CODE = "000.21.11.H40-260310-0042"
T = TypeVar("T")


def timed_ms(work: Callable[[np.ndarray], T], page: np.ndarray, rounds: int) -> tuple[float, T]:
    """The median of ``rounds`` timings of ``work(page)`` in milliseconds, and its last result."""
    times = []
    for _ in range(rounds):
        start = perf_counter()
        result = work(page)
        times.append((perf_counter() - start) * 1000)
    return median(times), result


def full_size(page: np.ndarray) -> list[str]:
    return [s.text for s in zxingcpp.read_barcodes(page, formats=READ_FORMATS)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        pages = [(case, cover_page(CODE, case, Path(tmp))) for case in ROUGH_SET]
        plain = cover_page(CODE, CoverCase(formats=()), Path(tmp))
    for case, page in pages:
        hoso_ms, found = timed_ms(read_barcodes, page, args.rounds)
        base_ms, _ = timed_ms(full_size, page, args.rounds)
        decoded = {(b.text, b.format) for b in found} == {(CODE, f) for f in case.formats}
        rows.append({"cover": case.name, "decoded": decoded, "ms": round(hoso_ms, 2),
                     "full_size_ms": round(base_ms, 2)})
    blank_ms, _ = timed_ms(read_barcodes, plain, args.rounds)
    hoso = [r["ms"] for r in rows]
    base = [r["full_size_ms"] for r in rows]
    print(json.dumps({
        "covers": len(rows),
        "decoded": sum(bool(r["decoded"]) for r in rows),
        "ms_per_cover": {"mean": round(mean(hoso), 2), "max": round(max(hoso), 2)},
        "baseline_full_size_ms_per_cover": {"mean": round(mean(base), 2),
                                            "max": round(max(base), 2)},
        "speedup_vs_full_size": round(mean(base) / mean(hoso), 2),
        "page_without_symbol_ms": round(blank_ms, 2),
        "target_ms_per_cover": 50,
        "rounds": args.rounds,
        "machine": {"python": platform.python_version(), "cpus": 2},
        "per_cover": rows,
    }, indent=2))


if __name__ == "__main__":
    main()

"""A real browser for page tests: Debian's chromium driven by Playwright (never a downloaded
browser), and a folder where each test leaves its screenshots for people to look at.

Screenshots go to ``HOSO_TEST_ARTEFACTS`` or ``test-artefacts/`` at the repository root, one
sub-folder per test.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.browser.site import PASSWORD, PHONE, STAFF, Site
from tests.servers.hoso import HOSO, live_hoso

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium")
    launched = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
    yield launched
    launched.close()


@pytest.fixture
def artefacts(request: pytest.FixtureRequest) -> Path:
    """This test's folder for screenshots, emptied first."""
    base = Path(os.environ.get("HOSO_TEST_ARTEFACTS") or ROOT / "test-artefacts")
    folder = base / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder



@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("browser")
    env = {**os.environ, "HOSO_DATA_DIR": str(folder / "var")}

    def hoso(*args: str, stdin: str | None = None) -> str:
        return subprocess.run([str(HOSO), *args], input=stdin, text=True, env=env,
                              check=True, capture_output=True).stdout

    hoso("init", "--demo")
    hoso("account", "set-password", STAFF, "--password-stdin", stdin=PASSWORD)
    received = json.loads(hoso(
        "receive", "--office", "000.00.01.H40", "--procedure", "1.004227", "--actor", STAFF,
        "--applicant-name", "Phạm Thị Hoa", "--applicant-id", "035190004321",
        "--phone", PHONE, "--accept-incomplete", "--json"))
    with live_hoso({"HOSO_DATA_DIR": env["HOSO_DATA_DIR"]}, folder, init=False) as base:
        yield Site(base, received["code"])

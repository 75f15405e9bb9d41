"""The inspector's live site for the browser tests: a dossier received, sent on and accepted,
and a server signing a checkpoint every second; and signing in as the inspector."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.site import Site, open_page
from tests.servers.hoso import HOSO, live_hoso

INSPECTOR, PASSWORD = "hnm-ins-001", "mật khẩu của thanh tra 2026"
RECEIVER, COURIER, OFFICIAL = "hnm-rcv-001", "pl-cur-001", "pl-off-002"
AGENCY = "000.21.01.H40"


def inspected_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A live site (signing a checkpoint every second) where a dossier received at the
    provincial centre was sent to Phủ Lý's land registration branch and accepted there."""
    folder = tmp_path_factory.mktemp("inspector")
    env = {**os.environ, "HOSO_DATA_DIR": str(folder / "var")}

    def hoso(*args: str, stdin: str | None = None) -> str:
        return subprocess.run([str(HOSO), *args], input=stdin, text=True, env=env,
                              check=True, capture_output=True).stdout

    hoso("init", "--demo")
    hoso("account", "set-password", INSPECTOR, "--password-stdin", stdin=PASSWORD)
    code = json.loads(hoso(
        "receive", "--office", "000.00.01.H40", "--procedure", "1.004227", "--actor",
        RECEIVER, "--applicant-name", "Đỗ Thị Hương", "--applicant-id", "035190005678",
        "--accept-incomplete", "--json"))["code"]
    hoso("handover", code, "--by", RECEIVER, "--courier", COURIER, "--to-office", AGENCY)
    hoso("accept", code, "--by", OFFICIAL, "--office", AGENCY)
    with live_hoso({"HOSO_DATA_DIR": env["HOSO_DATA_DIR"], "HOSO_CHECKPOINT_SECONDS": "1"},
                   folder, init=False) as base:
        yield Site(base, code)


def signed_in(browser: Browser, site: Site, width: int) -> tuple[Page, list[str]]:
    page, problems = open_page(browser, width, 900)
    page.goto(f"{site.base}/sign-in")
    page.fill("#staff", INSPECTOR)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    return page, problems


def too_wide(page: Page, width: int) -> list[str]:
    """The elements reaching past the screen's right edge (none: nothing is hidden)."""
    wide: list[str] = page.evaluate(
        """w => [...document.querySelectorAll('body *')]
             .filter(e => e.getBoundingClientRect().right > w + 0.5)
             .map(e => e.tagName + ': ' + (e.textContent || '').trim().slice(0, 40))""", width)
    return wide



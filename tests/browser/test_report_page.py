"""A provincial manager in a real browser: the inspector opens the report for a month, reads
its figures and charts and downloads the XLSX, on a desk screen and on a 360 px phone."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser.site import Site, open_page
from tests.browser.test_accessibility import serious
from tests.conftest import ManualClock
from tests.month import SAMPLER, run_month
from tests.servers.hoso import HOSO, live_hoso
from tests.xlsx import sheet_rows
from tracker.bootstrap import compose
from tracker.settings import Settings

INSPECTOR, PASSWORD = "hnm-ins-001", "mật khẩu của thanh tra 2026"


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A live site holding tests/month.py's sample month (February and March 2026)."""
    folder = tmp_path_factory.mktemp("report")
    env = {**os.environ, "HOSO_DATA_DIR": str(folder / "var")}

    def hoso(*args: str, stdin: str | None = None) -> str:
        return subprocess.run([str(HOSO), *args], input=stdin, text=True, env=env,
                              check=True, capture_output=True).stdout

    hoso("init", "--demo")
    hoso("account", "set-password", INSPECTOR, "--password-stdin", stdin=PASSWORD)
    clock = ManualClock(datetime.fromisoformat("2026-03-01T09:00:00+07:00"))
    services = compose(Settings.from_environ({"HOSO_DATA_DIR": env["HOSO_DATA_DIR"]}),
                       clock=clock)
    try:
        run_month(services.application(), clock, SAMPLER)
    finally:
        services.close()
    with live_hoso({"HOSO_DATA_DIR": env["HOSO_DATA_DIR"]}, folder, init=False) as base:
        yield Site(base, "")


@pytest.mark.parametrize("width", [1280, 360])
def test_an_inspector_reads_a_month_and_downloads_the_workbook(
        browser: Browser, month: Site, artefacts: Path, width: int) -> None:
    page, problems = open_page(browser, width, 900)
    page.goto(f"{month.base}/sign-in")
    page.fill("#staff", INSPECTOR)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    with page.expect_navigation():
        page.click("a[href='/report']")
    page.fill("#from", "2026-03-01")
    page.fill("#to", "2026-03-31")
    page.select_option("#by", "level")
    page.screenshot(path=artefacts / f"1-filters-{width}.png", full_page=True)
    with page.expect_navigation():
        page.press("#to", "Enter")  # the keyboard sends the form
    main = page.inner_text("main")
    assert "Từ 01/03/2026 đến 31/03/2026" in main
    figures = {name: page.inner_text(f"td[data-figure='{name}']")
               for name in ("received_total", "received", "carried_over", "resolved")}
    # SAMPLER: 18 received in March, 2 in February (both still open on 1 March); resolved in
    # March: the February early one, 2 early, 2 on time, 2 after a supplement, 2 overdue
    assert figures == {"received_total": "20", "received": "18", "carried_over": "2",
                       "resolved": "9"}
    assert page.locator("svg.chart").count() == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing hidden
    page.screenshot(path=artefacts / f"2-report-{width}.png", full_page=True)
    assert serious(page, "the report") == []

    with page.expect_download() as download:
        page.click("a[href^='/report.xlsx']")
    workbook = artefacts / f"report-{width}.xlsx"
    download.value.save_as(workbook)
    assert download.value.suggested_filename == "bao-cao-2026-03-01-2026-03-31.xlsx"
    rows = sheet_rows(workbook.read_bytes())
    header = next(row for row in rows if row and row[0] == "level")
    total = dict(zip(header, next(row for row in rows if row and row[0] == "total"),
                     strict=True))
    assert {name: str(int(total[name])) for name in figures} == figures
    assert problems == []
    page.close()

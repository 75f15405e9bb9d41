"""An official at the agency, in a real browser: the queue shows the dossier that arrived, the
dossier's page reschedules it with a reason, and the apology slip (Mẫu 04) comes out with the
new date, on a desk screen and on a 360 px phone."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser.site import Site, open_page
from tests.browser.test_accessibility import serious
from tests.servers.hoso import HOSO, live_hoso
from tracker.slips.layout import date_words

OFFICIAL, PASSWORD = "pl-off-002", "mật khẩu của chuyên viên 2026"
AGENCY = "000.21.01.H40"


@pytest.fixture(scope="module")
def arrived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A live site where a dossier received at the provincial centre has been accepted at
    Phủ Lý's land registration branch, where OFFICIAL works."""
    folder = tmp_path_factory.mktemp("office")
    env = {**os.environ, "HOSO_DATA_DIR": str(folder / "var")}

    def hoso(*args: str, stdin: str | None = None) -> str:
        return subprocess.run([str(HOSO), *args], input=stdin, text=True, env=env,
                              check=True, capture_output=True).stdout

    hoso("init", "--demo")
    hoso("account", "set-password", OFFICIAL, "--password-stdin", stdin=PASSWORD)
    code = json.loads(hoso(
        "receive", "--office", "000.00.01.H40", "--procedure", "1.004227", "--actor",
        "hnm-rcv-001", "--applicant-name", "Trần Văn Bảo", "--applicant-id", "035190001234",
        "--accept-incomplete", "--json"))["code"]
    hoso("handover", code, "--by", "hnm-rcv-001", "--courier", "pl-cur-001",
         "--to-office", AGENCY)
    hoso("accept", code, "--by", OFFICIAL, "--office", AGENCY)
    with live_hoso({"HOSO_DATA_DIR": env["HOSO_DATA_DIR"]}, folder, init=False) as base:
        yield Site(base, code)


@pytest.mark.parametrize("width", [1280, 360])
def test_a_reschedule_prints_the_apology_slip(browser: Browser, arrived: Site, artefacts: Path,
                                              width: int) -> None:
    page, problems = open_page(browser, width, 900)
    page.goto(f"{arrived.base}/sign-in")
    page.fill("#staff", OFFICIAL)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    page.goto(f"{arrived.base}/queue")
    assert arrived.code in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing hidden
    page.screenshot(path=artefacts / f"1-queue-{width}.png", full_page=True)
    with page.expect_navigation():
        page.click(f"a:has-text('{arrived.code}') >> nth=0")

    new_date = date(2027, 1, 15 + (width == 360))  # each run moves the date further
    page.fill("#to", new_date.isoformat())
    page.fill("#reason-reschedule", "Cần xác minh thêm nguồn gốc đất")
    page.screenshot(path=artefacts / f"2-reschedule-{width}.png", full_page=True)
    with page.expect_navigation():
        page.click("form[action$='/reschedule'] button[type=submit]")
    page.screenshot(path=artefacts / f"3-rescheduled-{width}.png", full_page=True)
    assert serious(page, "dossier page after a reschedule") == []

    with page.expect_download() as download:
        page.click(f"a[href$='/dossiers/{arrived.code}/slips/apology.pdf'] >> nth=0")
    slip = artefacts / f"apology-{width}.pdf"
    download.value.save_as(slip)
    text = subprocess.run(["pdftotext", "-layout", str(slip), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
    assert arrived.code in text
    assert date_words(new_date) in text
    assert "Cần xác minh thêm nguồn gốc đất" in text
    assert problems == []
    page.close()

"""A receiver at the counter, in a real browser: sign in, find the procedure without accents,
tick the checklist, receive, and print the receipt slip."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime
from pathlib import Path

from playwright.sync_api import Browser

from tests.browser.site import PASSWORD, STAFF, Site, open_page
from tracker.slips.layout import date_words


def test_a_receiver_receives_through_the_checklist_and_prints_the_receipt(
        browser: Browser, site: Site, artefacts: Path) -> None:
    page, problems = open_page(browser, 1280, 900)
    page.goto(f"{site.base}/sign-in")
    page.fill("#staff", STAFF)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    with page.expect_navigation():
        page.click("text=Tiếp nhận hồ sơ")
    page.keyboard.type("dang ky dat dai")  # the search box has the focus; no accents typed
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.screenshot(path=artefacts / "1-procedures.png", full_page=True)
    with page.expect_navigation():
        page.click("ul.choices a >> nth=0")

    for box in page.query_selector_all("input[name=components]"):
        label = page.inner_text(f"label[for='{box.get_attribute('id')}']")
        if "bắt buộc" in label:
            box.check()
    page.fill("#applicant_name", "Nguyễn Thị Ánh Tuyết")
    page.fill("#applicant_id", "036190007788")
    page.fill("#phone", "0905 111 222")
    page.screenshot(path=artefacts / "2-checklist.png", full_page=True)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "Đã tiếp nhận" in page.inner_text("[role=status]")
    page.screenshot(path=artefacts / "3-received.png", full_page=True)
    code = re.search(r"\S+-\d{6}-\d{4}", page.inner_text("h1"))
    assert code
    due = page.inner_text("dl.facts").split("Hạn trả")[1].split()[0]

    with page.expect_download() as download:
        page.click("#receipt")
    slip = artefacts / "receipt.pdf"
    download.value.save_as(slip)
    text = subprocess.run(["pdftotext", "-layout", str(slip), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert code.group(0) in text
    assert date_words(datetime.strptime(due, "%d/%m/%Y").date()) in text
    assert "Nguyễn Thị Ánh Tuyết" in text
    assert problems == []
    page.close()

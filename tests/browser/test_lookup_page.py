"""A citizen looks their dossier up in a real browser: the right digits show it, wrong ones
turn them away."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser

from tests.browser.site import PHONE, Site, open_page


def test_a_citizen_looks_up_with_the_right_digits_and_is_turned_away_with_wrong_ones(
        browser: Browser, site: Site, artefacts: Path) -> None:
    page, problems = open_page(browser, 360, 740)
    page.goto(f"{site.base}/lookup?code={site.code}")  # what the receipt's QR opens
    assert page.input_value("#code") == site.code
    assert page.evaluate("document.activeElement.id") == "digits"
    page.screenshot(path=artefacts / "1-from-the-qr.png", full_page=True)

    page.keyboard.type("0000")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Không tìm thấy hồ sơ" in page.inner_text("[role=alert]")
    page.screenshot(path=artefacts / "2-wrong-digits.png", full_page=True)
    assert problems == [
        "Failed to load resource: the server responded with a status of 404 (NOT FOUND)"]
    problems.clear()

    page.fill("#digits", PHONE.replace(" ", "")[-4:])
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert site.code in page.inner_text("#result")
    assert "Đang xử lý" in page.inner_text("main")
    assert "Phạm Thị Hoa" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=artefacts / "3-found.png", full_page=True)
    assert problems == []
    page.close()

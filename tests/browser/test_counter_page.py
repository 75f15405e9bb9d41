"""A receiver at the counter, in a real browser: sign in, find the procedure without accents,
tick the checklist, receive, and print the receipt slip; and a gun reading the citizen's ID
card into the form, on a desk screen and on a 360 px phone."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.site import PASSWORD, STAFF, Site, open_page
from tests.browser.test_accessibility import serious
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
        page.click("#receive")
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


CARD = ("036190007788||Nguyễn Thị Ánh Tuyết|02031990|Nữ|Thôn Mỹ Tho, Xã Mộc Hoàn, Thị xã "
        "Duy Tiên, Hà Nam|10052022")
"""Made up, in the shape of a chip ID card's QR code: a resident of Mộc Hoàn (Duy Tiên)."""


def screenshot(page: Page, path: Path) -> None:
    """A full-page screenshot, then the empty ``style`` attributes Playwright's screenshot
    leaves on the page removed: htmx would copy them in its next swap, and the CSP would report
    that, though the page itself never sets a style."""
    page.screenshot(path=path, full_page=True)
    page.evaluate("document.querySelectorAll('[style=\"\"]')"
                  ".forEach(e => e.removeAttribute('style'))")


def signed_in(page: Page, site: Site) -> None:
    page.goto(f"{site.base}/sign-in")
    page.fill("#staff", STAFF)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (360, 740)])
def test_a_gun_reads_the_id_card_into_the_form(browser: Browser, site: Site, artefacts: Path,
                                               width: int, height: int) -> None:
    """GIVEN the receive form of a birth at the provincial centre
    WHEN the gun types the card's QR code and Enter into the scan box (which has the focus)
    THEN the name, the ID number and the applicant's commune fill in place, the date of birth,
    sex and address show for checking, the box is emptied and the focus moves on to the phone;
    a misread card is said and the focus stays; the dossier then goes to the commune's office,
    received regardless of locality. No script error, no serious accessibility violation, and
    nothing wider than the screen."""
    page, problems = open_page(browser, width, height)
    signed_in(page, site)
    page.goto(f"{site.base}/counter/receive?procedure=1.001193")
    assert page.evaluate("document.activeElement.id") == "card"
    page.keyboard.type("03619000778||Nguyễn Thị Ánh Tuyết")  # a digit lost on the way
    page.keyboard.press("Enter")
    page.wait_for_selector("#card-feedback .error")
    assert "12 chữ số" in page.inner_text("#card-feedback")
    assert page.evaluate("document.activeElement.id") == "card"
    assert page.input_value("#card") == ""
    screenshot(page, artefacts / "1-misread.png")

    page.fill("#phone", "0905 111 222")  # typed before the card: kept
    page.focus("#card")
    page.keyboard.type(CARD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#card-details")  # (the CSP forbids wait_for_function's eval)
    assert page.url.endswith("/counter/receive?procedure=1.001193")  # filled in place
    assert page.input_value("#applicant_name") == "Nguyễn Thị Ánh Tuyết"
    assert page.input_value("#applicant_id") == "036190007788"
    assert page.input_value("#locality") == "moc-hoan"
    assert page.input_value("#phone") == "0905 111 222"
    details = page.inner_text("#card-details")
    assert "02/03/1990" in details
    assert "Nữ" in details
    assert "Xã Mộc Hoàn" in details
    assert page.input_value("#card") == ""
    assert page.evaluate("document.activeElement.id") == "phone"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert problems == []
    found = serious(page, "/counter/receive?procedure=1.001193 (card read)")
    problems.clear()  # axe-core's own inline styles, which the pages' CSP refuses
    screenshot(page, artefacts / "2-card-read.png")

    for box in page.query_selector_all("input[name=components]"):
        label = page.inner_text(f"label[for='{box.get_attribute('id')}']")
        if "bắt buộc" in label:
            box.check()
    with page.expect_navigation():
        page.click("#receive")
    assert "Đã tiếp nhận" in page.inner_text("[role=status]")
    assert page.is_visible("#non-local")
    assert "Mộc Hoàn" in page.inner_text("dl.facts")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, artefacts / "3-received.png")
    assert found == []
    assert problems == []
    page.close()

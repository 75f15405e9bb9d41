"""An inspector in a real browser: finds a dossier, sees every step of its custody verified
against the log's latest signed checkpoint, replays it as it stood just before the handover,
downloads the PDF audit export and has it verified again by upload, on a desk screen and on a
360 px phone, with no serious accessibility violation on the way."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser.inspected import (
    COURIER,
    INSPECTOR,
    RECEIVER,
    inspected_site,
    signed_in,
    too_wide,
)
from tests.browser.site import Site
from tests.browser.test_accessibility import serious

custody = pytest.fixture(scope="module")(inspected_site)


@pytest.mark.parametrize("width", [1280, 360])
def test_an_inspector_verifies_replays_and_exports_a_dossier(
        browser: Browser, custody: Site, artefacts: Path, width: int) -> None:
    page, problems = signed_in(browser, custody, width)
    found: list[str] = []
    # GIVEN the inspector's home page WHEN they open the inspection and search for the code
    with page.expect_navigation():
        page.click("a[href='/inspect/']")
    page.fill("#q", custody.code)
    with page.expect_navigation():
        page.press("#q", "Enter")
    found += serious(page, "/inspect/?q=")
    page.screenshot(path=artefacts / f"1-search-{width}.png", full_page=True)
    with page.expect_navigation():
        page.click(f"a[href='/inspect/dossiers/{custody.code}']")
    # THEN the timeline shows every step verified (once the server has signed over them)
    deadline = time.monotonic() + 30
    while page.locator(".verified").count() < 3 and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    assert page.locator(".verified").count() == 3
    assert page.locator("p.notice[role=status]").count() == 1
    assert page.locator("p.error").count() == 0
    assert too_wide(page, width) == []
    found += serious(page, "/inspect/dossiers/…")
    page.screenshot(path=artefacts / f"2-timeline-{width}.png", full_page=True)
    # WHEN they replay it as it stood just before the handover (step 2)
    with page.expect_navigation():
        page.click("#step-2 a[href*='as_of=']")
    # THEN it had one step, held by the receiver at the provincial centre, not on its way
    assert page.inner_text("#replay-steps") == "1"
    assert RECEIVER in page.inner_text("#replay")
    assert COURIER not in page.inner_text("#replay")
    assert too_wide(page, width) == []
    found += serious(page, "/inspect/dossiers/…?as_of=")
    page.locator("#as-of").scroll_into_view_if_needed()
    page.screenshot(path=artefacts / f"3-as-of-{width}.png", full_page=True)
    # WHEN they download the PDF audit export and upload it to be verified
    with page.expect_download() as download:
        page.click("a[href$='/export?format=pdf']")
    slip = artefacts / f"export-{width}.pdf"
    download.value.save_as(slip)
    assert slip.read_bytes().startswith(b"%PDF-")
    page.goto(f"{custody.base}/inspect/")
    page.set_input_files("#export", str(slip))
    with page.expect_navigation():
        page.click("form[action='/inspect/verify'] button[type=submit]")
    # THEN it is intact, every step proven
    assert page.locator("p.notice[role=status]").count() == 1
    assert custody.code in page.inner_text("p.notice")
    assert "3" in page.inner_text("p.notice")
    assert too_wide(page, width) == []
    found += serious(page, "/inspect/verify")
    page.screenshot(path=artefacts / f"4-verified-{width}.png", full_page=True)
    # and the read log lists the inspector's own reads of the dossier
    page.goto(f"{custody.base}/inspect/reads?dossier={custody.code}")
    assert INSPECTOR in page.inner_text("main")
    found += serious(page, "/inspect/reads")
    page.screenshot(path=artefacts / f"5-reads-{width}.png", full_page=True)
    page.goto(f"{custody.base}/inspect/dossiers/{custody.code}/pages")
    found += serious(page, "/inspect/dossiers/…/pages")
    assert found == []
    assert problems == []
    page.close()

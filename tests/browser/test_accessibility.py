"""axe-core on every page, signed out and signed in: no serious or critical violation.

axe-core comes from npm (scripts/test.sh fetches it into .cache/npm) and is injected by the
test through the browser's debugging protocol, which the pages' Content-Security-Policy does not
govern, so the pages themselves keep allowing only their own scripts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.inspected import inspected_site, signed_in
from tests.browser.site import PASSWORD, PHONE, STAFF, Site, open_page

ROOT = Path(__file__).parents[2]
AXE = Path(os.environ.get("HOSO_AXE_JS") or ROOT / ".cache" / "npm" / "axe-core" / "axe.min.js")
SIGNED_OUT = ["/sign-in", "/lookup", "/lookup?code={code}&digits={digits}",
              "/lookup?code={code}&digits=0000"]
SIGNED_IN = ["/", "/password", "/counter/", "/counter/?q=dang+ky",
             "/counter/receive?procedure=1.004227", "/queue", "/dossiers/{code}",
             "/counter/dossiers/{code}", "/no-such-page",
             "/report?from=2026-01-01&to=2026-12-31"]


def violations(page: Page) -> list[dict[str, Any]]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: scripts/test.sh fetches axe-core from npm")
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .map(v => ({id: v.id, impact: v.impact, help: v.help,
                         where: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))""")
    return found


def serious(page: Page, path: str) -> list[str]:
    return [f"{path}: {v['id']} ({v['impact']}) {v['help']} at {v['where']}"
            for v in violations(page) if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("width", [1280, 360])
def test_no_page_has_a_serious_accessibility_violation(browser: Browser, site: Site,
                                                       artefacts: Path, width: int) -> None:
    page, _ = open_page(browser, width, 800)
    digits = PHONE.replace(" ", "")[-4:]
    found: list[str] = []
    for number, path in enumerate(SIGNED_OUT):
        page.goto(site.base + path.format(code=site.code, digits=digits))
        found += serious(page, path)
        page.screenshot(path=artefacts / f"out-{number}.png", full_page=True)
    page.goto(f"{site.base}/sign-in")
    page.fill("#staff", STAFF)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    for number, path in enumerate(SIGNED_IN):
        page.goto(site.base + path.format(code=site.code))
        found += serious(page, path)
        page.screenshot(path=artefacts / f"in-{number}.png", full_page=True)
    assert found == []
    page.close()


@pytest.mark.parametrize("width", [1280, 360])
def test_the_courier_pages_have_no_serious_accessibility_violation(
        browser: Browser, site: Site, artefacts: Path, width: int) -> None:
    """The courier's pages in each of their states: the scan box, a bag being filled, the scans
    kept on the device without a link, and those sent when it returns."""
    page, _ = open_page(browser, width, 800)
    page.goto(f"{site.base}/sign-in")
    page.fill("#staff", STAFF)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    page.goto(f"{site.base}/courier/")
    found = serious(page, "/courier/")
    page.screenshot(path=artefacts / "courier-0.png", full_page=True)
    with page.expect_navigation():
        page.click("#new-bag ~ form button[type=submit]")
    page.keyboard.type(site.code)
    page.keyboard.press("Enter")
    page.wait_for_selector("#bag-count:text('1')")
    found += serious(page, "/courier/bags/…")
    page.screenshot(path=artefacts / "courier-1.png", full_page=True)
    page.context.set_offline(True)
    page.keyboard.type(site.code[:-4] + "9999")
    page.keyboard.press("Enter")
    page.wait_for_selector("#queued li")
    found += serious(page, "/courier/bags/… offline")
    page.screenshot(path=artefacts / "courier-2.png", full_page=True)
    page.context.set_offline(False)
    page.wait_for_selector("#synced li.refused button")
    found += serious(page, "/courier/bags/… synced")
    page.screenshot(path=artefacts / "courier-3.png", full_page=True)
    assert found == []
    page.close()


inspector_site = pytest.fixture(scope="module")(inspected_site)
INSPECTOR_PAGES = ["/inspect/", "/inspect/?q={code}", "/inspect/?q=zzzz",
                   "/inspect/dossiers/{code}", "/inspect/dossiers/{code}?as_of=2020-01-01",
                   "/inspect/dossiers/{code}/pages", "/inspect/reads?dossier={code}"]


@pytest.mark.parametrize("width", [1280, 360])
def test_the_inspector_pages_have_no_serious_accessibility_violation(
        browser: Browser, inspector_site: Site, artefacts: Path, width: int) -> None:
    """Search, the verified timeline, a replay before the dossier existed, the pages and the
    read log, as an inspector (test_inspector_page's site)."""
    page, _ = signed_in(browser, inspector_site, width)
    found: list[str] = []
    for number, path in enumerate(INSPECTOR_PAGES):
        page.goto(inspector_site.base + path.format(code=inspector_site.code))
        found += serious(page, path)
        page.screenshot(path=artefacts / f"inspect-{number}.png", full_page=True)
    assert found == []
    page.close()

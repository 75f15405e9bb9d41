"""A second dossier for the same applicant reuses the ID card page, with no rescan: in a real
browser, with htmx on a desk screen and without JavaScript on a 360 px phone."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser.site import PASSWORD, STAFF, open_page
from tests.browser.test_accessibility import serious
from tests.browser.test_counter_page import screenshot, signed_in
from tests.servers.hoso import HOSO, live_hoso
from tracker.bootstrap import compose
from tracker.domain.scan_details import ScanDetails
from tracker.settings import Settings

PROCEDURE = "2.000720"  # household business registration: may include the ID card (cccd)
APPLICANT_ID = "035088001122"
CARD = (f"{APPLICANT_ID}||Hoàng Văn Thắng|15041988|Nam|Thôn Yên Lạc, Xã Mộc Hoàn, Thị xã "
        "Duy Tiên, Hà Nam|10052022")
"""Made up, in the shape of a chip ID card's QR code."""


@dataclass(frozen=True)
class Earlier:
    base: str
    env: dict[str, str]
    first: str
    card_page: dict[str, str]


@pytest.fixture(scope="module")
def earlier(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Earlier]:
    """A live hoso where the applicant's first dossier was scanned in two pages, the second
    mapped as their ID card (``cccd``)."""
    folder = tmp_path_factory.mktemp("reuse")
    store = {"HOSO_DATA_DIR": str(folder / "var")}
    env = {**os.environ, **store}
    subprocess.run([str(HOSO), "init", "--demo"], env=env, check=True, capture_output=True)
    subprocess.run([str(HOSO), "account", "set-password", STAFF, "--password-stdin"],
                   input=PASSWORD, text=True, env=env, check=True, capture_output=True)
    services = compose(Settings.from_environ(store))
    try:
        custody = services.application()
        first = custody.receive(office="000.00.01.H40", procedure=PROCEDURE,
                                applicant_name="Hoàng Văn Thắng", applicant_id=APPLICANT_ID,
                                actor=STAFF, components=["giay-de-nghi", "giay-to-phap-ly"]
                                )["code"]
        pages = [custody.objects.put(f"trang {n}".encode() * 500, "image/png").key
                 for n in (1, 2)]
        custody.digitise(first, STAFF, pages, details=ScanDetails(
            components={"giay-de-nghi": [1], "cccd": [2]}))
        card_page = custody.history(first)[-1]["objects"][1]
    finally:
        services.close()
    with live_hoso(store, folder, init=False) as base:
        yield Earlier(base, store, first, card_page)


def events_of(earlier: Earlier, code: str) -> list[dict]:
    services = compose(Settings.from_environ(earlier.env))
    try:
        return services.application().history(code)
    finally:
        services.close()


@pytest.mark.parametrize(("script", "width", "height"), [(True, 1280, 900),
                                                         (False, 360, 740)])
def test_a_second_dossier_reuses_the_id_card_page_with_no_rescan(
        browser: Browser, earlier: Earlier, artefacts: Path, script: bool, width: int,
        height: int) -> None:
    """GIVEN the applicant's earlier dossier whose scan maps their ID card
    WHEN the receiver reads the card (with htmx) or types the ID number and looks up (without
    JavaScript), the form offers the ID card by kind, day and office, never its pages; the
    receiver ticks it as the citizen confirms and receives
    THEN the new dossier records ComponentsReused naming the first dossier and the ID card
    page's object, and no Digitised: no rescan. No script error, no serious accessibility
    violation, nothing wider than the screen."""
    if script:
        page, problems = open_page(browser, width, height)
    else:
        context = browser.new_context(viewport={"width": width, "height": height},
                                      locale="vi-VN", java_script_enabled=False)
        page, problems = context.new_page(), []
    signed_in(page, earlier)  # type: ignore[arg-type]
    page.goto(f"{earlier.base}/counter/receive?procedure={PROCEDURE}")
    if script:
        page.focus("#card")
        page.keyboard.type(CARD)
        page.keyboard.press("Enter")
        page.wait_for_selector("#earlier-papers fieldset")
    else:
        page.fill("#applicant_name", "Hoàng Văn Thắng")
        page.fill("#applicant_id", APPLICANT_ID)
        with page.expect_navigation():
            page.click("#look-up-papers")
    offer = page.inner_text("#earlier-papers")
    assert "Giấy tờ đã số hóa cho hồ sơ trước" in offer
    assert "Thẻ Căn cước" in offer
    assert earlier.card_page["key"] not in page.content()  # kind and day, never the pages
    assert page.query_selector("#earlier-papers img") is None
    screenshot(page, artefacts / "1-offered.png")
    if script:
        assert serious(page, "/counter/receive (papers offered)") == []

    page.check("#c-giay-de-nghi")
    page.check("#c-giay-to-phap-ly")
    page.check("#r-cccd")
    with page.expect_navigation():
        page.click("#receive")
    assert "Đã tiếp nhận" in page.inner_text("[role=status]")
    screenshot(page, artefacts / "2-received.png")
    code = page.inner_text("h1").split()[-1]
    events = events_of(earlier, code)
    assert [e["type"] for e in events] == ["Received", "ComponentsReused"]
    assert events[1]["source"] == earlier.first
    assert events[1]["components"] == {"cccd": [earlier.card_page]}
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert problems == []
    page.close()

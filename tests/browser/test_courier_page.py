"""The courier's page in a real browser: a bag filled by a barcode gun (it types the code, then
Enter), handed to a courier and accepted at the destination with one scan; and scans kept on
the device while the link is down, sent when it returns with the device's time of each."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.districts import AGENCY, AWAY, AWAY_STAFF, HOME, PROCEDURE
from tests.servers.hoso import HOSO, live_hoso

RECEIVER, COURIER, OFFICIAL = "pl-rcv-001", "pl-cur-001", "pl-off-001"
PASSWORD = "mật khẩu người chuyển 2026"
VIETNAM = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class Courier:
    """A live hoso over the demo province where RECEIVER (Phủ Lý's one-stop) and OFFICIAL
    (the land registry branch it sends to) sign in with PASSWORD."""

    base: str
    env: dict[str, str]

    def hoso(self, *args: str, stdin: str | None = None) -> str:
        return subprocess.run([str(HOSO), *args], input=stdin, text=True, env=self.env,
                              check=True, capture_output=True).stdout

    def receive(self, office: str = HOME, actor: str = RECEIVER) -> str:
        received = json.loads(self.hoso(
            "receive", "--office", office, "--procedure", PROCEDURE, "--actor", actor,
            "--applicant-name", "Đặng Thị Lan", "--applicant-id", "035190004321",
            "--accept-incomplete", "--json"))
        return str(received["code"])

    def bag(self, code: str) -> dict:
        return dict(json.loads(self.hoso("bag", "show", code, "--json")))


@pytest.fixture(scope="module")
def courier(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Courier]:
    folder = tmp_path_factory.mktemp("courier")
    env = {**os.environ, "HOSO_DATA_DIR": str(folder / "var")}
    site = Courier("", env)
    site.hoso("init", "--demo")
    for staff in (RECEIVER, OFFICIAL):
        site.hoso("account", "set-password", staff, "--password-stdin", stdin=PASSWORD)
    with live_hoso({"HOSO_DATA_DIR": env["HOSO_DATA_DIR"]}, folder, init=False) as base:
        yield Courier(base, env)


def open_as(browser: Browser, site: Courier, staff: str, width: int
            ) -> tuple[BrowserContext, Page, list[str]]:
    """A fresh browser (its own storage and service workers) of ``width`` in Vietnam's time,
    signed in as ``staff``; the list collects its console errors and uncaught exceptions."""
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="vi-VN",
                                  timezone_id=VIETNAM)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{site.base}/sign-in")
    page.fill("#staff", staff)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    return context, page, problems


def gun(page: Page, code: str) -> None:
    """What a keyboard-wedge gun does: type the code into the focused box, then Enter."""
    assert page.evaluate("document.activeElement.id") == "code"
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def start_bag(page: Page, site: Courier) -> str:
    with page.expect_navigation():
        page.click("text=Túi chuyển và quét mã")
    page.select_option("#to_office", AGENCY)
    with page.expect_navigation():
        page.click("text=Bắt đầu đóng túi")
    return page.inner_text("h1").split()[-1]


# Resolves true once the courier's service worker is active, false after 30 s (a bare
# ``ready`` would wait for ever: evaluate has no timeout of its own).
ACTIVE_WITHIN_30_S = """Promise.race([
    navigator.serviceWorker.ready.then(() => true),
    new Promise(done => setTimeout(() => done(false), 30000))])"""


def under_the_service_worker(page: Page) -> None:
    """Wait for the service worker to be active and make sure it controls ``page``. A page
    whose load began while the worker was still activating is never claimed by it (a client
    not yet running is left out of ``clients.claim()``); a reload puts it under the worker."""
    assert page.evaluate(ACTIVE_WITHIN_30_S), "the courier's service worker never became active"
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
    assert page.evaluate("!!navigator.serviceWorker.controller")


def fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [1280, 360])
def test_a_bag_is_scanned_by_gun_handed_over_and_accepted_with_one_scan(
        browser: Browser, courier: Courier, artefacts: Path, width: int) -> None:
    codes = [courier.receive() for _ in range(3)]
    # GIVEN the receiver at Phủ Lý's one-stop, who holds three dossiers, starts a bag
    context, page, problems = open_as(browser, courier, RECEIVER, width)
    page.screenshot(path=artefacts / "1-home.png", full_page=True)
    bag = start_bag(page, courier)
    page.screenshot(path=artefacts / "2-empty-bag.png", full_page=True)
    # WHEN a gun scans the three codes into the box
    for number, code in enumerate(codes, start=1):
        gun(page, code)
        expect(page.locator("#feedback")).to_contain_text(code)
        expect(page.locator("#bag-count")).to_have_text(str(number))
    assert page.get_attribute("#feedback", "data-feedback") == "ok"
    gun(page, codes[0])  # the same dossier again
    expect(page.locator("#feedback")).to_have_attribute("data-feedback", "repeat")
    assert page.evaluate("document.activeElement.id") == "code"
    fits(page, width)
    page.screenshot(path=artefacts / "3-three-scanned.png", full_page=True)
    # AND the bag goes to the courier
    page.select_option("#courier", COURIER)
    with page.expect_navigation():
        page.click("text=Bàn giao cho người vận chuyển")
    expect(page.locator("#feedback")).to_contain_text("Đoàn Văn Hải")
    page.screenshot(path=artefacts / "4-handed-over.png", full_page=True)
    assert problems == []
    context.close()

    # THEN the official at the destination accepts the bag with one scan of its code
    context, page, problems = open_as(browser, courier, OFFICIAL, width)
    with page.expect_navigation():
        page.click("text=Túi chuyển và quét mã")
    page.keyboard.type(bag)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#feedback")).to_contain_text("Đã nhận túi: 3 hồ sơ")
    expect(page.locator("#bag-state")).to_have_text("Đã nhận")
    fits(page, width)
    page.screenshot(path=artefacts / "5-accepted.png", full_page=True)
    # AND the office's queue shows the three
    page.goto(f"{courier.base}/queue")
    held = page.inner_text("main")
    assert all(code in held for code in codes)
    page.screenshot(path=artefacts / "6-queue.png", full_page=True)
    assert courier.bag(bag)["accepted"] == codes
    assert problems == []
    context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_scans_made_offline_are_kept_and_sent_late_when_the_link_returns(
        browser: Browser, courier: Courier, artefacts: Path, width: int) -> None:
    codes = [courier.receive() for _ in range(3)]
    elsewhere = courier.receive(AWAY, AWAY_STAFF["receiver"])
    context, page, problems = open_as(browser, courier, RECEIVER, width)
    bag = start_bag(page, courier)
    gun(page, codes[0])
    expect(page.locator("#bag-count")).to_have_text("1")
    under_the_service_worker(page)
    # GIVEN the device's clock, which says it is ten minutes earlier than the server's
    scanned_from = datetime.now(UTC) - timedelta(minutes=10)
    page.clock.install(time=scanned_from)
    # WHEN the link goes down and two dossiers and one held elsewhere are scanned
    context.set_offline(True)
    for code in (codes[1], codes[2], elsewhere):
        gun(page, code)
    expect(page.locator("#queued li")).to_have_count(3)
    expect(page.locator("#link-state")).to_contain_text("Không có kết nối")
    assert page.inner_text("#bag-count") == "1"
    fits(page, width)
    page.screenshot(path=artefacts / "1-kept-offline.png", full_page=True)
    # AND the page is opened again without a link: the service worker has kept it
    page.reload()
    expect(page.locator("#queued li")).to_have_count(3)
    expect(page.locator("#bag-count")).to_have_text("1")  # as the last answer left it
    assert page.evaluate("document.activeElement.id") == "code"
    page.screenshot(path=artefacts / "2-reloaded-offline.png", full_page=True)
    scanned_to = datetime.now(UTC) - timedelta(minutes=10)
    # THEN when the link returns they are sent, the two put in the bag and marked late
    context.set_offline(False)
    expect(page.locator("#synced li")).to_have_count(3)
    expect(page.locator("#queued-part")).to_be_hidden()
    expect(page.locator("#bag-count")).to_have_text("3")
    accepted = page.locator("#synced li.ok")
    expect(accepted).to_have_count(2)
    for number in range(2):
        expect(accepted.nth(number).locator(".badge")).to_have_text("đồng bộ muộn")
    refused = page.locator("#synced li.refused")
    expect(refused).to_contain_text(elsewhere)
    expect(refused).to_contain_text("bag-at-origin")
    fits(page, width)
    page.screenshot(path=artefacts / "3-sent-late.png", full_page=True)
    # AND each keeps the device's time of its scan apart from the time it was recorded
    filled = [s for s in courier.bag(bag)["steps"] if s["step"] == "filled"][1:]
    assert [s["codes"] for s in filled] == [[codes[1]], [codes[2]]]
    for step in filled:
        device_time = datetime.fromisoformat(step["device_time"])
        assert step["device_time"].endswith("+07:00")
        assert scanned_from - timedelta(seconds=1) <= device_time <= scanned_to + timedelta(
            seconds=5)
        assert datetime.fromisoformat(step["recorded_at"]) - device_time > timedelta(
            minutes=9)
        assert step["synced_late"] is True
    # AND the refused scan stays listed on the device until it is dismissed
    page.reload()
    expect(page.locator("#synced li.refused")).to_have_count(1)
    page.screenshot(path=artefacts / "4-refused-kept.png", full_page=True)
    page.locator("#synced li.refused button").click()
    expect(page.locator("#offline")).to_be_hidden()
    page.screenshot(path=artefacts / "5-dismissed.png", full_page=True)
    assert problems == [  # the refused scan's answer, which the page lists
        "Failed to load resource: the server responded with a status of 409 (CONFLICT)"]
    context.close()

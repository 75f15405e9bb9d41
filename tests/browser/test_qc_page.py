"""The scanning operator in a real browser: a batch uploaded to the QC page, put right page by
page, and approved; the events hold exactly the operator's decisions."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.site import Site, open_page
from tests.browser.test_accessibility import serious
from tests.servers.hoso import HOSO, live_hoso
from tests.station.pages import blank_page, cover_file, text_page

OPERATOR, PASSWORD = "hnm-opr-001", "mật khẩu của người quét 2026"
RECEIVER = "hnm-rcv-001"
OFFICE, PROCEDURE = "000.00.01.H40", "1.004227"
SLOW = 180_000  # ms: the upload is cleaned and read by OCR before the page answers


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, list[str], Path]]:
    """A live site with two dossiers received at the operator's office."""
    folder = tmp_path_factory.mktemp("qc")
    env = {**os.environ, "HOSO_DATA_DIR": str(folder / "var")}

    def hoso(*args: str, stdin: str | None = None) -> str:
        return subprocess.run([str(HOSO), *args], input=stdin, text=True, env=env,
                              check=True, capture_output=True).stdout

    hoso("init", "--demo")
    hoso("account", "set-password", OPERATOR, "--password-stdin", stdin=PASSWORD)
    codes = [json.loads(hoso("receive", "--office", OFFICE, "--procedure", PROCEDURE,
                             "--actor", RECEIVER, "--applicant-name", name,
                             "--applicant-id", "035190004321", "--accept-incomplete",
                             "--json"))["code"] for name in ("Phạm Thị Hoa", "Trần Văn Bình")]
    with live_hoso({"HOSO_DATA_DIR": env["HOSO_DATA_DIR"]}, folder, init=False) as base:
        yield Site(base, codes[0]), codes, folder


def _history(folder: Path, code: str) -> list[dict[str, object]]:
    env = {**os.environ, "HOSO_DATA_DIR": str(folder / "var")}
    found: list[dict[str, object]] = json.loads(subprocess.run(
        [str(HOSO), "history", code, "--json"], env=env, check=True, capture_output=True,
        text=True).stdout)
    return found


def _act(page: Page, where: str, number: int) -> None:
    """Open the actions of page ``number`` of ``where`` (a <details>, by keyboard)."""
    page.locator(f'[id="p-{where}-{number}"] summary').focus()
    page.keyboard.press("Enter")


def _send(page: Page, button: str) -> None:
    with page.expect_navigation(timeout=SLOW):
        page.locator(button).click()


def test_an_operator_checks_and_approves_a_batch(
        browser: Browser, station: tuple[Site, list[str], Path], artefacts: Path,
        tmp_path: Path) -> None:
    """GIVEN two received dossiers A and B, and a batch: a stray page, A's cover, A's form, a
    blank page, B's cover and B's certificate
    WHEN the operator uploads it, moves the stray page to A, excludes the blank page with a
    reason, marks components and approves both
    THEN A's Digitised has 3 pages, page 2 excluded with the reason and the marked components,
    B's its one component; nothing was recorded before approval; staging is empty."""
    site, (a, b), folder = station
    files = [text_page(["Trang lạc của hồ sơ"], tmp_path / "0-stray.png"),
             cover_file(a, tmp_path / "1-cover-a.png", tmp_path),
             text_page(["ĐƠN ĐĂNG KÝ BIẾN ĐỘNG"], tmp_path / "2-form.png"),
             blank_page(tmp_path / "3-blank.png"),
             cover_file(b, tmp_path / "4-cover-b.png", tmp_path),
             text_page(["GIẤY CHỨNG NHẬN"], tmp_path / "5-cert.png")]
    page, problems = open_page(browser, 1280, 900)
    page.set_default_timeout(SLOW)
    page.goto(f"{site.base}/sign-in")
    page.fill("#staff", OPERATOR)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    with page.expect_navigation():
        page.click("a[href='/station/qc']")  # the home page's link
    assert "Kiểm tra chất lượng bản quét" in page.inner_text("h1")
    assert serious(page, "the QC page") == []
    page.set_input_files("#files", [str(f) for f in files])
    page.screenshot(path=artefacts / "1-upload.png", full_page=True)
    _send(page, "form[enctype] button[type=submit]")
    assert "/station/qc/b-" in page.url
    main = page.inner_text("main")
    assert a in main
    assert b in main
    assert [e["type"] for e in _history(folder, a)] == ["Received"]  # nothing recorded yet
    page.screenshot(path=artefacts / "2-staged.png", full_page=True)
    assert serious(page, "the staged batch") == []

    _act(page, "unassigned", 1)
    page.select_option('[id="to-unassigned-1"]', a)
    _send(page, '[id="p-unassigned-1"] form[action$="/move"] button')
    _act(page, a, 2)
    assert "Trang trắng" in page.inner_text(f'[id="p-{a}-2"]')
    page.fill(f'[id="reason-{a}-2"]', "trang trắng, máy kéo hai tờ")
    _send(page, f'[id="p-{a}-2"] form[action$="/exclude"] button')
    for where, number, component in ((a, 1, "don"), (a, 3, "hop-dong"), (b, 1, "gcn")):
        _act(page, where, number)
        page.select_option(f'[id="comp-{where}-{number}"]', component)
        _send(page, f'[id="p-{where}-{number}"] form[action$="/components"] button')
    page.screenshot(path=artefacts / "3-checked.png", full_page=True)
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=artefacts / "3-checked-360.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert [e["type"] for e in _history(folder, a)] == ["Received"]

    _send(page, f'[id="d-{a}"] form[action$="/approve"] button')
    _send(page, f'[id="d-{b}"] form[action$="/approve"] button')
    page.screenshot(path=artefacts / "4-approved.png", full_page=True)
    assert "Không có lô nào đang chờ" in page.inner_text("main")
    scan_a, scan_b = _history(folder, a)[-1], _history(folder, b)[-1]
    assert scan_a["type"] == scan_b["type"] == "Digitised"
    assert scan_a["pages"] == 3
    assert scan_a["excluded_pages"] == [{"page": 2, "reason": "trang trắng, máy kéo hai tờ"}]
    assert scan_a["components"] == {"don": [1], "hop-dong": [3]}
    assert scan_a["blank_pages"] == [2]
    assert (scan_b["pages"], scan_b["components"], scan_b["excluded_pages"]) == (
        1, {"gcn": [1]}, [])
    assert problems == []


def test_a_refusal_on_the_qc_page_says_why_and_changes_nothing(
        browser: Browser, station: tuple[Site, list[str], Path]) -> None:
    """GIVEN a signed-in operator WHEN a batch that does not exist is asked for, or a page of
    another office's batch THEN not found; the upload form without files is refused on the
    page."""
    site, _, _ = station
    page, _ = open_page(browser, 1280, 900)
    page.goto(f"{site.base}/sign-in")
    page.fill("#staff", OPERATOR)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    answer = page.goto(f"{site.base}/station/qc/b-20000101-00000000")
    assert answer is not None
    assert answer.status == 404

"""Signing in with a real browser, by keyboard alone, on a desktop and on a 360 px phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.site import PASSWORD, STAFF, Site, open_page


def sign_in_by_keyboard(page: Page, password: str) -> None:
    page.keyboard.type(STAFF)  # the staff id field has the focus when the page opens
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (360, 740)])
def test_sign_in_by_keyboard_then_sign_out(browser: Browser, site: Site, artefacts: Path,
                                           width: int, height: int) -> None:
    page, problems = open_page(browser, width, height)
    page.goto(site.base)
    assert page.url.endswith("/sign-in?next=/")
    assert page.evaluate("document.activeElement.id") == "staff"
    page.screenshot(path=artefacts / "1-sign-in.png", full_page=True)

    sign_in_by_keyboard(page, "not the password")
    assert "Sai mã cán bộ hoặc mật khẩu" in page.inner_text("[role=alert]")
    page.screenshot(path=artefacts / "2-wrong-password.png", full_page=True)
    assert problems == [  # the refusal's status, which the browser reports: nothing else
        "Failed to load resource: the server responded with a status of 401 (UNAUTHORIZED)"]
    problems.clear()

    page.fill("#password", "")
    page.focus("#staff")
    page.fill("#staff", "")
    sign_in_by_keyboard(page, PASSWORD)
    assert page.url == f"{site.base}/"
    assert "Xin chào, Nguyễn Thị Lan" in page.inner_text("h1")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
    page.screenshot(path=artefacts / "3-home.png", full_page=True)

    with page.expect_navigation():
        page.click("text=Đăng xuất")
    assert "/sign-in" in page.url
    assert "Bạn đã đăng xuất" in page.inner_text("[role=status]")
    page.goto(site.base)
    assert "/sign-in" in page.url  # the session is gone
    assert problems == []  # no script errors, no Content-Security-Policy violations
    page.close()

"""What the browser tests share: the demo people, the live site, and a page that records every
script error and failed request the browser reports."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Browser, ConsoleMessage, Page

STAFF = "hnm-rcv-001"
PASSWORD = "mật khẩu trình duyệt 2026"
PHONE = "0912 345 678"


@dataclass(frozen=True)
class Site:
    """A live hoso over the demo province: ``STAFF`` signs in with ``PASSWORD``, and ``code``
    names a dossier received for an applicant whose phone is ``PHONE``."""

    base: str
    code: str


def open_page(browser: Browser, width: int, height: int) -> tuple[Page, list[str]]:
    """A new page of ``width`` × ``height`` and the list its console errors, warnings and
    uncaught exceptions are appended to (a Content-Security-Policy violation is one)."""
    page = browser.new_page(viewport={"width": width, "height": height}, locale="vi-VN")
    problems: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return page, problems

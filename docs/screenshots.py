"""Take the README's admin screenshots from a running demo (``make run``): ``python docs/screenshots.py``.

Logs in as the demo reviewer (rita) with the demo password from ``var/demo_password`` and saves the
dashboard and a version's review page under ``docs/``. Needs Debian's chromium and ``playwright``
(the test extras); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--password-file", default="var/demo_password")
    parser.add_argument("--user", default="rita")
    parser.add_argument("--version-path", default="", help="Admin path of the version page to capture.")
    args = parser.parse_args()
    password = Path(args.password_file).read_text().strip()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page(base_url=args.url, viewport={"width": 1440, "height": 900})
        page.goto("/admin/login/")
        page.fill("#id_username", args.user)
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_selector("#my-queue")
        page.screenshot(path=DOCS / "approvals-dashboard.png", full_page=True)
        link = page.locator("#my-queue a").first
        target = args.version_path or link.get_attribute("href") or ""
        page.goto(target)
        page.wait_for_selector("#review-panel")
        page.screenshot(path=DOCS / "approvals-version-page.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main()

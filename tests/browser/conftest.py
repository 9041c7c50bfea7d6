"""A real browser against a real server: Debian's chromium driven by Playwright, gunicorn of our own.

Playwright's Python package brings its driver, not a browser: it launches the system's chromium
(``apt-get install chromium``), so nothing is downloaded. The server is a gunicorn process on the
test database (committed data, as a browser sees it), so the pages, sessions, CSRF and CSP are the
production ones.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.governance.jobs import processes

PASSWORD = "browser-test-password"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("REQUIRE_BROWSER") == "1":  # CI installs chromium: its absence is a failure
            pytest.fail("REQUIRE_BROWSER=1 but chromium is not installed (apt-get install chromium)")
        pytest.skip("needs chromium (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; Django then refuses database calls
    # from it unless told the test code is synchronous (Playwright's and Django's documented switch).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def server(committed_db: Any, tmp_path: Path) -> Iterator[str]:
    """gunicorn serving the test database; yields its base URL."""
    port = processes.free_port()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {"DATABASE_URL": processes.database_url(), "AUDIT_INTEGRATE_MODE": "inline"}
    web = processes.start_web(env, port, tmp_path / "web.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        processes.kill(web)


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=server, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(20_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def log_in(page: Any, username: str) -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#my-queue")

"""Browser fixtures: the app on a real port (uvicorn in a thread) and Debian's Chromium driven
by Playwright. No browser is downloaded: Playwright's bundled driver drives /usr/bin/chromium."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _test_settings
from tests.live import free_port, serving

CHROMIUM = os.environ.get("LOKET_TEST_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying to reach the internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# Browser tests run on SQLite only: the pages call the same service functions as the API, whose
# tests run on both databases; a second browser pass would double the slowest tests for nothing.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


# Per module, not per session: Playwright's sync API keeps an event loop running in the main
# thread while it is started, and later tests that call asyncio.run() there (pyHanko) would fail.
@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests skipped: no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_port() -> int:
    return free_port()


@pytest.fixture
def settings(tmp_path, database_url, live_port):
    """The test settings, with the public address the browser uses (QR links, origins)."""
    return _test_settings(tmp_path / "data", database_url).model_copy(
        update={"public_base_url": f"http://127.0.0.1:{live_port}"}
    )


@pytest.fixture
def live_server(app, live_port) -> Iterator[str]:
    """The app served by uvicorn on a free port for the duration of one test."""
    with serving(app, live_port, lifespan="on") as base:
        yield base


@pytest.fixture
def browser_context(browser) -> Iterator:
    """A fresh browser profile per test, Indonesian like most of Loket's users."""
    context = browser.new_context(
        locale="id-ID", timezone_id="Asia/Jakarta", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(30_000)  # generous: CI machines may be busy
    yield context
    context.close()


@pytest.fixture
def page(browser_context):
    return browser_context.new_page()


def screenshot(page, name: str) -> Path:
    """A full-page screenshot; kept under docs/screenshots/ (the README's) only when
    LOKET_UPDATE_SCREENSHOTS is set, so that a test run leaves the checkout unchanged."""
    folder = (
        SCREENSHOTS
        if os.environ.get("LOKET_UPDATE_SCREENSHOTS")
        else Path(tempfile.gettempdir()) / "loket-screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0
    return path

"""A real Chromium driven by Playwright, for the console's browser tests.

Debian's `chromium` package (installed by `make test`), never a browser downloaded by Playwright.
Without Playwright or Chromium the browser tests are skipped, with the reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    """One browser for the module's tests (closed after them, before the asyncio tests run)."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.skip("browser tests: Playwright is not installed (pip install -e '.[test]')")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"browser tests: no Chromium at {CHROMIUM} (apt-get install chromium, as "
                    f"`make test` does; or set CHROMIUM_PATH)")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=30_000)
    except Error as exc:
        playwright.stop()
        pytest.skip(f"browser tests: Chromium at {CHROMIUM} does not start: {exc}")
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def screenshots() -> Path:
    """Where the pages' screenshots go, for review (the folder ignores itself in git)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ignore = SCREENSHOTS.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# screenshots and other output of the test run\n*\n")
    return SCREENSHOTS

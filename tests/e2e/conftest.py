"""Real-browser tests: Debian's Chromium driven by Playwright against the
live test server.

`make test` on a machine with only python3 has no browser: these tests are
then skipped with that reason. CI (.ci/run) installs Chromium and sets
TIMECOMMONS_REQUIRE_BROWSER=1, which turns a missing browser into a failure.
"""

import os
import re
import shutil

import pytest

# Playwright's sync API runs an event loop in the test thread; the test itself
# only touches the database between browser steps, never concurrently.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    executable = _chromium_path()
    if executable is None:
        if os.environ.get("TIMECOMMONS_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (TIMECOMMONS_REQUIRE_BROWSER=1) but was not found.")
        pytest.skip("No Chromium on this machine: install Debian's chromium to run browser tests.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    # The browser stays on the test server: map tiles and anything else off it
    # are refused, so no browser test ever reaches a public address.
    context.route(
        re.compile(r".*"),
        lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort(),
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()

"""Browser tests: Debian's Chromium driven by Playwright's sync API against pytest-django's live server.

One browser per test session, a fresh context (cookies, storage) per test. Playwright's browser
download does not work here, so we launch the system Chromium at /usr/bin/chromium; without it
the browser tests are skipped with a message saying how to install it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .support import AXE_JS, AXE_PATH, PageWatch

CHROMIUM = Path(os.environ.get("YIWANG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's Chromium to run the browser tests "
                    "(apt-get install chromium fonts-noto-cjk, or `make system-deps`)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop in this thread; Django's ORM refuses to run while
    # a loop is running unless told it is safe (it is: the loop only drives the browser).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()
        _wait_for_request_threads()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _wait_for_request_threads(timeout: float = 10.0) -> None:
    """The live server answers each browser connection in its own thread, which keeps a database
    connection until the browser hangs up. Let those threads finish (they close their connections)
    before pytest-django drops the test database, or PostgreSQL refuses: "being accessed by other
    users"."""
    import threading
    import time

    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and "process_request_thread" in thread.name:
            thread.join(max(0.0, deadline - time.monotonic()))


@pytest.fixture(scope="module", autouse=True)
def _reseed_after_flush(django_db_blocker):
    """Live-server tests use transactional_db, whose teardown empties every table, including the
    official calendar the session seeded once (tests/conftest.py). Put it back for whatever runs
    after this module."""
    yield
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("seed_calendar", verbosity=0)


_warmed: set[str] = set()


@pytest.fixture
def base_url(live_server):
    """The live server's address; its first requests (template compilation, static file finders)
    are made once here, outside any test's timeouts."""
    if live_server.url not in _warmed:
        from urllib.request import urlopen

        for path in ("/", "/accounts/login/", "/static/web/yiwang.css", "/static/vendor/htmx/htmx.min.js"):
            with urlopen(live_server.url + path, timeout=120) as response:
                response.read()
        _warmed.add(live_server.url)
    return live_server.url


@pytest.fixture
def new_context(browser, base_url):
    """new_context(**options) -> a browser context for a person in China (zh-CN, Shanghai time)."""
    contexts = []

    def _make(**options):
        options = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai", "base_url": base_url,
                   "viewport": {"width": 1280, "height": 900}, **options}
        context = browser.new_context(**options)
        context.set_default_timeout(30_000)  # generous: CI machines are often busy
        context.set_default_navigation_timeout(30_000)
        context.route(f"**{AXE_PATH}", lambda route: route.fulfill(
            path=str(AXE_JS), content_type="application/javascript; charset=utf-8"))
        contexts.append(context)
        return context

    yield _make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    """A page in a fresh context; ``page.watch`` collects server errors and CSP violations, and is
    checked when the test ends."""
    page = new_context().new_page()
    page.watch = PageWatch(page)
    yield page
    page.watch.assert_clean()

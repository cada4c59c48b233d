"""Browser-test fixtures: a live server on a file-based SQLite database, and Chromium.

The app under test is the ordinary ``app`` fixture (CSRF on, as in production) served by
werkzeug in a thread on a free port of 127.0.0.1. Chromium is Debian's (``/usr/bin/chromium``):
Playwright's own browser download is not used. Browser tests run on SQLite only: they check
pages and flows, which the view and service tests already cover on both databases.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from tests.conftest import need

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session", params=["sqlite"])
def db_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"WTF_CSRF_ENABLED": True}


class _QuietHandler(WSGIRequestHandler):
    # An idle keep-alive connection gives up after a few seconds, so the server's request
    # threads always end and can be joined when the test is over.
    timeout = 5

    def log_request(self, *_args: Any) -> None:
        pass


@contextmanager
def serving(wsgi_app: Any) -> Iterator[int]:
    """Serve a WSGI app over HTTP on 127.0.0.1 in a background thread; yields its port."""
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, wsgi_app, threaded=True, request_handler=_QuietHandler
    )
    # Track request threads (werkzeug makes them daemons) so server_close() joins them.
    server.daemon_threads = False
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served over HTTP in a background thread; yields its base URL."""
    with serving(app) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session."""
    need(
        os.path.exists(CHROMIUM),
        f"browser tests need Debian's Chromium at {CHROMIUM}: install it "
        "(apt-get install -y chromium) or run `make test` as root",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_context(browser: Any, live_server: str) -> Iterator[Any]:
    """``new_context(**options)`` opens a browser context on the live server, in English.

    Contexts close before the live server stops, so no connection outlives the test.
    """
    contexts = []

    def open_context(**options: Any) -> Any:
        options = {"base_url": live_server, "locale": "en-GB", **options}
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Any) -> Any:
    """A page in a desktop-sized context with JavaScript on."""
    return new_context(viewport={"width": 1280, "height": 900}).new_page()

"""Run the app under gunicorn with real worker processes, and talk to it over HTTP as a
browser does (cookies, CSRF tokens from the forms, no redirects followed)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from tests.conftest import csrf_from

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Answer:
    status: int
    text: str
    location: str


class Browser:
    """One visitor: its own cookies, a new connection per request."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return Answer(response.status, text, response.headers.get("Location", ""))

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str]) -> Answer:
        return self.request("POST", path, form)

    def post_form(self, path: str, form: dict[str, str], page: str | None = None) -> Answer:
        """GET the form's page for its CSRF token, then POST ``form``; a failed GET is
        returned as it is."""
        shown = self.get(page or path)
        if shown.status != 200:
            return shown
        return self.post(path, {**form, "csrf_token": csrf_from(shown.text)})


@contextmanager
def gunicorn(
    config: dict[str, Any],
    workers: int = 2,
    log: Path | None = None,
    error_log: Path | None = None,
) -> Iterator[int]:
    """Serve the app with ``config`` under gunicorn; yields the port. Access log lines are
    ``{worker pid} {method} {status}`` in ``log`` when given; gunicorn's own log (and what
    the app logs) goes to ``error_log``."""
    port = free_port()
    env = {**os.environ, "TRAFFPUNKT_TEST_CONFIG": json.dumps(config)}
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
    ]
    if error_log is not None:
        command += ["--error-logfile", str(error_log)]
    if log is not None:
        command += ["--access-logfile", str(log), "--access-logformat", "%(p)s %(m)s %(s)s"]
    # A file, not a pipe: nobody reads a pipe while the server runs, and a full one would
    # block gunicorn on its next log line.
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(
            [*command, "tests.serve:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            text=True,
        )
        try:
            _wait_until_up(process, port, errors)
            yield port
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(process: subprocess.Popen, port: int, errors: Any) -> None:
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            errors.seek(0)
            raise RuntimeError(f"gunicorn exited: {errors.read()[-3000:]}")
        try:
            if Browser(port).get("/organisers/login").status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("gunicorn did not answer within a minute")
        time.sleep(0.2)

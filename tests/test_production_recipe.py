"""The README's production recipe, run as a deployer would: from a built wheel.

The package is built (``pip wheel .``), installed into a fresh virtualenv (not editable),
and every command runs from a directory outside the source tree with ``ENV_NAME=production``:
``flask db upgrade``, ``flask setup``, gunicorn on ``webapp:create_app()``. Then, over HTTP,
the first administrator creates a partner organisation and a project, invites the partner,
the partner's admin accepts and creates an event in the project, and pages are Swedish
for ``Accept-Language: sv``. Once on an empty SQLite file, once on an empty PostgreSQL
database.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.parse
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import PG_URL, ROOT, _pg_reachable, csrf_from, need

pytestmark = pytest.mark.slow

PASSWORD = "ett långt lösenord"


def _run(cmd: list[str], cwd: Path, env: dict[str, str], **kwargs: object):
    return subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, **kwargs
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel built from this tree installed; returns its bin/.

    The wheel goes in without ``-e``; its dependencies are taken from the test run's own
    environment through a path entry instead of being downloaded and installed again (that
    took minutes). Path entries are not scanned for ``.pth`` files, so the source tree's
    editable install stays invisible: the test checks ``webapp`` is imported from the wheel.
    """
    work = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # Built from a copy: setuptools writes build/ into the tree it builds, and test workers
    # building at once in the same tree would trip over each other.
    source = work / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            "node_modules",
            "build",
            "*.egg-info",
            "instance",
            "__pycache__",
            ".pytest_cache",
            ".ruff_cache",
            "*.mo",
        ),
    )
    built = _run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-w", str(work / "dist")],
        work,
        env,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((work / "dist").glob("traffpunkt-*.whl"))
    venv = work / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], work, env)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], work, env
        ).stdout.strip()
    )
    pip = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        work,
        env,
    )
    assert pip.returncode == 0, pip.stderr[-3000:]
    ours = Path(sysconfig.get_path("purelib"))
    (site / "zz_test_dependencies.pth").write_text(f"{ours}\n")
    # The console scripts pip would have written for the dependencies.
    for script, entry in (("flask", "flask.cli:main"), ("gunicorn", "gunicorn.app.wsgiapp:run")):
        module, function = entry.split(":")
        path = venv / "bin" / script
        path.write_text(
            f"#!{python}\nimport sys\nfrom {module} import {function}\nsys.exit({function}())\n"
        )
        path.chmod(0o755)
    where = _run([str(python), "-c", "import webapp; print(webapp.__file__)"], work, env)
    assert where.stdout.startswith(str(site)), where.stdout + where.stderr
    return venv / "bin"


class Browser:
    """Just enough of a browser: cookies (Secure ones too, since tests speak plain HTTP to
    gunicorn as a TLS-terminating proxy would) and redirects left to the caller."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        # As behind a TLS-terminating proxy: Flask-WTF then checks the Referer like a browser's.
        headers = {
            "Accept-Language": "sv",
            "X-Forwarded-Proto": "https",
            "Referer": f"https://127.0.0.1:{self.port}{path}",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response.status, response.getheader("Location"), text

    def get(self, path: str):
        return self.request("GET", path)

    def submit(self, page: str, action: str | None = None, **form: str):
        """GET ``page`` for its CSRF token, then POST ``form`` to ``action`` (default: page)."""
        status, _location, text = self.get(page)
        assert status == 200, (page, status, text[:500])
        return self.request("POST", action or page, {**form, "csrf_token": csrf_from(text)})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database(backend: str, tmp_path: Path):
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'traffpunkt.sqlite'}", lambda: None
    need(_pg_reachable(PG_URL), f"PostgreSQL is not reachable at {PG_URL}")
    name = f"traffpunkt_recipe_{os.getpid()}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = sa.engine.make_url(PG_URL).set(database=name)
    return url.render_as_string(hide_password=False), drop


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def test_production_recipe_from_the_wheel(installed: Path, tmp_path: Path, backend: str):
    database_url, drop = _database(backend, tmp_path)
    port = _free_port()
    site = tmp_path / "site"  # the deployment's own directory, far from the source tree
    site.mkdir()
    env = {
        "PATH": f"{installed}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "ENV_NAME": "production",
        "SECRET_KEY": "recipe-test-secret",
        "DATABASE_URL": database_url,
        "PROXY_HOPS": "1",
    }
    flask = [str(installed / "flask"), "--app", "webapp"]
    try:
        refused = _run([*flask, "db", "upgrade"], site, env)
        assert refused.returncode != 0 and "PUBLIC_BASE_URL" in refused.stderr
        env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"

        upgraded = _run([*flask, "db", "upgrade"], site, env)
        assert upgraded.returncode == 0, upgraded.stderr[-3000:]
        setup = [
            *flask,
            "setup",
            "--organisation-name",
            "Teknikparken Väst",
            "--organisation-slug",
            "teknikparken",
            "--email",
            "admin@teknikparken.se",
            "--name",
            "Ada Admin",
            "--password",
            PASSWORD,
        ]
        done = _run(setup, site, env)
        assert done.returncode == 0, done.stderr[-3000:]
        again = _run(setup, site, env)
        assert again.returncode != 0 and "set up already" in again.stderr

        log = tmp_path / "gunicorn.log"
        with log.open("wb") as output:
            server = subprocess.Popen(
                [
                    str(installed / "gunicorn"),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "webapp:create_app()",
                ],
                cwd=site,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            try:
                _flow(port, flask, site, env, server, log)
            finally:
                server.terminate()
                server.wait(timeout=30)
    finally:
        drop()


def _wait_until_up(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()[-3000:]
        try:
            Browser(port).get("/")
            return
        except OSError:
            time.sleep(0.3)
    pytest.fail("gunicorn did not start")


def _flow(
    port: int,
    flask: list[str],
    site: Path,
    env: dict[str, str],
    server: subprocess.Popen,
    log: Path,
) -> None:
    _wait_until_up(port, server, log)
    admin = Browser(port)
    status, _, page = admin.get("/")
    assert status == 200 and '<html lang="sv"' in page and "Kommande evenemang" in page

    status, location, _ = admin.submit(
        "/organisers/login", email="admin@teknikparken.se", password=PASSWORD
    )
    assert status == 303, location
    # The session cookie is Secure in production.
    assert "session" in admin.cookies

    # A cross-border partner: the site administrator creates it, its admin comes by CLI.
    status, _, text = admin.submit(
        "/organisers/site/organisations",
        name="Innovasjon Värmland-Hedmark",
        slug="innovasjon-hedmark",
        country="NO",
        county="",
        website="",
        contact_email="",
        admin_email="leder@innovasjon.no",
    )
    assert status == 303, text[:2000]
    created = _run(
        [
            *flask,
            "users",
            "create",
            "--email",
            "leder@innovasjon.no",
            "--name",
            "Nora Leder",
            "--organisation",
            "innovasjon-hedmark",
            "--role",
            "admin",
            "--password",
            PASSWORD,
        ],
        site,
        env,
    )
    assert created.returncode == 0, created.stderr[-2000:]

    status, location, text = admin.submit(
        "/organisers/organisations/1/projects/new",
        name="Gränslös innovation",
        slug="granslos",
        funder="Interreg Sverige-Norge",
        funding_programme="Interreg VI-A",
        funder_reference="20201234",
        starts_on="2026-01-01",
        ends_on="2028-12-31",
        funding_statement="Medfinansieras av Europeiska unionen",
        description="",
        status="active",
    )
    assert status == 303, text[:2000]
    project_path = urllib.parse.urlsplit(location).path
    project_id = project_path.rsplit("/", 1)[-1]
    status, location, text = admin.submit(
        project_path, f"{project_path}/partners", organisation="innovasjon-hedmark"
    )
    assert status == 303, text[:2000]

    partner = Browser(port)
    status, _, _ = partner.submit(
        "/organisers/login", email="leder@innovasjon.no", password=PASSWORD
    )
    assert status == 303
    status, _, page = partner.get("/organisers/organisations/2/projects")
    assert "Gränslös innovation" in page
    accept = re.search(r'action="(/organisers/partner-invitations/\d+/accept)"', page).group(1)
    status, _, _ = partner.request("POST", accept, {"csrf_token": csrf_from(page)})
    assert status == 303

    status, location, text = partner.submit(
        "/organisers/events/new",
        organisation="2",
        kind="webinar",
        title="Webbinarium: export till Norge",
        summary="",
        description="",
        project=project_id,
        venue="",
        city="",
        county="",
        country="NO",
        online_url="https://meet.example.no/x",
        capacity="50",
        max_per_company="",
        registration_opens_date="",
        registration_opens_time="",
        registration_closes_date="",
        registration_closes_time="",
        **{
            "reminders-0-days": "1",
            "reminders-0-hours": "",
            "reminders-0-scope": "each",
            "sessions-0-id": "",
            "sessions-0-start_date": "2027-03-14",
            "sessions-0-start_time": "10:00",
            "sessions-0-end_time": "11:00",
            "sessions-0-end_date": "",
            "sessions-0-title": "",
            "sessions-0-venue": "",
        },
    )
    assert status == 303, text[:3000]
    edit = urllib.parse.urlsplit(location).path
    status, _, page = partner.submit(edit, edit.replace("/edit", "/publish"))
    assert status == 303

    status, _, page = Browser(port).get("/projects/granslos")
    assert status == 200
    assert "Medfinansieras av Europeiska unionen" in page
    assert "Webbinarium: export till Norge" in page
    assert "Kommande evenemang" in page  # Swedish from the wheel's compiled catalogue

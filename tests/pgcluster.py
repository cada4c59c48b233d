"""A throw-away PostgreSQL cluster of a test's own, to restart at will.

The shared server at 127.0.0.1:5432 serves every other test run on this machine, so a
test that restarts PostgreSQL makes its own cluster with ``initdb`` into a temporary
directory, on a free port, and stops and deletes it afterwards. PostgreSQL refuses to run
as root: as root the cluster belongs to the ``postgres`` user (``runuser``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.gunicorn import free_port


def bin_dir() -> Path | None:
    """The newest installed PostgreSQL's bin directory, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@dataclass
class Cluster:
    bin: Path
    data: Path
    port: int
    owner: str | None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.owner:
            command = ["runuser", "-u", self.owner, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -h 127.0.0.1 -k {self.data} -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.data / "log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    """A running cluster (trust authentication, user postgres), removed afterwards."""
    binaries = bin_dir()
    assert binaries is not None, "no PostgreSQL installed"
    owner = "postgres" if os.geteuid() == 0 else None
    data = Path(tempfile.mkdtemp(prefix="traffpunkt-pg-"))
    if owner:
        entry = pwd.getpwnam(owner)
        os.chown(data, entry.pw_uid, entry.pw_gid)
    cluster = Cluster(binaries, data, free_port(), owner)
    try:
        cluster._run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
        cluster.start()
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(data, ignore_errors=True)

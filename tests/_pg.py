"""A throwaway PostgreSQL server on loopback for the tests: initdb + pg_ctl in a temporary directory.

`server()` yields the admin URL and stops the server (and removes its directory) afterwards; `fresh_database`
gives each test an empty schema of its own. `find_binaries()` says why the server cannot run when it cannot.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

SEARCH = "/usr/lib/postgresql/*/bin"


def find_binaries() -> tuple[Path | None, str]:
    """(directory with initdb and pg_ctl, "") or (None, why not)."""
    def version(path: str) -> int:
        name = Path(path).parent.name
        return int(name) if name.isdigit() else 0

    for candidate in sorted(glob.glob(SEARCH), key=version, reverse=True):
        if os.access(Path(candidate, "initdb"), os.X_OK) and os.access(Path(candidate, "pg_ctl"), os.X_OK):
            return Path(candidate), ""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Path(os.path.realpath(initdb)).parent, ""
    return None, (f"PostgreSQL server binaries (initdb, pg_ctl) not found in {SEARCH} or on PATH; "
                  "install the postgresql package (.ci/services does) to run the PostgreSQL tests")


def _as_server_user(argv: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(_as_server_user(argv), capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-2000:]}")


@contextmanager
def server() -> Iterator[str]:
    """Start a PostgreSQL server; yield `postgresql+psycopg://postgres@127.0.0.1:PORT/postgres`."""
    bindir, why = find_binaries()
    if bindir is None:
        raise RuntimeError(why)
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError as err:
            raise RuntimeError("running as root but there is no 'postgres' OS user to run the server") from err
    tmp = Path(tempfile.mkdtemp(prefix="patroli-pg-"))
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres", "postgres")
    data, log = tmp / "data", tmp / "server.log"
    started = False
    try:
        _run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-locale",
              "-E", "UTF8", "--no-sync"], "initdb")
        for _attempt in range(3):
            port = _free_port()
            # Durability is irrelevant for a throwaway test server; these make it fast.
            options = (f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50")
            try:
                _run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
                      "-o", options, "start"], "pg_ctl start")
            except RuntimeError as err:
                if _attempt == 2:
                    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                    raise RuntimeError(f"PostgreSQL did not start: {err}\n{tail}") from err
                continue
            started = True
            break
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                           capture_output=True, timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


def fresh_database(admin_url: str) -> str:
    """Create an empty schema on the server at `admin_url`; return a URL whose search_path is that schema.

    A schema is as good as a database for isolating a test, and much cheaper to create than CREATE DATABASE.
    """
    name = f"t_{uuid.uuid4().hex[:16]}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    finally:
        engine.dispose()
    return f"{admin_url}?options=-csearch_path%3D{name}"

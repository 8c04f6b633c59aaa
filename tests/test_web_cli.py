"""`patroli users ...` and `patroli serve` in-process with CliRunner; the server once as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import _web  # noqa: F401  (cheap password hashes)
import httpx
import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.web import accounts


def invoke(*args: str, input: str | None = None, code: int = 0):
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_users_add_list_passwd_disable(tmp_path):
    db = f"sqlite:///{tmp_path / 'p.db'}"
    invoke("users", "add", "ani", "--role", "analyst", "--db", db, input="sandi-ani-12345\nsandi-ani-12345\n")
    listed = json.loads(invoke("users", "list", "--db", db, "--format", "json").output)
    assert [(u["name"], u["role"], u["active"]) for u in listed] == [("ani", "analyst", True)]
    assert "argon2" not in invoke("users", "list", "--db", db).output
    accounts.login(db, "ani", "sandi-ani-12345")
    invoke("users", "passwd", "ani", "--db", db, input="sandi-baru-12345\nsandi-baru-12345\n")
    with pytest.raises(accounts.LoginRefused):
        accounts.login(db, "ani", "sandi-ani-12345")
    invoke("users", "disable", "ani", "--db", db)
    with pytest.raises(accounts.LoginRefused, match="disabled"):
        accounts.login(db, "ani", "sandi-baru-12345")
    invoke("users", "disable", "ani", "--enable", "--db", db)
    accounts.login(db, "ani", "sandi-baru-12345")


@pytest.mark.parametrize("args, input, message", [
    (["users", "add", "ani", "--role", "analyst"], "pendek\npendek\n", "password too short"),
    (["users", "add", "a b", "--role", "analyst"], "", "invalid user name"),
    (["users", "add", "patroli", "--role", "admin"], "", "invalid user name"),
    (["users", "disable", "siapa"], None, "no user 'siapa'"),
])
def test_users_errors_are_one_line(tmp_path, args, input, message):
    result = invoke(*args, "--db", f"sqlite:///{tmp_path / 'p.db'}", input=input, code=3)
    assert f"patroli: error: {message}" in result.output and "Traceback" not in result.output


def test_users_add_twice(tmp_path):
    db = f"sqlite:///{tmp_path / 'p.db'}"
    invoke("users", "add", "ani", "--role", "viewer", "--db", db, input="sandi-ani-12345\nsandi-ani-12345\n")
    result = invoke("users", "add", "ani", "--role", "viewer", "--db", db, input="sandi-ani-12345\nsandi-ani-12345\n",
                    code=3)
    assert "already exists" in result.output


def test_serve_help_has_an_example():
    assert "patroli serve --db" in invoke("serve", "--help").output


def test_serve_as_a_subprocess(tmp_path):
    db = f"sqlite:///{tmp_path / 'p.db'}"
    port = _web.free_port()
    env = {**os.environ, "PATROLI_DB": db}
    proc = subprocess.Popen([sys.executable, "-c", "from pipeline.cli import main; main()", "serve", "--port",
                             str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/queue", follow_redirects=False, timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
                assert time.monotonic() < deadline, "server did not start in 60 s"
                time.sleep(0.2)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
        assert "script-src 'self'" in response.headers["content-security-policy"]
    finally:
        proc.terminate()
        proc.wait(20)

"""Shared fixtures: `db_url` runs a test on a SQLite file and on a throwaway PostgreSQL server."""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import _pg
import pytest

from pipeline.records import ScanRecord


@pytest.fixture(autouse=True)
def _no_personal_config(tmp_path_factory, monkeypatch) -> None:
    """Tests never sign with (or look for) a key of the person running them, nor use or fill their cache."""
    monkeypatch.delenv("PATROLI_SIGNING_KEY", raising=False)
    monkeypatch.delenv("PATROLI_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """One PostgreSQL server for the whole run (skipped, saying why, without the server binaries)."""
    bindir, why = _pg.find_binaries()
    if bindir is None:
        pytest.skip(why)
    with _pg.server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """An empty database: a SQLite file in tmp_path, or a fresh schema on the test PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'patroli.db'}"
    return _pg.fresh_database(request.getfixturevalue("pg_admin_url"))


@pytest.fixture
def make_record() -> Callable[..., ScanRecord]:
    """A factory of scan records: make_record(i, flags=[...], scores={...}, **overrides)."""

    def make(i: int, flags=("hoax",), scores=None, **overrides) -> ScanRecord:
        fields = {
            "platform": "twitter", "post_id": str(i), "text": f"postingan nomor {i} tentang isu yang ramai",
            "author": f"akun{i}", "url": f"https://example.org/{i}",
            "created_at": datetime(2024, 5, 1, tzinfo=UTC) + timedelta(hours=i),
            "shares": 10 * i, "views": 100 * i, "followers": 1000, "source": "test", "raw": {"id": i},
            "captured_at": datetime(2024, 6, 1, tzinfo=UTC) + timedelta(minutes=i),
            "scores": scores if scores is not None else {label: 0.9 for label in flags},
            "flags": list(flags), "evidence": {label: [["kata", 0.5]] for label in flags},
            "model_version": "test-1", "priority": float(i),
        }
        fields.update(overrides)
        return ScanRecord(**fields)

    return make


@pytest.fixture
def run_processes() -> Callable[..., list]:
    """run(target, [args, ...]): start one spawned process per args tuple, release them at once through an
    Event (passed as `start`, with a Queue `out`, after the args), and return what each put on `out`."""

    def run(target: Callable[..., None], arglists: list[tuple]) -> list:
        ctx = multiprocessing.get_context("spawn")
        start, out = ctx.Event(), ctx.Queue()
        workers = [ctx.Process(target=target, args=(*args, start, out)) for args in arglists]
        for worker in workers:
            worker.start()
        start.set()
        results, deadline = [], time.monotonic() + 120
        while len(results) < len(workers):
            try:
                results.append(out.get(timeout=0.5))
            except queue.Empty:
                failed = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
                assert not failed, f"a worker process failed with exit code {failed[0]}"
                assert time.monotonic() < deadline, "worker processes did not finish in 120 s"
        for worker in workers:
            worker.join(30)
            assert worker.exitcode == 0
        return results

    return run

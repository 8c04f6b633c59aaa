from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _http import Reply, serve
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.config import SAMPLES_DIR
from pipeline.patrol import EXIT_LOCKED, EXIT_OK, EXIT_PARTIAL, load_config, run_lock, run_patrol
from pipeline.store import Store
from pipeline.store.frames import posts_frame

PATROLI = str(Path(sys.executable).with_name("patroli"))


def write_posts(path: Path, start: int, n: int) -> None:
    texts = [row["text"] for row in csv.DictReader((SAMPLES_DIR / "posts.csv").open(encoding="utf-8"))]
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(["id", "text"])
        for i in range(start, start + n):
            writer.writerow([f"p{i}", f"{texts[i % len(texts)]} (#{i})"])


def config(tmp_path: Path, extra: str = "", chunk_size: int = 50) -> Path:
    path = tmp_path / "patrol.toml"
    path.write_text(f"""
[patrol]
database = "sqlite:///patrol.db"
log_file = "patrol.log"
output = "out/flagged.jsonl"
chunk_size = {chunk_size}

[thresholds]
abusive = 0.9

[sources.inbox]
kind = "files"
paths = ["inbox/*.csv"]
id_column = "id"
platform = "inbox"

[sources.wa]
kind = "files"
paths = ["{SAMPLES_DIR / 'posts.txt'}"]
platform = "wa"
{extra}
""")
    (tmp_path / "inbox").mkdir(exist_ok=True)
    return path


def stored(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "patrol.db") as db:
        return db.execute("select platform, post_id from posts").fetchall()


def log_events(tmp_path: Path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "patrol.log").read_text().splitlines()]


def test_config_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[patrol]\ndatabse = 'x'\n[sources.a]\nkind='files'\npaths=['x']\n")
    with pytest.raises(Exception, match="unknown \\[patrol\\] keys"):
        load_config(bad)
    bad.write_text("[patrol\n")
    with pytest.raises(Exception, match="not valid TOML"):
        load_config(bad)


def test_runs_resume_from_cursors_and_failing_source_is_partial(tmp_path: Path) -> None:
    write_posts(tmp_path / "inbox" / "a.csv", 0, 120)
    with serve(lambda request: Reply(500, "boom")) as server:
        path = config(tmp_path, f'[sources.api]\nkind = "http_json"\nurl = "{server.url("/posts")}"\n')
        first = run_patrol(path)
    assert first.exit_code == EXIT_PARTIAL
    assert [s.name for s in first.sources if not s.ok] == ["api"] and "500" in first.line()
    assert len(stored(tmp_path)) == 120 + 25
    events = log_events(tmp_path)
    assert {e["event"] for e in events} >= {"run_start", "source_start", "chunk_committed", "source_failed",
                                            "run_end"}
    flagged_out = (tmp_path / "out" / "flagged.jsonl").read_text().splitlines()
    assert len(flagged_out) == first.sources[0].summary.flagged_posts + first.sources[1].summary.flagged_posts

    second = run_patrol(path, only=("inbox", "wa"))
    assert second.exit_code == EXIT_OK and sum(s.summary.posts for s in second.sources) == 0

    write_posts(tmp_path / "inbox" / "a.csv", 120, 30)
    third = run_patrol(path, only=("inbox",))
    assert third.sources[0].summary.posts == 30
    assert len(stored(tmp_path)) == 150 + 25

    refresh = run_patrol(path, only=("inbox",), full_refresh=True)
    assert refresh.sources[0].summary.posts == 0 and refresh.sources[0].summary.duplicates == 150
    assert len(stored(tmp_path)) == 175


def test_dry_run_stores_nothing(tmp_path: Path) -> None:
    write_posts(tmp_path / "inbox" / "a.csv", 0, 40)
    result = run_patrol(config(tmp_path), dry_run=True)
    assert result.exit_code == EXIT_OK and sum(s.summary.posts for s in result.sources) == 65
    store = Store.open(f"sqlite:///{tmp_path / 'patrol.db'}")
    try:
        assert posts_frame(store).empty and store.get_cursor("inbox") is None
    finally:
        store.close()


def test_second_run_while_one_is_active_exits_at_once(tmp_path: Path) -> None:
    path = config(tmp_path)
    with run_lock(tmp_path / "patrol.lock") as acquired:
        assert acquired
        proc = subprocess.run([PATROLI, "run", str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == EXIT_LOCKED
    assert "another run is active" in proc.stderr


def test_cli_run_and_unknown_source(tmp_path: Path) -> None:
    path = config(tmp_path)
    result = CliRunner().invoke(cli, ["run", str(path), "--source", "nope"])
    assert result.exit_code != 0 and "--source nope" in result.stderr
    result = CliRunner().invoke(cli, ["run", str(path), "--source", "wa"])
    assert result.exit_code == EXIT_OK and "1/1 sources ok" in result.stderr


def _flagged_in_db(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "patrol.db") as db:
        return db.execute("select platform, post_id from posts where flags != '[]'").fetchall()


def _flagged_in_output(tmp_path: Path) -> list[tuple[str, str]]:
    lines = (tmp_path / "out" / "flagged.jsonl").read_text(encoding="utf-8").splitlines()
    return [(record["platform"], record["id"]) for record in map(json.loads, lines)]


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return conn.execute("select count(*) from posts").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


# Moments to kill at: as soon as the output file first grows (most likely between a chunk's write and its commit),
# and after some or most chunks are committed.
@pytest.mark.parametrize("moment", ["first-write", 500, 2000])
def test_sigkill_mid_run_then_rerun_leaves_every_post_exactly_once(tmp_path: Path, moment) -> None:
    total = 3000
    write_posts(tmp_path / "inbox" / "big.csv", 0, total)
    path = config(tmp_path, chunk_size=100)
    proc = subprocess.Popen([PATROLI, "run", str(path), "--source", "inbox"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    db, out = tmp_path / "patrol.db", tmp_path / "out" / "flagged.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if moment == "first-write" and out.exists() and out.stat().st_size > 0:
            break
        if moment != "first-write" and db.exists() and _count(db) >= moment:
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(stored(tmp_path))
    assert partial < total, "the run must be killed mid-way for this test to mean anything"
    rerun = subprocess.run([PATROLI, "run", str(path), "--source", "inbox"], capture_output=True, text=True,
                           timeout=300)
    assert rerun.returncode == EXIT_OK, rerun.stderr
    rows = stored(tmp_path)
    assert len(rows) == total and len(set(rows)) == total
    assert {post_id for _, post_id in rows} == {f"p{i}" for i in range(total)}
    with sqlite3.connect(db) as conn:
        unscored = conn.execute("select count(*) from posts where scores is null").fetchone()[0]
        flagged = conn.execute("select count(*) from posts where flags != '[]'").fetchone()[0]
        queued = conn.execute("select count(*) from queue_items").fetchone()[0]
    assert unscored == 0
    assert queued == flagged > 0
    written = _flagged_in_output(tmp_path)
    assert len(written) == len(set(written)), "a flagged post was written to the output twice"
    assert sorted(written) == sorted(_flagged_in_db(tmp_path))


def test_output_tail_written_but_never_committed_is_cut_off(tmp_path: Path) -> None:
    write_posts(tmp_path / "inbox" / "a.csv", 0, 200)
    path = config(tmp_path)
    run_patrol(path, only=("inbox",))
    out = tmp_path / "out" / "flagged.jsonl"
    committed = out.read_bytes()
    # What a run killed between writing a chunk and committing it leaves: records the database never got.
    with out.open("ab") as fh:
        fh.write(b'{"id": "hantu", "platform": "inbox", "flags": ["hoax"]}\n{"id": "terpot')
    write_posts(tmp_path / "inbox" / "a.csv", 200, 100)
    result = run_patrol(path, only=("inbox",))
    assert result.exit_code == EXIT_OK
    assert out.read_bytes().startswith(committed)
    written = _flagged_in_output(tmp_path)
    assert ("inbox", "hantu") not in written
    assert sorted(written) == sorted(_flagged_in_db(tmp_path)) and len(written) == len(set(written))
    repaired = [e for e in log_events(tmp_path) if e["event"] == "output_repaired"]
    assert len(repaired) == 1 and repaired[0]["removed_bytes"] > 0


def test_rotated_output_is_started_afresh(tmp_path: Path) -> None:
    write_posts(tmp_path / "inbox" / "a.csv", 0, 200)
    path = config(tmp_path)
    run_patrol(path, only=("inbox",))
    out = tmp_path / "out" / "flagged.jsonl"
    out.rename(tmp_path / "out" / "flagged.jsonl.1")
    write_posts(tmp_path / "inbox" / "a.csv", 200, 100)
    run_patrol(path, only=("inbox",))
    old = [tuple(json.loads(line)[k] for k in ("platform", "id"))
           for line in (tmp_path / "out" / "flagged.jsonl.1").read_text().splitlines()]
    assert sorted(old + _flagged_in_output(tmp_path)) == sorted(_flagged_in_db(tmp_path))


def test_patrol_log_carries_the_signed_chain_head(tmp_path: Path) -> None:
    write_posts(tmp_path / "inbox" / "a.csv", 0, 60)
    key = tmp_path / "kunci" / "patroli.key"
    assert CliRunner().invoke(cli, ["keys", "init", "--path", str(key)]).exit_code == 0
    path = config(tmp_path, extra="")
    path.write_text(path.read_text().replace("[patrol]\n", f'[patrol]\nsigning_key = "{key}"\n'))
    run_patrol(path)
    [end] = [e for e in log_events(tmp_path) if e["event"] == "run_end"]
    head = end["chain_head"]
    assert head["seq"] > 60 and head["signature"] and head["key_id"]
    result = CliRunner().invoke(cli, ["review", "verify", "--db", f"sqlite:///{tmp_path / 'patrol.db'}",
                                      "--against", str(tmp_path / "patrol.log"), "--key", f"{key}.pub"])
    assert result.exit_code == 0, result.output
    assert "matches the head of" in result.stdout and "signature valid" in result.stdout
    assert "cannot rule out" not in result.stdout


def test_a_bad_file_in_a_source_directory_is_skipped_once_and_the_rest_ingested(tmp_path: Path) -> None:
    write_posts(tmp_path / "inbox" / "a.csv", 0, 40)
    (tmp_path / "inbox" / "b.csv").write_text("id,isi\nx1,tanpa kolom teks\n", encoding="utf-8")
    write_posts(tmp_path / "inbox" / "c.csv", 40, 30)
    path = config(tmp_path)
    first = run_patrol(path, only=("inbox",))
    assert first.exit_code == EXIT_PARTIAL and first.sources[0].ok
    assert first.sources[0].summary.files_skipped == 1 and "1 input files skipped" in first.line()
    assert len(stored(tmp_path)) == 70
    skipped = [e for e in log_events(tmp_path) if e["event"] == "record_skipped"]
    assert len(skipped) == 1 and "b.csv: no text column 'text'" in skipped[0]["problem"]
    write_posts(tmp_path / "inbox" / "a.csv", 70, 5)
    second = run_patrol(path, only=("inbox",))
    assert second.exit_code == EXIT_OK and second.sources[0].summary.posts == 5

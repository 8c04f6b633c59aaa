"""Scoring in worker processes: the same records and database rows as scoring in one process."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import review
from pipeline.cli import cli
from pipeline.config import SAMPLES_DIR
from pipeline.patrol import run_patrol

#: Columns that hold the time of the run, which differs between any two runs.
TIMES = {"captured_at", "enqueued_at", "updated_at", "at", "applied_at", "entry_sha256"}


def posts_with_copies(path: Path) -> Path:
    """The sample posts, then every third one again under a new id, author and reach (forwarded copies), and a
    malformed line: copies whose first post lies in an earlier chunk, in the same chunk, and in a later input."""
    rows = [json.loads(line) for line in (SAMPLES_DIR / "posts.jsonl").read_text(encoding="utf-8").splitlines()]
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    for i, row in enumerate(rows[::3]):
        copy = {**row, "id": f"copy{i}", "author": f"penerus{i % 4}", "platform": "whatsapp", "shares": 100 + i}
        lines.insert(min(len(lines), 7 * i + 5), json.dumps(copy, ensure_ascii=False))
    lines.insert(11, '{"id": "broken", "text": ')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def table(db: Path, name: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        cursor = conn.execute(f"SELECT * FROM {name} ORDER BY 1")  # noqa: S608 - fixed table names
        keep = [i for i, d in enumerate(cursor.description) if d[0] not in TIMES]
        return [tuple(row[i] for i in keep) for row in cursor.fetchall()]


def scan(tmp_path: Path, inputs: list[Path], workers: int, name: str) -> tuple[list[str], Path, str]:
    out, db = tmp_path / f"{name}.jsonl", tmp_path / f"{name}.db"
    result = CliRunner().invoke(cli, ["scan", *map(str, inputs), "--id-column", "id", "--out", str(out), "--db",
                                      f"sqlite:///{db}", "--chunk-size", "16", "--workers", str(workers),
                                      "--no-progress"])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8").splitlines(), db, result.stderr


def test_workers_give_the_same_records_and_rows_as_one_process(tmp_path: Path) -> None:
    inputs = [posts_with_copies(tmp_path / "posts.jsonl"), SAMPLES_DIR / "posts.csv"]
    one, one_db, one_err = scan(tmp_path, inputs, 1, "one")
    two, two_db, two_err = scan(tmp_path, inputs, 2, "two")
    assert one == two
    records = [json.loads(line) for line in one]
    assert len(records) == 65 + 22 + 74
    copies = [r for r in records if r["duplicate_of"]]
    assert len(copies) == 22 and all(r["id"].startswith("copy") for r in copies)
    for name in ("posts", "copies", "queue_items", "audit_log"):
        assert table(one_db, name) == table(two_db, name), name
    assert "broken" not in one_err and "posts.jsonl:12" in one_err and "posts.jsonl:12" in two_err
    # The summary lines agree on everything but the rate (the part after the last "; ").
    assert one_err.splitlines()[-1].rsplit("; ", 1)[0] == two_err.splitlines()[-1].rsplit("; ", 1)[0]


def test_a_copy_in_a_later_run_updates_the_first_posts_item(tmp_path: Path) -> None:
    lines = posts_with_copies(tmp_path / "posts.jsonl").read_text(encoding="utf-8").splitlines()
    (tmp_path / "firsts.jsonl").write_text("\n".join(x for x in lines if '"copy' not in x) + "\n")
    (tmp_path / "copies.jsonl").write_text("\n".join(x for x in lines if '"copy' in x) + "\n")
    _, db, _ = scan(tmp_path, [tmp_path / "firsts.jsonl"], 2, "later")
    with sqlite3.connect(db) as conn:
        before = dict(conn.execute("SELECT id, priority FROM queue_items").fetchall())
        stored = {f"{platform}:{post_id}": flags
                  for platform, post_id, flags in conn.execute("SELECT platform, post_id, flags FROM posts")}
    records, db, _ = scan(tmp_path, [tmp_path / "copies.jsonl"], 2, "later")
    records = [json.loads(r) for r in records]
    assert len(records) == 22 and all(r["duplicate_of"] in stored for r in records)
    # The copies carry the stored first post's results: they are not scored again.
    assert all(r["flags"] == json.loads(stored[r["duplicate_of"]]) for r in records)
    with sqlite3.connect(db) as conn:
        spread = conn.execute("SELECT q.id, q.copies, q.authors, q.platforms, q.priority, p.platform "
                              "FROM queue_items q JOIN posts p ON p.id = q.id WHERE q.copies > 0").fetchall()
        n_copies = conn.execute("SELECT count(*) FROM copies").fetchone()[0]
    assert n_copies == 22 and spread
    for item, copies, authors, platforms, priority, platform in spread:
        assert copies == 1 and authors == 2 and platforms == (1 if platform == "whatsapp" else 2)
        assert priority > before[item]  # the copies' shares add to the first post's reach
    shown = review.item(f"sqlite:///{db}", spread[0][0])
    assert shown["copies"] == 1 and [c["platform"] for c in shown["copy_posts"]] == ["whatsapp"]


@pytest.mark.parametrize("workers", [1, 2])
def test_patrol_runs_store_copies_and_skip_what_is_stored(tmp_path: Path, workers: int) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    posts_with_copies(inbox / "a.jsonl")
    config = tmp_path / "patrol.toml"
    config.write_text(f"""
[patrol]
database = "sqlite:///patrol.db"
output = "flagged.jsonl"
chunk_size = 10
workers = {workers}

[sources.inbox]
kind = "files"
paths = ["inbox/*.jsonl"]
id_column = "id"
""")
    first = run_patrol(config, log_stream=open(tmp_path / "log", "w"))  # noqa: SIM115 - closed with the run
    summary = first.sources[0].summary
    assert summary.posts == 65 + 22 and summary.copies == 22 and summary.problems == 1
    flagged = (tmp_path / "flagged.jsonl").read_text().splitlines()
    assert len(flagged) == summary.flagged_posts
    again = run_patrol(config, full_refresh=True, log_stream=open(tmp_path / "log", "a"))  # noqa: SIM115
    assert again.sources[0].summary.posts == 0 and again.sources[0].summary.duplicates == 65 + 22
    assert len(table(tmp_path / "patrol.db", "copies")) == 22

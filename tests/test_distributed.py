"""The Dask engine on a real local cluster of two worker processes: partitions, problems, retries, the queue."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import pipeline
from pipeline.cli import cli
from pipeline.config import SAMPLES_DIR
from pipeline.distributed import Columns, _read, _score, load_flagged, score_dataset
from pipeline.ingest.registry import make_ingestor
from pipeline.labels import LABELS
from pipeline.posts import Post

dask_distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    cluster = dask_distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                            dashboard_address=":0")
    with dask_distributed.Client(cluster) as connected:
        yield connected
    cluster.close()


def samples() -> pd.DataFrame:
    return pd.read_json(SAMPLES_DIR / "posts.jsonl", lines=True, dtype={"id": str}, convert_dates=False)


def inputs(directory: Path) -> Path:
    """The sample posts split over JSONL (with a malformed line), Parquet (three row groups) and CSV, plus an empty
    JSONL file, a Parquet file without rows and a file that is not Parquet at all."""
    directory.mkdir()
    frame = samples().drop(columns=["expected_labels"])
    first, second, third = frame.iloc[:25], frame.iloc[25:50], frame.iloc[50:]
    lines = [json.dumps(r, ensure_ascii=False) for r in first.to_dict(orient="records")]
    lines.insert(3, '{"id": "rusak", "text": ')
    (directory / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    second.to_parquet(directory / "b.parquet", row_group_size=10)
    third.to_csv(directory / "c.csv", index=False)
    (directory / "empty.jsonl").write_text("")
    frame.iloc[:0].to_parquet(directory / "none.parquet")
    (directory / "broken.parquet").write_bytes(b"PAR1 this is not a parquet file")
    return directory


def test_scores_every_post_as_a_local_scan_does(tmp_path: Path, client: object) -> None:
    source = inputs(tmp_path / "in")
    result = score_dataset([str(source / "*.jsonl"), str(source / "*.parquet"), str(source / "c.csv")],
                           str(tmp_path / "out"), columns=Columns(id="id"), client=client)
    assert result.posts == 65 and result.partitions == 8
    assert len(result.problems) == 2
    assert any("broken.parquet" in p and "not a readable Parquet file" in p for p in result.problems)
    assert any("a.jsonl" in p and "invalid JSON" in p for p in result.problems)

    scored = pd.read_parquet(result.scored).sort_values("post_id").reset_index(drop=True)
    assert len(scored) == 65 and scored["post_id"].is_unique
    assert set(os.listdir(result.scored)) == {f"day={d}" for d in scored["day"].astype(str)}
    assert all(d.startswith("day=2026-11-") for d in os.listdir(result.scored))
    flagged = pd.read_parquet(result.flagged)
    assert set(flagged["post_id"]) == set(scored.loc[scored["flags"] != "", "post_id"])
    assert result.flagged_posts == len(flagged) > 10

    local = pipeline.scan(SAMPLES_DIR / "posts.jsonl", id_column="id").sort_values("post_id")
    assert scored["post_id"].tolist() == local["post_id"].tolist()
    for label in LABELS:
        assert scored[f"score_{label}"].tolist() == local[label].tolist(), label
    assert scored["flags"].tolist() == [";".join(f) for f in local["flags"]]
    assert scored["priority"].tolist() == local["priority"].tolist()
    assert result.copies == 0 and scored["duplicate_of"].isna().all()
    # Each worker process loaded the model once, however many partitions it scored.
    loaded = client.run(lambda: len(_score._MODELS))  # type: ignore[attr-defined]
    assert max(loaded.values()) == 1


def copy_of(frame: pd.DataFrame, i: int, tag: str) -> pd.DataFrame:
    """Row `i` of `frame` forwarded: the same text under another id, platform and author, with a far larger reach."""
    return frame.iloc[[i]].assign(id=f"copy-{tag}", platform="whatsapp", author="penerus", shares=90_000,
                                  views=4_000_000, followers=2_000_000)


def with_copies(directory: Path) -> list[Path]:
    """The sample posts over JSONL, Parquet (row groups of 2 rows: ten partitions and more) and CSV, in that order,
    with copies within a partition, across partitions of one file and across files (some of one first post twice,
    some of a copy's first post), plus an empty file and a broken one."""
    directory.mkdir()
    frame = samples().drop(columns=["expected_labels"])
    a = pd.concat([frame.iloc[:20], copy_of(frame, 3, "a3")])
    b = pd.concat([frame.iloc[20:22], copy_of(frame, 21, "b21"), frame.iloc[22:40], copy_of(frame, 20, "b20"),
                   copy_of(frame, 1, "b1")])
    c = pd.concat([frame.iloc[40:], copy_of(frame, 41, "c41"), copy_of(frame, 3, "c3"),
                   *(copy_of(frame, i, f"c{i}") for i in range(20, 40))])
    paths = [directory / "a.jsonl", directory / "b.parquet", directory / "c.csv"]
    a.to_json(paths[0], orient="records", lines=True, force_ascii=False)
    b.to_parquet(paths[1], row_group_size=2)
    c.to_csv(paths[2], index=False)
    (directory / "empty.jsonl").write_text("")
    (directory / "broken.parquet").write_bytes(b"PAR1 this is not a parquet file")
    return [*paths, directory / "empty.jsonl", directory / "broken.parquet"]


def firsts(paths: list[Path]) -> dict[str, str | None]:
    """post_id -> "platform:post_id" of the first post with its text in `paths` read in order (None: a first)."""
    frames = [pd.read_json(paths[0], lines=True, dtype={"id": str}, convert_dates=False),
              pd.read_parquet(paths[1]), pd.read_csv(paths[2], dtype={"id": str})]
    seen: dict[str, str] = {}
    out: dict[str, str | None] = {}
    for row in pd.concat(frames).itertuples():
        out[row.id] = seen.get(row.text)
        seen.setdefault(row.text, f"{row.platform}:{row.id}")
    return out


def texts(column: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) else v for v in column]


def read_locally(directory: Path, names: list[str], **options: object) -> tuple[list[Post], list[str]]:
    """The posts and problems a local scan reads from `names` in `directory`, each problem as the Dask engine words
    it: the file's URL in place of its name."""
    posts, problems = [], []
    for name in names:
        for item in make_ingestor("f", {"kind": "files", "paths": [str(directory / name)], **options}).iter_posts(None):
            if item.post:
                posts.append(item.post)
            if item.problem:
                problems.append(f"file://{directory}/{item.problem}")
    return posts, problems


def test_copies_are_marked_as_a_local_scan_marks_them(tmp_path: Path, client: object) -> None:
    paths = with_copies(tmp_path / "in")
    result = score_dataset([str(p) for p in paths], str(tmp_path / "out"), columns=Columns(id="id"), client=client)
    assert result.posts == 65 + 26 and result.copies == 26 and result.partitions > 12
    assert len(result.problems) == 1 and "broken.parquet" in result.problems[0]
    assert "(26 copies of earlier posts)" in result.line()
    assert sorted(os.listdir(tmp_path / "out")) == ["flagged", "scored"]

    scored = pd.read_parquet(result.scored).set_index("post_id")
    expected = firsts(paths)
    assert dict(zip(scored.index, texts(scored["duplicate_of"]), strict=True)) == expected
    by_hand = {"copy-a3": "whatsapp:s014", "copy-b21": "facebook:s052", "copy-b20": "twitter:s050",
               "copy-b1": "twitter:s008", "copy-c3": "whatsapp:s014", "copy-c41": "twitter:s089",
               "copy-c21": "facebook:s052"}
    assert {k: scored.at[k, "duplicate_of"] for k in by_hand} == by_hand
    for copy_id, first in expected.items():
        if first is None:
            continue
        first_id = first.split(":", 1)[1]
        for name in ["flags", "evidence", "priority", "model_version", *(f"score_{label}" for label in LABELS)]:
            assert scored.at[copy_id, name] == scored.at[first_id, name], (copy_id, name)
        assert scored.at[copy_id, "shares"] == 90_000 != scored.at[first_id, "shares"]
    flagged = pd.read_parquet(result.flagged)
    assert set(flagged["post_id"]) == set(scored.index[scored["flags"] != ""])
    assert flagged["duplicate_of"].notna().sum() > 5

    local = pipeline.scan(paths[:3], id_column="id").set_index("post_id")
    assert sorted(local.index) == sorted(scored.index)
    local = local.loc[scored.index]
    assert texts(scored["duplicate_of"]) == texts(local["duplicate_of"])
    for label in LABELS:
        assert scored[f"score_{label}"].tolist() == local[label].tolist(), label
    assert scored["flags"].tolist() == [";".join(f) for f in local["flags"]]
    assert scored["priority"].tolist() == local["priority"].tolist()
    assert [json.loads(e) for e in scored["evidence"]] == [json.loads(json.dumps(e)) for e in local["evidence"]]

    # Loaded into the queue, each flagged copy is stored as a copy of the post the dataset names, although the
    # flagged files of some copies (part.13) sort before those of their first posts (part.2 to part.12).
    db = tmp_path / "q.db"
    stored, copies, _ = load_flagged(result.flagged, f"sqlite:///{db}")
    assert copies == flagged["duplicate_of"].notna().sum() and stored == len(flagged) - copies
    with sqlite3.connect(db) as conn:
        linked = dict(conn.execute("SELECT c.post_id, p.platform || ':' || p.post_id FROM copies c "
                                   "JOIN posts p ON p.id = c.original_id").fetchall())
    assert linked == dict(flagged.loc[flagged["duplicate_of"].notna(), ["post_id", "duplicate_of"]].values)


def test_loading_the_flagged_into_the_queue_twice_adds_nothing(tmp_path: Path, client: object) -> None:
    source = inputs(tmp_path / "in")
    copies = samples().drop(columns=["expected_labels"]).assign(id=lambda d: "copy-" + d["id"], platform="whatsapp")
    copies.to_parquet(source / "copies.parquet")
    db = tmp_path / "q.db"
    runner = CliRunner()
    args = ["scan", str(source / "*.jsonl"), str(source / "*.parquet"), str(source / "c.csv"), "--id-column", "id",
            "--engine", "dask", "--scheduler", client.scheduler.address,  # type: ignore[attr-defined]
            "--out", str(tmp_path / "out"), "--db", f"sqlite:///{db}", "--to-queue"]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "130 posts scanned (65 copies of earlier posts)" in first.stderr and "patroli: skipped:" in first.stderr
    with sqlite3.connect(db) as conn:
        posts, n_copies, items = (conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
                                  for t in ("posts", "copies", "queue_items"))
        spread = conn.execute("SELECT count(*) FROM queue_items WHERE copies = 1 AND platforms >= 1").fetchone()[0]
    flagged = len(pd.read_parquet(tmp_path / "out" / "flagged"))
    assert posts + n_copies == flagged and posts == items == flagged // 2 and spread == items
    again = runner.invoke(cli, args)  # a job killed after its writes and run again
    assert again.exit_code == 0, again.output
    assert "0 flagged posts stored, 0 copies, 0 enqueued" in again.stderr
    assert load_flagged(str(tmp_path / "out" / "flagged"), f"sqlite:///{db}") == (0, 0, 0)


def without_capture_time(scored: pd.DataFrame) -> pd.DataFrame:
    return scored.drop(columns="captured_at").sort_values("post_id").reset_index(drop=True)


def test_a_worker_killed_mid_task_is_retried(tmp_path: Path, client: object) -> None:
    base = samples().drop(columns=["expected_labels"])
    # Blocks 40 to 59 repeat the texts of blocks 0 to 19, four row groups (partitions) later.
    big = pd.concat([base.assign(id=base["id"] + f"-{i}", text=base["text"] + f" #{i % 40}") for i in range(60)])
    big.to_parquet(tmp_path / "big.parquet", row_group_size=650)
    pids = client.run(os.getpid)  # type: ignore[attr-defined]
    outcome: dict[str, object] = {}

    def job() -> None:
        try:
            outcome["result"] = score_dataset(str(tmp_path / "big.parquet"), str(tmp_path / "out"),
                                              columns=Columns(id="id"), client=client)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = exc

    thread = threading.Thread(target=job)
    thread.start()
    killed = None
    deadline = time.monotonic() + 300
    while killed is None and thread.is_alive() and time.monotonic() < deadline:
        busy = [w for w, tasks in client.processing().items() if tasks]  # type: ignore[attr-defined]
        if busy:
            time.sleep(1.0)  # well inside the task: scoring 650 posts takes seconds
            killed = pids[busy[0]]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.1)
    thread.join(600)
    assert killed is not None, "no task was caught running"
    assert "error" not in outcome, outcome.get("error")
    result = outcome["result"]
    assert result.posts == len(big) and result.copies == 20 * len(base)  # type: ignore[attr-defined]
    scored = pd.read_parquet(tmp_path / "out" / "scored")
    assert len(scored) == len(big) and scored["post_id"].is_unique
    copies = scored.set_index("post_id").loc[[f"{i}-{n}" for i in base["id"] for n in (40, 59)], "duplicate_of"]
    assert copies.tolist() == [f"{p}:{i}-{n}" for p, i in zip(base["platform"], base["id"], strict=True)
                               for n in (0, 19)]
    # The same job undisturbed writes the same rows.
    again = score_dataset(str(tmp_path / "big.parquet"), str(tmp_path / "again"), columns=Columns(id="id"),
                          client=client)
    assert again.copies == result.copies  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(without_capture_time(scored),
                                  without_capture_time(pd.read_parquet(tmp_path / "again" / "scored")))


def test_a_large_row_group_is_split_and_a_rerun_replaces_the_output(tmp_path: Path, client: object,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    frame = samples().drop(columns=["expected_labels"])
    # Copies of the first two posts: one in the same 20-row partition, two in the last.
    frame = pd.concat([frame.iloc[:5], copy_of(frame, 0, "near"), frame.iloc[5:], copy_of(frame, 0, "far"),
                       copy_of(frame, 1, "far1")])
    frame.to_parquet(tmp_path / "one.parquet", row_group_size=len(frame))
    monkeypatch.setattr(_read, "PARTITION_ROWS", 20)
    runs = []
    for _ in range(2):
        result = score_dataset(str(tmp_path / "one.parquet"), str(tmp_path / "out"), columns=Columns(id="id"),
                               client=client)
        assert result.partitions == -(-len(frame) // 20) and result.posts == len(frame) and result.copies == 3
        scored = pd.read_parquet(result.scored)
        assert sorted(scored["post_id"]) == sorted(frame["id"])
        assert len(pd.read_parquet(result.flagged)) == result.flagged_posts
        marked = scored.loc[scored["duplicate_of"].notna()].set_index("post_id")["duplicate_of"].to_dict()
        first, second = (f"{p}:{i}" for p, i in frame[["platform", "id"]].values[:2])
        assert marked == {"copy-near": first, "copy-far": first, "copy-far1": second}
        runs.append(without_capture_time(scored))
    pd.testing.assert_frame_equal(runs[0], runs[1])


def test_a_job_without_posts_leaves_empty_readable_datasets(tmp_path: Path, client: object) -> None:
    (tmp_path / "empty.jsonl").write_text("\n")
    result = score_dataset(str(tmp_path / "empty.jsonl"), str(tmp_path / "out"), client=client)
    assert result.posts == 0 and result.problems == []
    assert len(pd.read_parquet(result.scored)) == 0 and len(pd.read_parquet(result.flagged)) == 0
    assert {f"score_{LABELS[0]}", "duplicate_of"} <= set(pd.read_parquet(result.flagged).columns)
    assert result.copies == 0 and sorted(os.listdir(tmp_path / "out")) == ["flagged", "scored"]


def test_each_post_is_filed_under_its_day_in_jakarta(tmp_path: Path, client: object) -> None:
    rows = [{"id": "late", "text": "Rapat RT ditunda sampai Sabtu malam.", "created_at": "2026-11-30T23:30:00Z",
             "shares": 4},
            {"id": "morning", "text": "Jalan depan pasar ditutup untuk perbaikan.", "created_at": "2026-11-30 08:00"},
            {"id": "undated", "text": "Lampu jalan di gang tiga mati lagi."}]
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    result = score_dataset(str(tmp_path / "in.jsonl"), str(tmp_path / "out"), columns=Columns(id="id"),
                           client=client)
    scored = pd.read_parquet(result.scored).set_index("post_id")
    # 23:30 UTC is 06:30 the next morning in WIB; a time without a zone is read as WIB.
    assert scored["day"].astype(str).to_dict() == {"late": "2026-12-01", "morning": "2026-11-30",
                                                   "undated": "unknown"}
    assert pd.isna(scored.loc["undated", "created_at"]) and pd.isna(scored.loc["undated", "shares"])
    assert scored.loc["late", "created_at"] == pd.Timestamp("2026-11-30T23:30:00Z")
    assert scored.loc["late", "shares"] == 4
    assert scored.loc["morning", "created_at"] == pd.Timestamp("2026-11-30T01:00:00Z")


def test_a_malformed_csv_row_costs_its_line_as_in_a_local_scan(tmp_path: Path, client: object) -> None:
    """A CSV file with a quote never closed and a line of invalid UTF-8 (plain and gzipped): the workers read the
    rows a local scan reads, under the same `<file>:<line>` ids, and report the two bad lines; the rest is kept."""
    body = (b"text,author\n"
            b"Baris baik pertama,ani\n"
            b'"Kutipan yang tidak pernah ditutup,budi\n'
            b"Baris baik kedua,cici\n"
            b"Baris rusak \xff UTF-8,dedi\n"
            b'"Postingan dua baris\nyang sah",eko\n'
            b"Baris baik ketiga,gita\n")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "kutip.csv").write_bytes(body)
    (tmp_path / "in" / "kutip2.csv.gz").write_bytes(gzip.compress(body.replace(b"pertama", b"keempat")))
    result = score_dataset(str(tmp_path / "in" / "kutip*"), str(tmp_path / "out"), client=client)
    scored = pd.read_parquet(result.scored).sort_values("post_id")
    local, problems = read_locally(tmp_path / "in", ["kutip.csv", "kutip2.csv.gz"], author_column="author")
    assert len(local) == 8 and len(problems) == 4 and sorted(result.problems) == sorted(problems)
    assert list(scored["post_id"]) == [p.post_id for p in local]
    assert list(scored["text"]) == [p.text for p in local]
    assert list(scored["author"]) == ["ani", "cici", "eko", "gita"] * 2
    assert sorted(p.rsplit("kutip", 1)[1] for p in result.problems) == [
        ".csv:3: malformed CSV (',' expected after '\"', line 6, in a quoted field opened here); line skipped",
        ".csv:5: invalid UTF-8 at byte 13 of the line; skipped",
        "2.csv.gz:3: malformed CSV (',' expected after '\"', line 6, in a quoted field opened here); line skipped",
        "2.csv.gz:5: invalid UTF-8 at byte 13 of the line; skipped",
    ]


def test_bad_bytes_in_jsonl_cost_their_line_and_a_cut_gzip_keeps_what_came_before(tmp_path: Path,
                                                                                   client: object) -> None:
    """A line of invalid UTF-8 inside a JSONL block, and a gzipped JSONL file cut off mid-stream: the workers keep
    every readable post (the lines a local scan reads) and report the bad line and the damage."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_bytes(b'\xef\xbb\xbf{"text": "Baris pertama"}\r\n{"text": "Rusak \xff"}\n'
                                              b'{"text": "Baris ketiga"}\n')
    body = b"".join(b'{"text": "Pesan berantai nomor %d tentang jalan %d"}\n' % (i, i * 7919) for i in range(3000))
    packed = gzip.compress(body)
    (tmp_path / "in" / "b.jsonl.gz").write_bytes(packed[:len(packed) // 2])
    result = score_dataset(str(tmp_path / "in" / "*"), str(tmp_path / "out"), client=client)
    local, problems = read_locally(tmp_path / "in", ["a.jsonl", "b.jsonl.gz"])
    assert 1000 < len(local) < 3002
    scored = pd.read_parquet(result.scored)
    assert sorted(scored["text"]) == sorted(p.text for p in local)
    kept = len(local) - 2  # lines of b.jsonl.gz before the damage
    assert sorted(result.problems) == sorted(problems) == [
        f"file://{tmp_path}/in/a.jsonl:2: invalid UTF-8 at byte 17 of the line; skipped",
        f"file://{tmp_path}/in/b.jsonl.gz:{kept + 1}: compressed file ends early (truncated gzip?) at line "
        f"{kept + 1}; the rest of the file is unreadable",
    ]


def test_rows_are_read_with_the_columns_a_local_scan_reads(tmp_path: Path, client: object) -> None:
    """Conventionally named columns (id, post_id, timestamp, username, retweets…) and an unreadable time: the workers
    make the same posts as a local scan (same keys, so the two never queue one post twice), and keep the post whose
    time cannot be read, without its time."""
    rows = [{"id": "a1", "text": "Jembatan Suramadu ditutup sementara untuk perbaikan.", "created_at": "2026-11-30 08:00",
             "author": "ani", "shares": "1,2 rb"},
            {"post_id": "b2", "text": "Besok pemadaman listrik bergilir di Bekasi.", "timestamp": "kapan-kapan",
             "username": "budi", "retweets": 7, "link": "https://contoh.id/b2"},
            {"text": "Tanpa id, tanpa waktu.", "user": "cici", "impressions": "3.400", "platform": "tiktok"}]
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "a.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    result = score_dataset(str(path), str(tmp_path / "out"), client=client)
    scored = pd.read_parquet(result.scored).set_index("post_id")
    local = [item.post for item in make_ingestor("f", {"kind": "files", "paths": [str(path)], "auto_columns": True})
             .iter_posts(None) if item.post]
    assert result.problems == [] and list(scored.index) == [p.post_id for p in local] == ["a1", "b2", "a.jsonl:3"]
    for post in local:
        row = scored.loc[post.post_id]
        for column in ("platform", "author", "url", "shares", "views", "created_at"):
            assert (None if pd.isna(row[column]) else row[column]) == getattr(post, column), column
    assert scored.loc["a1", "shares"] == 1200 and scored.loc["b2", "author"] == "budi"
    assert pd.isna(scored.loc["b2", "created_at"]) and scored.loc["a.jsonl:3", "platform"] == "tiktok"


def test_jsonl_blocks_number_their_posts_by_line_as_a_local_scan_does(tmp_path: Path, client: object) -> None:
    """A JSONL file without ids cut into many blocks: each post's key is `<file>:<line>`, the key a local scan gives
    it, and the malformed lines are reported by their line numbers, blank lines counted."""
    lines = [json.dumps({"text": f"Pesan warga nomor {i} tentang jalan rusak {'di gang ' * (i % 9)}"})
             for i in range(1500)]
    lines[7], lines[8], lines[900] = '{"text": ', "", "[1, 2]"
    path = tmp_path / "warga.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = score_dataset(str(path), str(tmp_path / "out"), client=client, blocksize=4096)
    assert result.partitions > 10
    local, problems = read_locally(tmp_path, ["warga.jsonl"])
    scored = pd.read_parquet(result.scored)
    assert len(local) == 1497 and sorted(scored["post_id"]) == sorted(p.post_id for p in local)
    assert result.problems == problems == [
        f"file://{path}:8: invalid JSON (Expecting value at column 10); skipped",
        f"file://{path}:901: not a JSON object but list; skipped",
    ]

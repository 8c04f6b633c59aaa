from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

import pipeline
from pipeline import review
from pipeline.config import SAMPLES_DIR
from pipeline.errors import StoreError
from pipeline.ingest.base import Item
from pipeline.labels import FLAG_LABELS, LABELS
from pipeline.posts import Post
from pipeline.scanner import ScanSummary, scan_items
from pipeline.scoring import Scorer
from pipeline.store import Store
from pipeline.store.frames import posts_frame


@pytest.fixture(scope="module")
def model() -> pipeline.Model:
    return pipeline.load_model()


def test_scan_samples_returns_tidy_frame(model: pipeline.Model) -> None:
    frame = pipeline.scan([SAMPLES_DIR / "posts.csv", SAMPLES_DIR / "posts.jsonl"], model=model, id_column="id")
    assert len(frame) == 139
    for label in LABELS:
        assert frame[label].dtype == "float64"
        assert frame[label].between(0, 1).all()
    assert str(frame["created_at"].dtype).startswith("datetime64") and frame["created_at"].dt.tz is not None
    flagged = frame[frame["flags"].map(bool)]
    assert len(flagged) >= 20
    for _, row in flagged.iterrows():
        assert set(row["flags"]) <= set(FLAG_LABELS)
        for label in row["flags"]:
            assert row["evidence"][label], "every flag carries its evidence terms"
    assert (frame.loc[~frame["flags"].map(bool), "priority"] == 0).all()
    assert (flagged["priority"] > 0).all()


def test_scan_quality_on_hand_written_samples(model: pipeline.Model) -> None:
    frame = pipeline.scan(SAMPLES_DIR / "posts.jsonl", model=model, id_column="id")
    truth = pd.read_json(SAMPLES_DIR / "posts.jsonl", lines=True).set_index("id")["expected_labels"]
    ordinary = frame[frame["post_id"].map(lambda i: not truth[i])]
    harmful = frame[frame["post_id"].map(lambda i: bool(truth[i]))]
    # Most ordinary posts stay unflagged and most harmful ones are caught.
    assert ordinary["flags"].map(bool).mean() < 0.35
    assert harmful["flags"].map(bool).mean() > 0.6


def test_every_post_gets_its_record_and_copies_name_their_first_post(model: pipeline.Model) -> None:
    hoax = "Sebarkan! air rebusan sandal bisa menyembuhkan corona"
    posts = [Post("twitter", "1", hoax),
             Post("twitter", "1", "teks lain dengan id sama"),
             Post("facebook", "9", hoax, author="b"),
             Post("twitter", "2", "Selamat pagi, cuaca cerah hari ini"),
             Post("twitter", "1", hoax)]
    frame = pipeline.scan(posts, model=model, chunk_size=2)
    assert frame["post_id"].tolist() == ["1", "1", "9", "2", "1"]
    assert frame["duplicate_of"].fillna("").tolist() == ["", "", "twitter:1", "", "twitter:1"]
    first, copy = frame.iloc[0], frame.iloc[2]
    assert copy["author"] == "b" and copy["platform"] == "facebook"
    for name in (*LABELS, "priority", "content_sha256"):
        assert copy[name] == first[name]
    assert copy["flags"] == first["flags"] and copy["evidence"] == first["evidence"]
    # An edited post (same key, other text) is scored as what it now says.
    assert frame.iloc[1]["content_sha256"] != first["content_sha256"]


def test_scan_stores_flagged_posts_in_the_queue(db_url: str, model: pipeline.Model) -> None:
    # Small chunks: several transactions, each looking up what the ones before it stored.
    frame = pipeline.scan(SAMPLES_DIR / "posts.csv", model=model, id_column="id", db=db_url, chunk_size=16)
    n_flagged = int(frame["flags"].map(bool).sum())
    store = Store.open(db_url)
    try:
        posts = posts_frame(store)
        assert len(posts) == len(frame)
        queue = review.queue_frame(store)
        assert len(queue) == n_flagged
    finally:
        store.close()
    again = pipeline.scan(SAMPLES_DIR / "posts.csv", model=model, id_column="id", db=db_url, chunk_size=16)
    assert len(again) == len(frame)  # re-scanning scores again but stores nothing twice
    store = Store.open(db_url)
    try:
        assert len(posts_frame(store)) == len(frame)
    finally:
        store.close()


def test_a_failed_save_ends_the_scan_after_the_last_committed_chunk(tmp_path: Path,
                                                                    model: pipeline.Model) -> None:
    # A chunk is yielded only once committed, a failed save is raised, and nothing after it is stored, so a
    # re-run resumes at the failed chunk.
    store = Store.open(f"sqlite:///{tmp_path / 'q.db'}")
    try:
        with store.transaction("test", write=True) as conn:
            conn.exec_driver_sql("CREATE TRIGGER refuse_p5 BEFORE INSERT ON posts WHEN NEW.post_id = 'p5' "
                                 "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        items = [Item(Post("twitter", f"p{i}", f"kabar nomor {i} dari desa sebelah"), cursor=f"c{i}")
                 for i in range(8)]
        yielded = []
        with pytest.raises(StoreError, match="disk full"):
            for records in scan_items(items, Scorer(model), store=store, source="feed", chunk_size=2):
                yielded.append([r.post_id for r in records])
        assert yielded == [["p0", "p1"], ["p2", "p3"]]
        assert sorted(posts_frame(store)["post_id"]) == ["p0", "p1", "p2", "p3"]
        assert store.get_cursor("feed") == "c3"
    finally:
        store.close()


def test_scan_reports_malformed_rows_and_keeps_the_rest(tmp_path: Path, model: pipeline.Model) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"id": "a", "text": "halo semua"}\n{"id": "b", "text": \n{"id": "c", "text": "usir mereka"}\n')
    problems: list[str] = []
    frame = pipeline.scan(path, model=model, id_column="id", on_problem=problems.append)
    assert frame["post_id"].tolist() == ["a", "c"]
    assert len(problems) == 1 and "mixed.jsonl:2" in problems[0]


def test_threshold_override_changes_flags(model: pipeline.Model) -> None:
    posts = [Post("x", str(i), t) for i, t in enumerate(["halo apa kabar", "makan siang enak"])]
    everything = pipeline.scan(posts, model=model, thresholds={label: 0.0 for label in FLAG_LABELS})
    assert all(flags == list(FLAG_LABELS) for flags in everything["flags"])


def test_records_are_json_serialisable(tmp_path: Path, model: pipeline.Model) -> None:
    frame = pipeline.scan(SAMPLES_DIR / "posts.txt", model=model)
    assert len(frame) == 25
    json.dumps(frame["evidence"].tolist())


#: Runs `patroli ARGS...` in this interpreter, then prints (last line of stderr) which training libraries the command
#: imported; each task a worker process runs also writes what that worker had imported, into the directory named by
#: argv[1]. Scoring and claim matching need none of them.
TRAINING_LIBRARIES = ("sklearn", "nltk", "scipy.stats")
LOADED = f"""
import json, os, sys
from concurrent.futures import ProcessPoolExecutor
from pipeline.cli import main

reports = sys.argv.pop(1)
submit = ProcessPoolExecutor.submit
def _reported(fn, *args, **kwargs):
    result = fn(*args, **kwargs)
    loaded = sorted(m for m in {TRAINING_LIBRARIES!r} if m in sys.modules)
    with open(os.path.join(reports, str(os.getpid())), "w") as handle:
        json.dump(loaded, handle)
    return result
ProcessPoolExecutor.submit = lambda self, fn, *args, **kwargs: submit(self, _reported, fn, *args, **kwargs)
code = 0
try:
    main()
except SystemExit as stop:
    code = stop.code
print(json.dumps(sorted(m for m in {TRAINING_LIBRARIES!r} if m in sys.modules)), file=sys.stderr)
sys.exit(code)
"""


def test_a_scan_with_known_claims_imports_no_training_library(tmp_path: Path) -> None:
    import subprocess
    import sys

    from pipeline.claims import import_claims

    url = f"sqlite:///{tmp_path / 'claims.db'}"
    import_claims(SAMPLES_DIR / "claims.csv", url)
    out, reports = tmp_path / "out.jsonl", tmp_path / "workers"
    reports.mkdir()
    for workers in ("1", "2"):
        done = subprocess.run([sys.executable, "-c", LOADED, str(reports), "scan", str(SAMPLES_DIR / "posts.csv"),
                               "--db", url,
                               "--out", str(out), "--workers", workers], capture_output=True, text=True,
                              timeout=300, env={**os.environ, "PATROLI_CACHE_DIR": str(tmp_path / "cache")})
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stderr.splitlines()[-1]) == []
        records = [json.loads(line) for line in out.read_text().splitlines()]
        assert sum(r["claim_id"] is not None for r in records) >= 8  # the claims were really matched
    workers_seen = [json.loads(path.read_text()) for path in reports.iterdir()]
    assert workers_seen and all(loaded == [] for loaded in workers_seen)


def test_scan_matches_known_claims_from_the_database(tmp_path: Path, model: pipeline.Model) -> None:
    from pipeline.claims import import_claims

    url = f"sqlite:///{tmp_path / 'claims.db'}"
    import_claims(SAMPLES_DIR / "claims.csv", url)
    frame = pipeline.scan([SAMPLES_DIR / "posts.csv", SAMPLES_DIR / "posts.jsonl"], model=model, id_column="id",
                          db=url)
    truth = pd.concat([pd.read_csv(SAMPLES_DIR / "posts.csv", keep_default_na=False).assign(
        expected_labels=lambda d: d["expected_labels"].str.split(";")),
        pd.read_json(SAMPLES_DIR / "posts.jsonl", lines=True)]).set_index("id")["expected_labels"]
    hoax = frame[frame["post_id"].map(lambda i: "hoax" in truth[i])]
    # The sample claims cover 10 of the 14 hoax samples; each of those must find its claim and be flagged by it.
    assert hoax["claim_id"].notna().sum() >= 10
    strong = hoax[hoax["evidence"].map(lambda e: e.get("claim", {}).get("level") == "match")]
    assert len(strong) >= 8 and strong["flags"].map(lambda f: "hoax" in f).all()
    matched = hoax[hoax["claim_id"].notna()].iloc[0]
    assert matched["evidence"]["claim"]["title"] and matched["claim_similarity"] > 0
    ordinary = frame[frame["post_id"].map(lambda i: not [x for x in truth[i] if x])]
    assert ordinary["flags"].map(lambda f: "hoax" in f).mean() < 0.1


def test_the_summary_line_mentions_stored_posts_only_when_some_were_skipped() -> None:
    """A scan scores every post again, so its line says nothing of stored posts; a patrol run that skipped some
    says how many."""
    scan = ScanSummary(posts=65, flagged_posts=22, enqueued=22, seconds=1.0)
    assert "already stored" not in scan.line()
    assert scan.line().startswith("65 posts scanned (0 copies of earlier posts), 22 flagged (")
    patrol = ScanSummary(posts=10, duplicates=3, seconds=1.0)
    assert "; 3 already stored, skipped; 0 malformed records skipped; 0 enqueued;" in patrol.line()

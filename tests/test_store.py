"""The storage layer on SQLite and PostgreSQL: schema, scan saving, de-duplication, cursors, claims, errors."""

from __future__ import annotations

import hashlib
import socket
from datetime import UTC, datetime

import pandas as pd
import pytest
import sqlalchemy as sa
from _schema import make_version_1

from pipeline.errors import InputError, StoreError
from pipeline.labels import LABELS
from pipeline.store import SCHEMA_VERSION, SaveResult, Store
from pipeline.store.frames import claims_frame, posts_frame


def _raw(url: str, sql: str, **params: object) -> list[tuple]:
    """Run SQL behind the store's back (as a tamperer or an older/newer tool would)."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(sql), params)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


def test_open_creates_schema_and_reopens(db_url):
    with Store.open(db_url) as store:
        assert store.dialect in ("sqlite", "postgresql")
        assert posts_frame(store).empty
    with Store.open(db_url) as store:
        assert posts_frame(store).empty
    assert _raw(db_url, "SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]


def test_save_scan_dedupes_enqueues_and_sets_cursor(db_url, make_record):
    records = [make_record(i, flags=() if i % 3 == 0 else ("hoax",)) for i in range(1, 10)]
    with Store.open(db_url) as store:
        result = store.save_scan(records, cursor=("rss:kominfo", "2024-06-01T00:09:00Z"))
        assert result == SaveResult(stored=9, duplicates=0, enqueued=6)
        assert store.get_cursor("rss:kominfo") == "2024-06-01T00:09:00Z"
        again = [
            make_record(1),  # same key
            make_record(50, text=records[1].text),  # same content, other key
            make_record(60), make_record(60),  # repeated within the chunk
            make_record(70, flags=()),
        ]
        # The same text under another key is kept as a copy of the stored post, not as a second post.
        assert store.save_scan(again) == SaveResult(stored=2, duplicates=2, enqueued=1, copies=1)
        frame = posts_frame(store)
        assert [(c["platform"], c["post_id"], c["original_id"]) for c in store.copies_of([2])] == [
            ("twitter", "50", 2)]
    assert len(frame) == 11
    assert frame["content_sha256"].is_unique
    assert _raw(db_url, "SELECT count(*) FROM queue_items WHERE status = 'pending'") == [(7,)]
    assert _raw(db_url, "SELECT count(*) FROM audit_log WHERE action = 'enqueue'") == [(7,)]


def test_save_scan_is_one_transaction(db_url, make_record):
    bad = make_record(3, created_at=datetime(2024, 5, 1))  # naive: refused
    with Store.open(db_url) as store:
        store.set_cursor("src", "old")
        with pytest.raises(InputError, match="timezone-aware"):
            store.save_scan([make_record(1), make_record(2), bad], cursor=("src", "new"))
        assert posts_frame(store).empty
        assert store.get_cursor("src") == "old"


def test_save_scan_rejects_wrong_hash_and_unknown_flag(db_url, make_record):
    with Store.open(db_url) as store:
        with pytest.raises(InputError, match="does not match"):
            store.save_scan([make_record(1, content_sha256="0" * 64)])
        with pytest.raises(InputError, match="unknown flag"):
            store.save_scan([make_record(2, flags=("spam",))])
        assert posts_frame(store).empty


def test_known(db_url, make_record):
    records = [make_record(i) for i in range(1, 4)]
    with Store.open(db_url) as store:
        store.save_scan(records)
        stored = hashlib.sha256(records[2].text.encode()).hexdigest()
        other = hashlib.sha256(b"never stored").hexdigest()
        keys, hashes = store.known([("twitter", "1"), ("twitter", "99"), ("facebook", "2")], [stored, other])
    assert keys == {("twitter", "1")}
    assert hashes == {stored}


def test_posts_frame_columns_and_window(db_url, make_record):
    with Store.open(db_url) as store:
        store.save_scan([make_record(i, scores={"hoax": 0.25 * i, "sara": 0.1}) for i in range(1, 4)])
        frame = posts_frame(store)
        window = posts_frame(store, since=datetime(2024, 6, 1, 0, 2, tzinfo=UTC),
                             until=datetime(2024, 6, 1, 0, 3, tzinfo=UTC))
        by_created = posts_frame(store, since=datetime(2024, 5, 1, 2, tzinfo=UTC), by="created_at")
    assert {f"score_{label}" for label in LABELS} <= set(frame.columns)
    assert frame["score_hoax"].tolist() == [0.25, 0.5, 0.75]
    assert frame["score_abusive"].isna().all()
    assert str(frame["captured_at"].dt.tz) == "UTC" and str(frame["created_at"].dt.tz) == "UTC"
    assert frame.loc[0, "flags"] == ["hoax"] and frame.loc[0, "raw"] == {"id": 1}
    assert frame["queue_status"].tolist() == ["pending"] * 3
    assert window["post_id"].tolist() == ["2"]
    assert by_created["post_id"].tolist() == ["2", "3"]


def test_cursors(db_url):
    with Store.open(db_url) as store:
        assert store.get_cursor("a") is None
        store.set_cursor("a", "1")
        store.set_cursor("a", "2")
        store.set_cursor("b", "x")
        assert (store.get_cursor("a"), store.get_cursor("b")) == ("2", "x")
        assert store.clear_cursors("a") == 1
        assert store.get_cursor("a") is None and store.get_cursor("b") == "x"
        assert store.clear_cursors() == 1
        assert store.get_cursor("b") is None


def test_claims_upsert(db_url):
    rows = [{"claim_id": "c1", "title": "Vaksin berisi chip", "text": "...", "verdict": "hoaks",
             "url": "https://turnbackhoax.id/c1", "date": datetime(2021, 3, 1).date(), "narrative": "vaksin",
             "source": "turnbackhoax"},
            {"claim_id": "c2", "title": "Gempa buatan", "verdict": "hoaks"}]
    with Store.open(db_url) as store:
        assert store.add_claims(rows) == 2
        assert store.add_claims([{"claim_id": "c2", "title": "Gempa buatan manusia"}, {"claim_id": "c3"}]) == 1
        frame = claims_frame(store)
        with pytest.raises(InputError, match="claim_id"):
            store.add_claims([{"title": "no id"}])
    assert frame["claim_id"].tolist() == ["c1", "c2", "c3"]
    assert frame.set_index("claim_id").loc["c2", "title"] == "Gempa buatan manusia"
    assert frame.set_index("claim_id").loc["c1", "date"] == "2021-03-01"
    assert isinstance(frame.loc[0, "imported_at"], pd.Timestamp)


def test_newer_schema_is_refused(db_url):
    Store.open(db_url).close()
    _raw(db_url, "INSERT INTO schema_version (version, applied_at) VALUES (:v, :t)", v=SCHEMA_VERSION + 7,
         t=datetime(2030, 1, 1))
    with pytest.raises(StoreError) as err:
        Store.open(db_url)
    assert str(err.value) == (f"database schema version {SCHEMA_VERSION + 7} is newer than this patroli "
                              f"({SCHEMA_VERSION}); upgrade patroli")


def test_older_schema_is_upgraded_in_steps(db_url, monkeypatch):
    from pipeline.store import migrate

    Store.open(db_url).close()

    def add_label_column(conn: sa.Connection) -> None:
        conn.execute(sa.text("ALTER TABLE cursors ADD COLUMN label TEXT"))

    # What the next patroli release will do: bump the version and ship one step.
    monkeypatch.setattr(migrate, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setattr(migrate, "STEPS", {SCHEMA_VERSION + 1: add_label_column})
    with Store.open(db_url) as store:
        store.set_cursor("a", "1")
    assert _raw(db_url, "SELECT version FROM schema_version ORDER BY version") == [(SCHEMA_VERSION,),
                                                                                   (SCHEMA_VERSION + 1,)]
    assert _raw(db_url, "SELECT source, label FROM cursors") == [("a", None)]
    Store.open(db_url).close()  # already current: no step runs twice
    assert len(_raw(db_url, "SELECT version FROM schema_version")) == 2


def test_audit_log_is_append_only(db_url, make_record):
    with Store.open(db_url) as store:
        store.save_scan([make_record(1)])
    for sql in ("UPDATE audit_log SET note = 'rewritten'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            _raw(db_url, sql)
    assert _raw(db_url, "SELECT count(*) FROM audit_log") == [(1,)]


def test_sqlite_uses_wal(tmp_path):
    url = f"sqlite:///{tmp_path / 'wal.db'}"
    Store.open(url).close()
    assert _raw(url, "PRAGMA journal_mode") == [("wal",)]


def test_sqlite_connections_cache_and_checkpoint_for_a_scan(tmp_path, make_record):
    # A scan's chunk (2,000 posts, several MiB of pages) fits the cache of a connection that saved one and the log
    # between checkpoints; a connection that only reads keeps SQLite's small default cache.
    def settings(store: Store) -> tuple[int, int]:
        with store.transaction("read") as conn:
            return (-conn.exec_driver_sql("PRAGMA cache_size").scalar(),
                    conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar())

    with Store.open(f"sqlite:///{tmp_path / 'cache.db'}") as store:
        reading_kib, pages = settings(store)
        store.save_scan([make_record(1)])
        saving_kib, _ = settings(store)
    assert reading_kib <= 2048 and saving_kib >= 32 * 1024 and pages * 4096 >= 32 * 1024 * 1024


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("url, message", [
    ("not a url", "invalid database URL 'not a url'"),
    ("mysql://u@localhost/db", "unsupported database 'mysql'"),
    ("sqlite:////nonexistent-dir/sub/patroli.db", "cannot open database sqlite:////nonexistent-dir"),
    (f"postgresql://patroli:secret@127.0.0.1:{_closed_port()}/patroli", "cannot open database postgresql+psycopg"),
])
def test_bad_urls_give_one_line(url, message):
    with pytest.raises(StoreError) as err:
        Store.open(url)
    text = str(err.value)
    assert text.startswith(message)
    assert "\n" not in text and "secret" not in text


def test_not_a_database_file(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("this is not a database\n" * 100)
    with pytest.raises(StoreError, match="file is not a database"):
        Store.open(f"sqlite:///{path}")


def _save_worker(url: str, records: list[dict], start, out) -> None:
    store = Store.open(url)
    start.wait(30)
    totals = [0, 0, 0]
    for i in range(0, len(records), 25):
        result = store.save_scan(records[i:i + 25])
        totals = [totals[0] + result.stored, totals[1] + result.duplicates, totals[2] + result.enqueued]
    store.close()
    out.put(totals)


def test_concurrent_save_scan_stores_each_post_once(db_url, make_record, run_processes):
    records = [make_record(i, flags=("sara",) if i % 2 else ()) for i in range(1, 201)]
    Store.open(db_url).close()
    totals = run_processes(_save_worker, [(db_url, records[::step] + records) for step in (1, 2, 3)])
    assert sum(t[0] for t in totals) == 200
    assert sum(t[2] for t in totals) == 100
    assert _raw(db_url, "SELECT count(*) FROM posts") == [(200,)]
    assert _raw(db_url, "SELECT count(*), count(DISTINCT item_id) FROM audit_log") == [(100, 100)]


def test_version_1_database_gets_copies_and_spread_columns(db_url, make_record):
    with Store.open(db_url) as store:
        store.save_scan([make_record(1), make_record(2, flags=()), make_record(3, author=None)])
    make_version_1(db_url)
    with Store.open(db_url) as store:
        assert _raw(db_url, "SELECT id, copies, authors, platforms, reach_shares, reach_views, reach_followers "
                            "FROM queue_items ORDER BY id") == [(1, 0, 1, 1, 10, 100, 1000),
                                                                (3, 0, 0, 1, 30, 300, 1000)]
        result = store.save_scan([make_record(9, text=make_record(1).text, author="lain", platform="facebook",
                                              shares=5)])
        assert result.copies == 1
    assert _raw(db_url, "SELECT copies, authors, platforms, reach_shares FROM queue_items WHERE id = 1") == [
        (1, 2, 2, 15)]
    assert _raw(db_url, "SELECT max(version) FROM schema_version") == [(SCHEMA_VERSION,)]

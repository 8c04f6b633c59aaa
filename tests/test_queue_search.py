"""Queue search in SQL on SQLite and PostgreSQL, the facets written at enqueue, and the schema upgrade that adds
them to an older database."""

from __future__ import annotations

import _web
import pytest
import sqlalchemy as sa

from pipeline import review
from pipeline.errors import InputError
from pipeline.labels import sara_target
from pipeline.store import SCHEMA_VERSION, Store, queue_search
from pipeline.store.queue_facets import copy_key
from pipeline.store.queue_search import NOBODY, QueueQuery


@pytest.fixture
def seeded(db_url):
    with Store.open(db_url) as store:
        ids = _web.seed(store)
        yield store, ids


def _ids(store: Store, **query) -> list[int]:
    with store.transaction("test") as conn:
        return queue_search.item_ids(conn, QueueQuery(**query))


def test_filters_on_both_backends(seeded):
    store, ids = seeded
    assert _ids(store)[:2] == [ids["15"], ids["14"]]
    assert set(_ids(store, label="sara_agama")) == {ids["14"], ids["15"]}
    assert set(_ids(store, label="hoax", platform="twitter", score_min=0.7)) == {ids["11"], ids["13"]}
    assert _ids(store, claim_id="cek-1") == [ids["13"]]
    assert set(_ids(store, text="KAMPUNG")) == {ids["14"], ids["15"]}
    assert _ids(store, text="%") == [] and _ids(store, text="_") == []
    review.claim(store, "ani", ids["3"])
    assert _ids(store, assignee="ani") == [ids["3"]] and ids["3"] not in _ids(store, assignee=NOBODY)
    assert _ids(store, statuses=("in_review",)) == [ids["3"]]
    with store.transaction("test") as conn:
        counts = queue_search.counts(conn, QueueQuery(label="hoax"))
        assert counts["total"] == 7 and queue_search.count(conn, QueueQuery(label="hoax")) == 7
        assert queue_search.counts(conn, QueueQuery(label="hoax", statuses=("pending",)))["total"] == 6
        scored = queue_search.counts(conn, QueueQuery(label="hoax", score_min=0.7, statuses=("pending",)))
        assert scored["total"] == 2 and scored["status"]["pending"] == 2 and scored["label"]["abusive"] == 6
        assert counts["status"] == {"pending": 6, "in_review": 1, "confirmed": 0, "dismissed": 0, "escalated": 0}
        assert counts["label"]["abusive"] == 6 and counts["label"]["hoax"] == 7
        page = queue_search.page(conn, QueueQuery(sort="time"), offset=1, limit=2)
        assert [r["item_id"] for r in page] == [ids["14"], ids["13"]]
        assert queue_search.neighbours(conn, QueueQuery(), ids["14"]) == (ids["15"], ids["13"])
        assert queue_search.neighbours(conn, QueueQuery(sort="time"), ids["14"]) == (ids["15"], ids["13"])
        assert queue_search.neighbours(conn, QueueQuery(label="hoax"), ids["13"]) == (None, ids["11"])
        reposts = queue_search.copies(conn, ids["14"], copy_key("kaum itu harus diusir dari kampung"))
        assert [c["item_id"] for c in reposts] == [ids["15"]]


@pytest.mark.parametrize("bad, message", [
    ({"statuses": ("open",)}, "unknown status"), ({"label": "spam"}, "unknown label"), ({"sort": "x"}, "unknown sort"),
])
def test_bad_query_is_an_input_error(bad, message):
    with pytest.raises(InputError, match=message):
        QueueQuery(**bad)


def test_copy_key_ignores_case_links_and_punctuation():
    assert copy_key("Kaum itu HARUS diusir!! https://t.co/x @budi") == copy_key("kaum itu harus   diusir")
    assert copy_key("kaum itu harus diusir") != copy_key("kaum itu harus dilindungi")


@pytest.mark.parametrize("scores, target", [
    ({"sara": 0.9, "sara_agama": 0.8, "sara_ras": 0.1}, "sara_agama"),
    ({"sara": 0.9, "sara_agama": 0.1, "sara_ras": 0.6}, "sara_ras"),
    ({"sara": 0.9, "sara_agama": 0.2, "sara_ras": 0.1}, None),
])
def test_sara_target(scores, target):
    assert sara_target(scores) == target


def test_upgrade_from_version_1_backfills_the_facets(db_url):
    with Store.open(db_url) as store:
        ids = _web.seed(store)
        with store.transaction("test") as conn:
            expected = {r["item_id"]: r for r in queue_search.page(conn, QueueQuery(), 0, 100)}
    # Turn the database back into a version-1 one: no facet columns, labels, users or sessions.
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        for table in ("web_sessions", "users", "queue_labels"):
            conn.exec_driver_sql(f"DROP TABLE {table}")
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TABLE queue_text")
        else:
            conn.exec_driver_sql("DROP INDEX IF EXISTS ix_posts_text_trgm")
        for index in ("ix_queue_priority", "ix_queue_posted_at", "ix_queue_claim_id", "ix_queue_copy_key",
                      "ix_queue_claimed_by", "ix_queue_platform", "ix_queue_source", "ix_queue_facets"):
            conn.exec_driver_sql(f"DROP INDEX {index}")
        for column in ("platform", "source", "posted_at", "top_label", "top_score", "claim_id", "copy_key",
                       "label_bits"):
            conn.exec_driver_sql(f"ALTER TABLE queue_items DROP COLUMN {column}")
        conn.exec_driver_sql("UPDATE schema_version SET version = 1")
    engine.dispose()
    with Store.open(db_url) as store:
        with store.transaction("test") as conn:
            assert conn.execute(sa.text("SELECT max(version) FROM schema_version")).scalar() == SCHEMA_VERSION
            again = {r["item_id"]: r for r in queue_search.page(conn, QueueQuery(), 0, 100)}
        assert again == expected
        assert set(_ids(store, label="sara_agama")) == {ids["14"], ids["15"]}
        assert set(_ids(store, text="Kampung")) == {ids["14"], ids["15"]}
        assert review.verify(store).empty

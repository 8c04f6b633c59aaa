"""pipeline.report.review_tables: backlog, decisions per analyst and time to decision, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from pipeline import review
from pipeline.review import review_tables
from pipeline.store import Store


@pytest.fixture
def store(db_url, make_record):
    """Five flagged posts in the queue and one unflagged post."""
    with Store.open(db_url) as st:
        st.save_scan([make_record(i, flags=("hoax",) if i % 2 else ("abusive",), priority=float(10 - i))
                      for i in range(1, 6)] + [make_record(6, flags=())])
        yield st


def test_review_tables(store):
    ids = dict(zip(*review.queue_frame(store)[["post_id", "item_id"]].to_numpy().T, strict=True))
    enqueued = review.queue_frame(store).set_index("post_id")["enqueued_at"]
    review.decide(store, ids["1"], "ani", confirm=["hoax"], now=enqueued["1"] + timedelta(minutes=10))
    review.decide(store, ids["2"], "ani", dismiss=["abusive"], now=enqueued["2"] + timedelta(minutes=30))
    review.decide(store, ids["3"], "budi", confirm=["hoax"], now=enqueued["3"] + timedelta(minutes=60))
    review.escalate(store, ids["3"], "kanit", now=enqueued["3"] + timedelta(minutes=90))
    review.undo(store, ids["1"], "ani", now=enqueued["1"] + timedelta(minutes=20))
    review.decide(store, ids["1"], "ani", dismiss=["hoax"], now=enqueued["1"] + timedelta(minutes=40))
    review.claim(store, "budi", ids["4"])

    tables = review_tables(store.url if store.dialect == "sqlite" else store)
    backlog = tables["backlog"].set_index("status")["items"].to_dict()
    assert backlog == {"pending": 1, "in_review": 1, "confirmed": 0, "dismissed": 2, "escalated": 1}
    analysts = tables["analysts"].set_index("analyst")
    assert analysts.loc["ani", ["decisions", "confirmed", "dismissed", "escalations", "undos"]].tolist() == \
        [3, 1, 2, 0, 1]
    assert analysts.loc["budi", ["decisions", "confirmed", "dismissed"]].tolist() == [1, 1, 0]
    assert analysts.loc["kanit", ["decisions", "escalations"]].tolist() == [0, 1]
    # Time to decision counts to the final decision (the re-decision after undo for post 1).
    assert analysts.loc["ani", "median_minutes_to_decision"] == pytest.approx(35.0)
    assert analysts.loc["budi", "median_minutes_to_decision"] == pytest.approx(60.0)
    assert math.isnan(analysts.loc["kanit", "median_minutes_to_decision"])
    decisions = tables["decisions"].set_index("item_id")
    assert sorted(decisions.index) == sorted([ids["1"], ids["2"], ids["3"]])
    assert decisions.loc[ids["3"], "status"] == "escalated" and decisions["decided_at"].dt.tz is not None
    labels = tables["labels"].set_index("label")
    assert labels.loc["hoax", ["flagged", "decided", "confirmed", "precision"]].tolist() == [3, 2, 1, 0.5]


def test_review_tables_of_an_empty_queue(tmp_path):
    tables = review_tables(f"sqlite:///{tmp_path / 'empty.db'}")
    assert tables["backlog"]["items"].sum() == 0
    assert tables["analysts"].empty and tables["decisions"].empty

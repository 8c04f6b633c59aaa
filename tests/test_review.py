"""The review workflow on SQLite and PostgreSQL: claiming, leases, decisions, undo, audit, stats, feedback."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from pipeline import review
from pipeline.errors import InputError, StoreError
from pipeline.labels import LABELS
from pipeline.store import Store

T0 = datetime(2024, 6, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url, make_record):
    """A store with three flagged posts: item 1 (priority 30, hoax+sara), 2 (priority 20, hoax), 3 (10, abusive)."""
    with Store.open(db_url) as st:
        st.save_scan([
            make_record(1, flags=("hoax", "sara"), priority=30.0),
            make_record(2, flags=("hoax",), priority=20.0),
            make_record(3, flags=("abusive",), priority=10.0),
            make_record(4, flags=(), priority=0.0),
        ])
        yield st


def _ids(store: Store) -> dict[str, int]:
    frame = review.queue_frame(store)
    return dict(zip(frame["post_id"], frame["item_id"], strict=True))


def _snapshot(store: Store) -> tuple[list, list]:
    """Everything a failed operation must leave unchanged."""
    queue = review.queue_frame(store).drop(columns=["text"]).astype(str).values.tolist()
    return queue, review.audit_frame(store).astype(str).values.tolist()


def test_claim_takes_highest_priority_then_none(store):
    ids = _ids(store)
    claimed = [review.claim(store, "ani", now=T0)["item_id"] for _ in range(3)]
    assert claimed == [ids["1"], ids["2"], ids["3"]]
    assert review.claim(store, "budi", now=T0) is None
    frame = review.queue_frame(store)
    assert set(frame["status"]) == {"in_review"} and set(frame["claimed_by"]) == {"ani"}


def test_lease_expiry_returns_item_to_pool(store):
    ids = _ids(store)
    first = review.claim(store, "ani", lease=timedelta(minutes=1), now=T0)
    assert first["item_id"] == ids["1"] and first["lease_expires_at"] == T0 + timedelta(minutes=1)
    assert review.claim(store, "budi", now=T0 + timedelta(seconds=30))["item_id"] == ids["2"]
    with pytest.raises(StoreError, match="held by ani"):
        review.claim(store, "budi", ids["1"], now=T0 + timedelta(seconds=30))
    later = review.claim(store, "budi", now=T0 + timedelta(minutes=2))
    assert later["item_id"] == ids["1"] and later["claimed_by"] == "budi"
    trail = review.audit_frame(store, ids["1"])
    assert trail["action"].tolist() == ["enqueue", "claim", "claim"]
    assert "lease of ani expired" in trail["note"].iloc[-1]
    with pytest.raises(StoreError, match="held by budi"):
        review.decide(store, ids["1"], "ani", confirm=["hoax"], now=T0 + timedelta(minutes=3))


def test_claim_specific_item_and_renew(store):
    ids = _ids(store)
    item = review.claim(store, "ani", ids["3"], lease=timedelta(minutes=5), now=T0)
    assert item["item_id"] == ids["3"]
    renewed = review.claim(store, "ani", ids["3"], lease=timedelta(minutes=5), now=T0 + timedelta(minutes=4))
    assert renewed["lease_expires_at"] == T0 + timedelta(minutes=9)


def test_per_label_verdicts(store):
    ids = _ids(store)
    review.claim(store, "ani", ids["1"], now=T0)
    done = review.decide(store, ids["1"], "ani", confirm=["sara"], dismiss=["hoax"], note="ujaran SARA",
                         reason="SARA-1", now=T0 + timedelta(minutes=12))
    assert done["status"] == "confirmed"
    assert done["verdicts"] == {"sara": True, "hoax": False}
    assert (done["decided_by"], done["decided_at"], done["claimed_by"]) == ("ani", T0 + timedelta(minutes=12), None)
    # A pending item can be decided directly; flagged labels not named keep no verdict.
    direct = review.decide(store, ids["2"], "budi", confirm=["provocation"], now=T0)
    assert direct["status"] == "confirmed" and direct["verdicts"] == {"provocation": True}
    gone = review.decide(store, ids["3"], "budi", dismiss=["abusive"], now=T0)
    assert gone["status"] == "dismissed" and gone["verdicts"] == {"abusive": False}
    last = review.audit_frame(store, ids["1"]).iloc[-1]
    assert (last["actor"], last["from_status"], last["to_status"], last["note"], last["reason_code"],
            last["model_version"]) == ("ani", "in_review", "confirmed", "ujaran SARA", "SARA-1", "test-1")
    assert last["verdicts"] == {"sara": True, "hoax": False}


@pytest.mark.parametrize("action, error, message", [
    (lambda s, i: review.decide(s, 999_999, "ani", confirm=["hoax"]), InputError, "no queue item 999999"),
    (lambda s, i: review.decide(s, i["1"], "budi", confirm=["hoax"]), StoreError, "held by ani"),
    (lambda s, i: review.decide(s, i["1"], "ani"), InputError, "at least one label"),
    (lambda s, i: review.decide(s, i["1"], "ani", confirm=["hoax"], dismiss=["hoax"]), InputError, "both"),
    (lambda s, i: review.decide(s, i["1"], "ani", confirm=["spam"]), InputError, "unknown label 'spam'"),
    (lambda s, i: review.decide(s, i["3"], "ani", confirm=["abusive"]), StoreError, "already dismissed"),
    (lambda s, i: review.escalate(s, i["3"], "ani"), StoreError, "only confirmed items"),
    (lambda s, i: review.escalate(s, i["2"], "ani"), StoreError, "is pending"),
    (lambda s, i: review.undo(s, i["2"], "ani"), StoreError, "no decision to undo"),
    (lambda s, i: review.release(s, i["1"], "budi"), StoreError, "not held by budi"),
    (lambda s, i: review.claim(s, "", i["2"]), InputError, "analyst name"),
    (lambda s, i: review.claim(s, "ani", i["2"], lease=timedelta(0)), InputError, "lease"),
    (lambda s, i: review.queue_frame(s, status="open"), InputError, "unknown status"),
])
def test_bad_input_leaves_queue_unchanged(store, action, error, message):
    ids = _ids(store)
    review.claim(store, "ani", ids["1"])
    review.decide(store, ids["3"], "ani", dismiss=["abusive"])
    before = _snapshot(store)
    with pytest.raises(error) as err:
        action(store, ids)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert _snapshot(store) == before


def test_escalate_undo_and_append_only_history(store):
    ids = _ids(store)
    item = ids["1"]
    review.claim(store, "ani", item, now=T0)
    review.decide(store, item, "ani", confirm=["hoax", "sara"], now=T0 + timedelta(minutes=1))
    escalated = review.escalate(store, item, "kasubdit", note="ke Bareskrim", reason="ESC", now=T0 + timedelta(minutes=2))
    assert escalated["status"] == "escalated"
    history = review.audit_frame(store, item)
    back = review.undo(store, item, "kasubdit", note="belum lengkap", now=T0 + timedelta(minutes=3))
    assert back["status"] == "confirmed" and back["verdicts"] == {"hoax": True, "sara": True}
    reopened = review.undo(store, item, "budi", now=T0 + timedelta(minutes=4))
    assert (reopened["status"], reopened["claimed_by"], reopened["verdicts"]) == ("in_review", "budi", {})
    assert reopened["decided_at"] is None
    redone = review.decide(store, item, "budi", dismiss=["hoax", "sara"], now=T0 + timedelta(minutes=5))
    assert redone["status"] == "dismissed"
    after = review.audit_frame(store, item)
    # Earlier entries are untouched; the undos are new entries.
    assert after.iloc[:len(history)].astype(str).equals(history.astype(str))
    assert after["action"].tolist() == ["enqueue", "claim", "decide", "escalate", "undo", "undo", "decide"]
    assert after["to_status"].tolist() == ["pending", "in_review", "confirmed", "escalated", "confirmed",
                                           "in_review", "dismissed"]
    assert after["actor"].tolist()[3:] == ["kasubdit", "kasubdit", "budi", "budi"]
    assert review.verify(store).empty


def test_release(store):
    ids = _ids(store)
    review.claim(store, "ani", ids["1"], now=T0)
    released = review.release(store, ids["1"], "ani", now=T0)
    assert (released["status"], released["claimed_by"]) == ("pending", None)
    assert review.claim(store, "budi", now=T0)["item_id"] == ids["1"]


def test_item_shows_post_and_audit(store):
    ids = _ids(store)
    found = review.item(store, ids["1"])
    assert found["text"].startswith("postingan nomor 1")
    assert found["flags"] == ["hoax", "sara"] and found["raw"] == {"id": 1}
    assert found["evidence"]["sara"] == [["kata", 0.5]]
    assert [e["action"] for e in found["audit"]] == ["enqueue"]
    assert found["audit"][0]["content_sha256"] == found["content_sha256"]
    assert review.queue_frame(store, label="abusive")["post_id"].tolist() == ["3"]
    assert review.queue_frame(store, limit=2)["post_id"].tolist() == ["1", "2"]
    # top_label is the flag that drives the priority: sara outweighs hoax at the same score.
    assert review.queue_frame(store, status="pending")["top_label"].tolist() == ["sara", "hoax", "abusive"]


def test_stats(store):
    ids = _ids(store)
    review.decide(store, ids["1"], "ani", confirm=["sara"], dismiss=["hoax"], now=T0 + timedelta(minutes=30))
    review.decide(store, ids["2"], "ani", confirm=["hoax", "provocation"], now=T0 + timedelta(minutes=90))
    review.escalate(store, ids["2"], "ani", now=T0 + timedelta(minutes=91))
    review.claim(store, "budi", ids["3"], now=T0)
    enqueued = review.item(store, ids["1"])["enqueued_at"]
    frame = review.stats(store).set_index("label")
    hoax = frame.loc["hoax"]
    assert (hoax["flagged"], hoax["decided"], hoax["confirmed"], hoax["dismissed"]) == (2, 2, 1, 1)
    assert hoax["precision"] == 0.5 and hoax["escalated"] == 1
    expected = ((T0 + timedelta(minutes=30) - enqueued) + (T0 + timedelta(minutes=90) - enqueued)) / 2
    assert hoax["median_minutes_to_decision"] == pytest.approx(expected.total_seconds() / 60)
    assert frame.loc["sara", "precision"] == 1.0
    assert frame.loc["provocation", "confirmed_unflagged"] == 1 and frame.loc["provocation", "flagged"] == 0
    assert math.isnan(frame.loc["abusive", "precision"]) and frame.loc["abusive", "in_review"] == 1
    total = frame.loc["(all)"]
    assert (total["flagged"], total["pending"], total["in_review"], total["decided"], total["confirmed"]) == (
        3, 0, 1, 2, 2)


def test_feedback_frame(store):
    ids = _ids(store)
    review.decide(store, ids["1"], "ani", confirm=["sara", "sara_agama"], dismiss=["hoax"])
    review.decide(store, ids["3"], "ani", dismiss=["abusive"])
    frame = review.feedback_frame(store)
    assert frame["item_id"].tolist() == [ids["1"], ids["3"]]
    assert list(frame.columns[2:2 + len(LABELS)]) == list(LABELS)
    first = frame.iloc[0]
    assert first["text"].startswith("postingan nomor 1")
    assert {lab: int(first[lab]) for lab in LABELS} == {lab: int(lab in ("sara", "sara_agama")) for lab in LABELS}
    assert first["judged"] == ["hoax", "sara", "sara_agama"]
    assert frame.iloc[1][list(LABELS)].sum() == 0
    assert str(frame["decided_at"].dt.tz) == "UTC"


def test_verify_reports_tampering(store, db_url):
    ids = _ids(store)
    review.decide(store, ids["1"], "ani", confirm=["sara"])
    assert review.verify(store).empty
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE posts SET text = 'teks yang diubah' WHERE id = :i"), {"i": ids["1"]})
        # A careful tamperer also rewrites the recorded hash; the audit trail still remembers the original.
        conn.execute(sa.text("UPDATE posts SET text = 'lain', content_sha256 = :h WHERE id = :i"),
                     {"i": ids["2"], "h": "ab" * 32})
        conn.execute(sa.text("UPDATE posts SET text = 'bukan postingan antrean' WHERE post_id = '4'"))
    engine.dispose()
    problems = review.verify(store)
    by_item = problems.groupby(problems["post"])["problem"].apply(list).to_dict()
    assert by_item[ids["1"]] == [f"post {ids['1']} differs from what the evidence chain recorded",
                                 "post text does not match its recorded SHA-256"]
    assert "post SHA-256 differs from the one recorded in its audit trail" in by_item[ids["2"]]
    assert f"post {ids['2']} differs from what the evidence chain recorded" in by_item[ids["2"]]
    unqueued = problems[problems["item_id"].isna()]
    assert set(unqueued["post_id"]) == {"4"}
    assert ids["3"] not in by_item


def test_verify_detects_rewritten_audit_history(store, db_url):
    ids = _ids(store)
    review.decide(store, ids["2"], "ani", confirm=["hoax"], note="asli")
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(sa.text("DROP TRIGGER audit_log_no_update"))
        else:
            conn.execute(sa.text("DROP TRIGGER audit_log_append_only ON audit_log"))
        conn.execute(sa.text("UPDATE audit_log SET actor = 'orang lain' WHERE action = 'decide'"))
    engine.dispose()
    problems = review.verify(store)
    assert problems["item_id"].dropna().tolist() == [ids["2"]]
    assert "hash chain" in problems["problem"][problems["item_id"] == ids["2"]].iloc[0]
    assert problems["problem"].str.match(r"audit entry \d+ differs from what the evidence chain recorded").sum() == 1


def _claim_worker(url: str, name: str, start, out) -> None:
    store = Store.open(url)
    start.wait(30)
    got = []
    while (item := review.claim(store, name)) is not None:
        got.append(item["item_id"])
    store.close()
    out.put(got)


def test_multiprocess_claims_are_exclusive(db_url, make_record, run_processes):
    with Store.open(db_url) as st:
        st.save_scan([make_record(i, priority=float(i % 7)) for i in range(1, 41)])
        items = set(review.queue_frame(st)["item_id"])
    results = run_processes(_claim_worker, [(db_url, f"analis{n}") for n in range(4)])
    claimed = [item for got in results for item in got]
    assert len(claimed) == len(items) == 40
    assert set(claimed) == items
    with Store.open(db_url) as st:
        trail = review.audit_frame(st)
    claims = trail[trail["action"] == "claim"]
    assert len(claims) == 40 and claims["item_id"].is_unique


@pytest.mark.parametrize("confirm, dismiss, verdicts, status", [
    ((), ("hate_speech",), {"hate_speech": False}, "dismissed"),
    (("sara",), (), {"sara": True}, "confirmed"),
    (("sara_agama",), ("provocation",), {"sara_agama": True, "provocation": False}, "confirmed"),
])
def test_decide_changes_only_the_named_labels(db_url, make_record, confirm, dismiss, verdicts, status):
    flags = ("provocation", "sara", "hate_speech", "abusive")
    with Store.open(db_url) as st:
        st.save_scan([make_record(1, flags=flags)])
        item = _ids(st)["1"]
        done = review.decide(st, item, "ani", confirm=confirm, dismiss=dismiss, now=T0)
        assert (done["verdicts"], done["status"]) == (verdicts, status)
        feedback = review.feedback_frame(st)
        assert feedback["judged"].iloc[0] == sorted(verdicts)
        precision = review.stats(st).set_index("label")
        for label in flags:
            assert precision.loc[label, "decided"] == int(label in verdicts), label

"""The evidence report: CSV, JSONL and HTML read back, hashes, escaping of hostile post text."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from pipeline import review
from pipeline.errors import InputError
from pipeline.store import Store

T0 = datetime(2024, 6, 2, 8, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)> "kutip" \'satu\'\nbaris dua'


@pytest.fixture
def decided(db_url, make_record):
    """Items: 1 confirmed then escalated (hostile text), 2 confirmed (text starts with '='), 3 dismissed, 4 pending."""
    with Store.open(db_url) as store:
        store.save_scan([make_record(1, flags=("provocation", "hoax"), text=HOSTILE, priority=4.0),
                         make_record(2, text="=HYPERLINK(\"http://evil\")", priority=3.0),
                         make_record(3, priority=2.0), make_record(4, priority=1.0)])
        ids = dict(zip(*(review.queue_frame(store)[c] for c in ("post_id", "item_id")), strict=True))
        review.claim(store, "ani", ids["1"], now=T0)
        review.decide(store, ids["1"], "ani", confirm=["provocation"], dismiss=["hoax"], note="<b>catatan</b>",
                      now=T0 + timedelta(minutes=1))
        review.escalate(store, ids["1"], "kanit", reason="ESC-1", now=T0 + timedelta(minutes=5))
        review.decide(store, ids["2"], "budi", confirm=["hoax"], now=T0 + timedelta(minutes=6))
        review.decide(store, ids["3"], "budi", dismiss=["hoax"], now=T0 + timedelta(minutes=7))
        yield store, ids


def test_export_all_formats(decided, tmp_path):
    store, ids = decided
    written = review.export(store, tmp_path / "out", analyst="ani", now=T0 + timedelta(hours=1))
    assert written["format"].tolist() == ["csv", "jsonl", "html"] and set(written["items"]) == {2}
    out = tmp_path / "out"
    manifest = (out / "evidence.sha256").read_text().splitlines()
    for line in manifest:
        digest, name = line.split("  ")
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    assert len(manifest) == 3

    records = [json.loads(line) for line in (out / "evidence.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["item_id"] for r in records] == [ids["1"], ids["2"]]
    first = records[0]
    assert first["text"] == HOSTILE
    assert first["content_sha256"] == hashlib.sha256(HOSTILE.encode()).hexdigest() and first["sha256_verified"]
    assert (first["status"], first["escalated_by"], first["decided_by"]) == ("escalated", "kanit", "ani")
    assert first["confirmed_labels"] == ["provocation"] and first["dismissed_labels"] == ["hoax"]
    assert [e["action"] for e in first["audit_trail"]] == ["enqueue", "claim", "decide", "escalate"]
    assert first["audit_trail"][2]["note"] == "<b>catatan</b>"
    assert datetime.fromisoformat(first["captured_at"]) == datetime(2024, 6, 1, 0, 1, tzinfo=UTC)

    with (out / "evidence.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["item_id"]) for r in rows] == [ids["1"], ids["2"]]
    assert rows[0]["text"] == HOSTILE and rows[0]["confirmed_labels"] == "provocation"
    assert [e["actor"] for e in json.loads(rows[0]["audit_trail"])] == ["patroli", "ani", "ani", "kanit"]
    assert rows[1]["text"] == "'=HYPERLINK(\"http://evil\")"  # neutralised for spreadsheets
    assert rows[1]["content_sha256"] == records[1]["content_sha256"]

    page = (out / "evidence.html").read_text(encoding="utf-8")
    assert "<script" not in page and "onerror=alert(1)>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;b&gt;catatan&lt;/b&gt;" in page
    assert first["content_sha256"] in page and "all match" in page and "kanit" in page
    assert "Content-Security-Policy" in page


def test_export_flags_text_changed_since_capture(decided, tmp_path, db_url):
    store, ids = decided
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE posts SET text = 'diubah' WHERE id = :i"), {"i": ids["2"]})
    engine.dispose()
    review.export(store, tmp_path, formats=["jsonl", "html"])
    records = [json.loads(line) for line in (tmp_path / "evidence.jsonl").read_text().splitlines()]
    assert [r["sha256_verified"] for r in records] == [True, False]
    assert "1 mismatch(es)" in (tmp_path / "evidence.html").read_text()
    assert not (tmp_path / "evidence.csv").exists()


def test_export_rejects_unknown_format(decided, tmp_path):
    store, _ = decided
    with pytest.raises(InputError, match="unknown export format pdf"):
        review.export(store, tmp_path / "out", formats=["pdf"])
    assert not (tmp_path / "out").exists()

"""Tamper evidence on SQLite and PostgreSQL: every edit, deletion, reordering or rewrite made directly in the
database is found by `review.verify`, and a full rewrite of the chain by the signed head of an earlier export,
report or patrol log."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from _schema import make_version_1
from click.testing import CliRunner

from pipeline import report, review
from pipeline.cli import cli
from pipeline.signing import create_key
from pipeline.store import SCHEMA_VERSION, Store, audit, ledger

T0 = datetime(2024, 6, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def key(tmp_path):
    path, _ = create_key(tmp_path / "kunci" / "signing.key")
    return path


@pytest.fixture
def store(db_url, make_record):
    """Items 1 (hoax+sara, confirmed by ani), 2 (hoax, in review by budi), 3 (abusive, pending); post 4 never
    queued; post 1 matched known claim K-1."""
    with Store.open(db_url) as st:
        st.add_claims([{"claim_id": "K-1", "title": "Vaksin berisi chip", "url": "https://cek.example/1",
                        "verdict": "hoaks"}])
        claim = {"claim_id": "K-1", "title": "Vaksin berisi chip", "url": "https://cek.example/1", "similarity": 0.8}
        st.save_scan([
            make_record(1, flags=("hoax", "sara"), priority=30.0,
                        evidence={"hoax": [["chip", 0.7]], "claim": claim}),
            make_record(2, flags=("hoax",), priority=20.0),
            make_record(3, flags=("abusive",), priority=10.0),
            make_record(4, flags=(), priority=0.0),
        ])
        review.decide(st, 1, "ani", confirm=["sara"], now=T0)
        review.claim(st, "budi", 2, now=T0 + timedelta(minutes=1))
        yield st


def _sql(db_url: str, *statements: tuple[str, dict] | str, unlock: bool = False) -> None:
    """Run statements as someone with direct write access to the database would (triggers dropped if asked)."""
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            if unlock:
                for table in ("audit_log", "ledger"):
                    if engine.dialect.name == "sqlite":
                        conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
                        conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
                    else:
                        conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))
            for statement in statements:
                sql, params = statement if isinstance(statement, tuple) else (statement, {})
                conn.execute(sa.text(sql), params)
    finally:
        engine.dispose()


def _rechain(db_url: str) -> None:
    """The strongest tamperer: throw the chain away and record the (edited) database afresh, consistently."""
    _sql(db_url, "DELETE FROM ledger", unlock=True)
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            ledger.chain_existing(conn)
    finally:
        engine.dispose()


def _problems(store) -> list[str]:
    return review.verify(store)["problem"].tolist()


def test_an_untouched_database_is_intact(store):
    result = review.check(store)
    assert result.intact and result.length > 0
    assert not result.rewrite_ruled_out
    assert any("cannot rule out a rewrite" in line for line in result.lines())


# Each tampering below is something `review verify` answered "intact" to before the evidence chain.
def test_rewritten_verdicts_and_decider_are_found(store, db_url):
    _sql(db_url, ("UPDATE queue_items SET verdicts = :v, decided_by = 'orang lain' WHERE id = 1",
                  {"v": json.dumps({"hoax": True, "sara": False})}))
    assert _problems(store) == ["queue item 1 differs from what the evidence chain recorded"]


@pytest.mark.parametrize("column, value", [("status", "'dismissed'"), ("claimed_by", "'orang lain'"),
                                           ("priority", "99"), ("decided_at", "NULL")])
def test_any_edited_item_field_is_found(store, db_url, column, value):
    _sql(db_url, f"UPDATE queue_items SET {column} = {value} WHERE id = 1")
    assert "queue item 1 differs from what the evidence chain recorded" in _problems(store)


def test_an_item_deleted_with_its_whole_audit_trail_is_found(store, db_url):
    _sql(db_url, "DELETE FROM audit_log WHERE item_id = 1", "DELETE FROM queue_labels WHERE item_id = 1",
         "DELETE FROM queue_items WHERE id = 1", unlock=True)
    problems = _problems(store)
    assert "queue item 1 was recorded in the evidence chain but is gone (deleted?)" in problems
    assert sum("audit entry" in p and "is gone" in p for p in problems) == 2  # enqueue, decide


def test_a_never_queued_post_with_text_and_hash_rewritten_is_found(store, db_url):
    _sql(db_url, ("UPDATE posts SET text = 'teks lain', content_sha256 = :h WHERE post_id = '4'",
                  {"h": hashlib.sha256(b"teks lain").hexdigest()}))
    problems = review.verify(store)
    assert problems["problem"].tolist() == ["post 4 differs from what the evidence chain recorded"]
    assert problems["post_id"].tolist() == ["4"] and problems["item_id"].isna().all()


@pytest.mark.parametrize("column, value", [
    ("author", "'akun palsu'"), ("url", "'https://palsu.example/'"), ("created_at", "captured_at"),
    ("captured_at", "created_at"), ("platform", "'facebook'"), ("post_id", "'99'"), ("shares", "0"),
    ("scores", "'{\"hoax\": 0.1}'"), ("flags", "'[]'"), ("model_version", "'lain'"), ("raw", "'{}'"),
    ("source", "NULL"),
])
def test_any_edited_post_field_is_found(store, db_url, column, value):
    _sql(db_url, f"UPDATE posts SET {column} = {value} WHERE id = 2")
    assert "post 2 differs from what the evidence chain recorded" in _problems(store)


def test_an_audit_entry_edited_with_its_item_chain_recomputed_is_found(store, db_url):
    with store.transaction("read") as conn:
        rows = audit.entries(conn, [1])
    prev, statements = audit.GENESIS, []
    for row in rows:  # the per-item chain recomputed as patroli computes it: anyone with the code can
        if row["action"] == "decide":
            row["actor"] = "orang lain"
        prev = audit.entry_digest(prev, row)
        statements.append(("UPDATE audit_log SET actor = :a, entry_sha256 = :h WHERE id = :i",
                           {"a": row["actor"], "h": prev, "i": row["id"]}))
    _sql(db_url, *statements, unlock=True)
    assert _problems(store) == [f"audit entry {rows[-1]['id']} differs from what the evidence chain recorded"]


def _text(i: int) -> tuple[str, str]:
    text = f"postingan nomor {i} tentang isu yang ramai"
    return text, hashlib.sha256(text.encode()).hexdigest()


def test_two_posts_swapping_texts_are_both_found(store, db_url):
    (text3, hash3), (text4, hash4) = _text(3), _text(4)
    _sql(db_url, "UPDATE posts SET text = 'sementara', content_sha256 = 'sementara' WHERE id = 4",
         ("UPDATE posts SET text = :t, content_sha256 = :h WHERE id = 3", {"t": text4, "h": hash4}),
         ("UPDATE posts SET text = :t, content_sha256 = :h WHERE id = 4", {"t": text3, "h": hash3}))
    problems = _problems(store)
    for post in (3, 4):
        assert f"post {post} differs from what the evidence chain recorded" in problems


def test_an_edited_matched_claim_is_found_in_the_post_and_in_the_claims(store, db_url):
    _sql(db_url, "UPDATE posts SET evidence = '{\"hoax\": [[\"chip\", 0.7]], \"claim\": {\"claim_id\": \"K-2\"}}' "
                 "WHERE id = 1",
         "UPDATE claims SET title = 'Judul lain', url = 'https://palsu.example/' WHERE claim_id = 'K-1'")
    problems = _problems(store)
    assert "post 1 differs from what the evidence chain recorded" in problems
    assert any(p.startswith("claim ") and p.endswith("differs from what the evidence chain recorded")
               for p in problems)


def test_reordered_chain_entries_are_found(store, db_url):
    _sql(db_url, "UPDATE ledger SET seq = -1 WHERE seq = 2", "UPDATE ledger SET seq = 2 WHERE seq = 3",
         "UPDATE ledger SET seq = 3 WHERE seq = -1", unlock=True)
    problems = _problems(store)
    assert "ledger entry 2" in problems[0] and "does not match the hash chain" in problems[0]


def test_a_deleted_chain_entry_is_a_gap(store, db_url):
    _sql(db_url, "DELETE FROM ledger WHERE seq = 3", unlock=True)
    problems = _problems(store)
    assert problems[0] == "ledger entries 3-3 are missing (the chain has a gap)"


def test_a_post_added_behind_patrolis_back_is_found(store, db_url):
    _sql(db_url, "INSERT INTO posts (platform, post_id, content_sha256, text, captured_at, scores, flags, priority) "
                 "VALUES ('x', 'tambahan', 'h', 'teks', '2024-06-01 00:00:00', '{}', '[]', 0)")
    assert any(p.endswith("is not in the evidence chain (added outside patroli?)") for p in _problems(store))


def test_an_item_set_back_to_an_earlier_state_is_found(store, db_url):
    # Item 2's earlier state (pending, nobody holding it) was once genuinely recorded, but it is not the latest.
    _sql(db_url, "UPDATE queue_items SET status = 'pending', claimed_by = NULL, lease_expires_at = NULL, "
                 "updated_at = enqueued_at WHERE id = 2",
         "DELETE FROM audit_log WHERE item_id = 2 AND action = 'claim'", unlock=True)
    problems = _problems(store)
    assert "queue item 2 differs from what the evidence chain recorded" in problems


def test_a_post_edited_and_recorded_again_at_the_end_is_found(store, db_url):
    """Appending a new entry is consistent with every earlier head; posts are recorded once, so it shows."""
    _sql(db_url, "UPDATE posts SET author = 'akun palsu' WHERE id = 2")
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        ledger.append_current(conn, "post", [2])
    engine.dispose()
    assert _problems(store) == ["post 2 was recorded 2 times in the evidence chain (rewritten?)"]


def test_a_full_rewrite_is_caught_only_by_an_earlier_signed_head(store, db_url, key, tmp_path):
    export = tmp_path / "bukti"
    review.export(store, export, signing_key=key)
    _sql(db_url, ("UPDATE queue_items SET verdicts = :v WHERE id = 1", {"v": json.dumps({"sara": False})}))
    _rechain(db_url)
    alone = review.check(store, key=key)
    assert alone.intact and not alone.rewrite_ruled_out  # the database alone cannot tell
    assert "cannot rule out a rewrite" in alone.lines()[-1]
    against = review.check(store, [export], key=key)
    assert not against.intact and not against.heads["in_chain"].any()
    assert against.problems["problem"].str.contains(f"the head in {export}").any()


def test_a_cut_off_tail_is_caught_by_an_earlier_signed_head(store, db_url, key, tmp_path):
    page = tmp_path / "laporan.html"
    report.write_report(page, store, signing_key=key)
    seq = review.check(store).length
    # Undo the last change (budi claiming item 2: an audit entry and the item's state) and its two entries.
    _sql(db_url, f"DELETE FROM ledger WHERE seq > {seq - 2}", "DELETE FROM audit_log WHERE item_id = 2 "
         "AND action = 'claim'", unlock=True)
    _sql(db_url, "UPDATE queue_items SET status = 'pending', claimed_by = NULL, lease_expires_at = NULL, "
                 "updated_at = enqueued_at WHERE id = 2")
    assert review.check(store).intact  # a consistent prefix: nothing shows without the head
    result = review.check(store, [page], key=key)
    assert f"the chain has {seq - 2:,} entries but the head in {page} has {seq:,}: entries were removed" \
        in result.problems["problem"].tolist()


def test_heads_in_every_export_and_report_format_match_and_verify(store, key, tmp_path):
    review.decide(store, 3, "ani", dismiss=["abusive"], now=T0 + timedelta(minutes=2))
    review.export(store, tmp_path / "bukti", signing_key=key)
    report.write_report(tmp_path / "r.html", store, signing_key=key)
    report.write_report(tmp_path / "r.json", store, fmt="json", signing_key=key)
    report.write_report(tmp_path / "r-csv", store, fmt="csv", signing_key=key)
    files = [tmp_path / "bukti", tmp_path / "bukti" / "evidence.html", tmp_path / "r.html", tmp_path / "r.json",
             tmp_path / "r-csv"]
    result = review.check(store, files, key=key)
    assert result.intact and result.rewrite_ruled_out
    assert set(result.heads["signature"]) == {"valid"} and result.heads["in_chain"].all()
    review.decide(store, 2, "budi", confirm=["hoax"])
    later = review.check(store, [tmp_path / "r.json"], key=key)
    assert later.intact and later.heads["appended_since"].iloc[0] == 2  # the audit entry, the item state


def test_a_forged_head_or_another_key_is_reported(store, key, tmp_path):
    review.export(store, tmp_path / "bukti", signing_key=key)
    head_file = tmp_path / "bukti" / "evidence.head.json"
    head = json.loads(head_file.read_text())
    head["seq"] -= 1
    head_file.write_text(json.dumps(head))
    forged = review.check(store, [head_file], key=key)
    assert "the signature of the head in" in " ".join(forged.problems["problem"])
    other, _ = create_key(tmp_path / "lain.key")
    result = review.check(store, [tmp_path / "bukti" / "evidence.html"], key=other)
    assert result.heads["signature"].tolist() == ["other key"] and not result.rewrite_ruled_out
    unsigned = tmp_path / "tanpa"
    review.export(store, unsigned, signing_key=None)
    assert json.loads((unsigned / "evidence.head.json").read_text())["signature"] is None


def test_upgrading_a_version_1_database_chains_what_it_holds(db_url, make_record):
    with Store.open(db_url) as st:
        st.save_scan([make_record(i, flags=("hoax",) if i % 2 else ()) for i in range(1, 7)])
        review.decide(st, 1, "ani", confirm=["hoax"], now=T0)
    # What patroli 1 left: the same tables without the ledger.
    make_version_1(db_url)
    with Store.open(db_url) as st:
        assert review.verify(st).empty
        assert review.check(st).length == 6 + 3 + 4  # posts, the items' current states, audit entries
    _sql(db_url, "UPDATE posts SET author = 'lain' WHERE id = 6")
    with Store.open(db_url) as st:
        assert _problems(st) == ["post 6 differs from what the evidence chain recorded"]
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT max(version) FROM schema_version")).scalar() == SCHEMA_VERSION
    engine.dispose()


def test_unusual_values_hash_the_same_as_read_back(db_url, make_record):
    jakarta = datetime(2024, 5, 1, 19, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Jakarta"))
    with Store.open(db_url) as st:
        st.save_scan([
            make_record(1, priority=3, created_at=jakarta, text="Ujaran 😡 \u200b dengan\r\nbaris \"kutip\" \\ garing",
                        raw={"nested": {"b": [1, 2.5, None, "x"], "a": True}, "angka": 10**15}, shares=None,
                        author=None, scores={"hoax": 1, "sara": 0.1 + 0.2}),
            make_record(2, flags=(), priority=0.0, evidence={}, raw={}),
        ])
        st.add_claims([{"claim_id": 7, "title": "Judul", "date": datetime(2024, 1, 1).date()}])
        assert review.verify(st).empty


def test_keys_init_writes_a_private_key_only_its_owner_reads(tmp_path, monkeypatch):
    runner = CliRunner()
    path = tmp_path / "k" / "patroli.key"
    result = runner.invoke(cli, ["keys", "init", "--path", str(path)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and (tmp_path / "k" / "patroli.key.pub").exists()
    again = runner.invoke(cli, ["keys", "init", "--path", str(path)])
    assert again.exit_code == 2 and "already exists" in again.stderr
    monkeypatch.setenv("PATROLI_SIGNING_KEY", str(path))
    shown = runner.invoke(cli, ["keys", "show"])
    assert shown.exit_code == 0 and str(path) in shown.stdout
    missing = runner.invoke(cli, ["review", "export", str(tmp_path / "x"), "--signing-key", str(tmp_path / "no"),
                                  "--db", f"sqlite:///{tmp_path / 'q.db'}"])
    assert missing.exit_code == 2 and missing.stderr.startswith("patroli: error: no signing key at")


def test_cli_verify_against_says_what_it_proves(store, db_url, key, tmp_path, monkeypatch):
    monkeypatch.setenv("PATROLI_DB", db_url)
    monkeypatch.setenv("PATROLI_SIGNING_KEY", str(key))
    runner = CliRunner()
    assert runner.invoke(cli, ["review", "export", str(tmp_path / "bukti")]).exit_code == 0
    plain = runner.invoke(cli, ["review", "verify"])
    assert plain.exit_code == 0 and "cannot rule out a rewrite" in plain.stdout
    ok = runner.invoke(cli, ["review", "verify", "--against", str(tmp_path / "bukti")])
    assert ok.exit_code == 0, ok.output
    assert "matches the head of" in ok.stdout and "cannot rule out" not in ok.stdout
    _sql(db_url, "UPDATE posts SET url = 'https://palsu.example/' WHERE id = 3")
    _rechain(db_url)
    bad = runner.invoke(cli, ["review", "verify", "--against", str(tmp_path / "bukti"), "--format", "json"])
    assert bad.exit_code == 1
    payload = json.loads(bad.stdout)
    assert payload["intact"] is False and payload["heads"][0]["in_chain"] is False
    nothing = runner.invoke(cli, ["review", "verify", "--against", str(tmp_path / "nope.json")])
    assert nothing.exit_code == 3 and nothing.stderr.startswith("patroli: error: --against")

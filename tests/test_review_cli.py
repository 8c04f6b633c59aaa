"""`patroli review ...` in-process with CliRunner (SQLite and PostgreSQL), and as subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.store import Store


@pytest.fixture
def run(db_url, make_record, monkeypatch):
    """Invoke `review ...` against a database holding items for posts 1 (hoax+sara), 2 (hoax), 3 (abusive)."""
    with Store.open(db_url) as store:
        store.save_scan([make_record(1, flags=("hoax", "sara"), priority=3.0), make_record(2, priority=2.0),
                         make_record(3, flags=("abusive",), priority=1.0)])
    monkeypatch.setenv("PATROLI_ANALYST", "ani")
    monkeypatch.setenv("PATROLI_DB", db_url)

    def invoke(*args: str, code: int = 0):
        result = CliRunner().invoke(cli, ["review", *args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    return invoke


def _json(result) -> object:
    return json.loads(result.stdout)


def test_list_show_claim_decide_escalate(run):
    listed = _json(run("list", "--format", "json"))
    assert [r["post_id"] for r in listed] == ["1", "2", "3"]
    first = listed[0]["item_id"]
    assert "postingan nomor 1" in run("list").stdout
    assert [r["post_id"] for r in _json(run("list", "--label", "abusive", "--format", "json"))] == ["3"]
    claimed = _json(run("claim", "--format", "json", "--lease", "5"))
    assert (claimed["item_id"], claimed["status"], claimed["claimed_by"]) == (first, "in_review", "ani")
    decided = _json(run("decide", str(first), "--confirm", "sara", "--dismiss", "hoax", "--note", "SARA jelas",
                        "--reason", "S1", "--format", "json"))
    assert decided["status"] == "confirmed" and decided["verdicts"] == {"sara": True, "hoax": False}
    assert "escalated" in run("escalate", str(first), "--analyst", "kanit", "--note", "lapor").stdout
    shown = _json(run("show", str(first), "--format", "json"))
    assert [e["action"] for e in shown["audit"]] == ["enqueue", "claim", "decide", "escalate"]
    assert shown["audit"][-1]["actor"] == "kanit"
    table = run("show", str(first)).stdout
    assert "text SHA-256" in table and "SARA jelas" in table and "hoax dismissed · sara confirmed" in table
    # Times read in WIB, to the minute, never as Python reprs or UTC offsets.
    assert " WIB" in table and "datetime(" not in table and "+00:00" not in table
    assert _json(run("undo", str(first), "--format", "json"))["status"] == "confirmed"
    other = listed[1]["item_id"]
    run("claim", str(other))
    assert _json(run("release", str(other), "--format", "json"))["status"] == "pending"


def test_claim_on_empty_queue(run):
    for _ in range(3):
        run("claim")
    assert "nothing to claim" in run("claim").stdout
    assert _json(run("claim", "--format", "json")) is None


def test_export_verify_stats(run, tmp_path, db_url):
    first = _json(run("list", "--format", "json"))[0]["item_id"]
    run("decide", str(first), "--confirm", "hoax")
    out = tmp_path / "bukti"
    written = _json(run("export", str(out), "--only", "jsonl", "--only", "csv", "--format", "json"))
    assert [w["format"] for w in written] == ["jsonl", "csv", "head"] and written[0]["items"] == 1
    assert sorted(p.name for p in out.iterdir()) == ["evidence.csv", "evidence.head.json", "evidence.jsonl",
                                                     "evidence.sha256"]
    assert "intact" in run("verify").stdout
    stats = {r["label"]: r for r in _json(run("stats", "--format", "json"))}
    assert stats["hoax"]["confirmed"] == 1 and stats["(all)"]["pending"] == 2
    assert stats["abusive"]["precision"] is None  # no decisions yet: null, not NaN
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE posts SET text = 'diubah' WHERE id = :i"), {"i": first})
    engine.dispose()
    result = run("verify", code=1)
    assert "does not match its recorded SHA-256" in result.stdout
    assert f"post {first} differs from what the evidence chain recorded" in result.stdout
    assert result.stderr.strip() == "patroli: 2 integrity problem(s) found"
    # A head that claims a longer chain: a problem of no post beside the post's, and ids stay integers.
    head = json.loads((out / "evidence.head.json").read_text())
    (out / "evidence.head.json").write_text(json.dumps({**head, "seq": head["seq"] + 5}))
    result = run("verify", "--against", str(out), code=1)
    assert f"post {first} (" in result.stdout and f"post {first}.0" not in result.stdout
    problems = _json(run("verify", "--against", str(out), "--format", "json", code=1))["problems"]
    assert [p["post"] for p in problems].count(None) >= 1
    assert {p["post"] for p in problems} - {None} == {first} and type(problems[0]["post"]) is int


@pytest.mark.parametrize("args, code, message", [
    (["decide", "999999", "--confirm", "hoax"], 3, "patroli: error: no queue item 999999"),
    (["decide", "{first}"], 3, "patroli: error: give at least one label to confirm or dismiss"),
    (["decide", "{first}", "--confirm", "hoax", "--analyst", "budi"], 5, "patroli: error: queue item {first} is "
                                                                         "held by ani until"),
    (["escalate", "{first}"], 5, "patroli: error: queue item {first} is in_review; only confirmed items"),
    (["list", "--db", "nonsense"], 5, "patroli: error: invalid database URL 'nonsense'"),
])
def test_bad_input_is_one_line_and_nonzero(run, args, code, message):
    first = str(_json(run("list", "--format", "json"))[0]["item_id"])
    run("claim", first)
    before = run("list", "--format", "json").stdout
    result = run(*[a.replace("{first}", first) for a in args], code=code)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message.replace("{first}", first))
    assert run("list", "--format", "json").stdout == before


def test_unknown_label_is_a_usage_error(run):
    result = run("decide", "1", "--confirm", "spam", code=2)
    assert "'spam' is not one of" in result.stderr


def test_subprocess_bad_database_url(tmp_path):
    done = subprocess.run([sys.executable, "-c", "from pipeline.cli import main; main()", "review", "stats", "--db", f"sqlite:///{tmp_path}/no/such/dir.db"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 5
    assert done.stderr.startswith("patroli: error: cannot open database sqlite:///")
    assert len(done.stderr.strip().splitlines()) == 1 and done.stdout == ""


#: Loaded on demand only: what a review command that does not score or print a DataFrame must not pay for.
HEAVY = ("numpy", "pandas", "pyarrow", "scipy", "sklearn")
#: Loaded on demand only: what a review command that does not sign or check the evidence chain's head must not pay
#: for (the signing library, and the evidence export that uses it).
SIGNING = ("cryptography", "pipeline.review.evidence", "pipeline.signing")
#: Runs `patroli ARGS...` in this interpreter, then prints (on stderr, last line) which HEAVY or SIGNING modules got
#: loaded.
LOADED = f"""
import json, sys
from pipeline.cli import main
code = 0
try:
    main()
except SystemExit as stop:
    code = stop.code
print(json.dumps(sorted(name for name in {HEAVY + SIGNING!r} if name in sys.modules)), file=sys.stderr)
sys.exit(code)
"""


def test_review_commands_on_rows_start_without_pandas_or_the_signing_library(tmp_path, make_record):
    db = f"sqlite:///{tmp_path / 'queue.db'}"
    with Store.open(db) as store:
        store.save_scan([make_record(1, flags=("hoax", "sara"), priority=3.0), make_record(2, priority=2.0),
                         make_record(7, platform="facebook", post_id="f7", text=make_record(1).text)])

    def patroli(*args: str) -> tuple[str, list[str]]:
        done = subprocess.run([sys.executable, "-c", LOADED, "review", *args, "--db", db], capture_output=True,
                              text=True, timeout=120, cwd=tmp_path, env={**os.environ, "PATROLI_ANALYST": "ani"})
        assert done.returncode == 0, done.stderr
        return done.stdout, json.loads(done.stderr.splitlines()[-1])

    listed, loaded = patroli("list", "--format", "json")
    assert loaded == []
    first, second = (str(row["item_id"]) for row in json.loads(listed))
    outputs = {}
    for args in [("list",), ("show", first), ("claim", first), ("decide", first, "--confirm", "hoax"),
                 ("escalate", first), ("undo", first), ("claim", second), ("release", second)]:
        outputs[args[0]], loaded = patroli(*args)
        assert loaded == [], args
    # `export` signs the chain head: it loads the signing library, and still no pandas.
    outputs["export"], loaded = patroli("export", str(tmp_path / "bukti"), "--format", "json")
    assert loaded == sorted(SIGNING)
    assert "postingan nomor 2" in outputs["list"]
    assert "copies of the same post (1)" in outputs["show"] and "enqueue" in outputs["show"]
    assert [w["format"] for w in json.loads(outputs["export"])] == ["csv", "jsonl", "html", "head"]
    # The check sees what a command loads: `stats` prints a DataFrame.
    assert "pandas" in patroli("stats")[1]


def test_review_help_lists_the_commands_loaded_on_use():
    """`export` lives in its own module, imported only when it runs or when help lists it."""
    listed = CliRunner().invoke(cli, ["review", "--help"], catch_exceptions=False)
    assert listed.exit_code == 0
    names = [line.split()[0] for line in listed.stdout.split("Commands:")[1].splitlines() if line.strip()]
    assert names == sorted(["claim", "decide", "escalate", "export", "list", "release", "show", "stats", "undo",
                            "verify"])
    assert "Write the evidence report" in listed.stdout
    helped = CliRunner().invoke(cli, ["review", "export", "--help"], catch_exceptions=False)
    assert helped.exit_code == 0 and "--signing-key" in helped.stdout and "--only [csv|jsonl|html]" in helped.stdout

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.cli._render import table_text
from pipeline.config import SAMPLES_DIR
from pipeline.errors import EXIT_PARTIAL
from pipeline.labels import LABELS


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_scan_writes_one_record_per_post(tmp_path: Path, runner: CliRunner, suffix: str) -> None:
    out = tmp_path / f"results{suffix}"
    result = runner.invoke(cli, ["scan", str(SAMPLES_DIR / "posts.csv"), "--id-column", "id", "--out", str(out),
                                 "--db", f"sqlite:///{tmp_path / 'q.db'}", "--no-progress"])
    assert result.exit_code == 0, result.output
    if suffix == ".jsonl":
        records = [json.loads(line) for line in out.read_text().splitlines()]
        assert set(records[0]["scores"]) == set(LABELS)
        assert {"id", "text", "flags", "evidence", "model_version"} <= set(records[0])
    else:
        records = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
        records = records.to_dict(orient="records")
        assert {f"score_{label}" for label in LABELS} <= set(records[0])
    assert len(records) == 74
    assert "74 posts scanned" in result.stderr


def test_scan_show_flagged_prints_evidence(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["scan", str(SAMPLES_DIR / "posts.jsonl"), "--no-db", "--show-flagged"])
    assert result.exit_code == 0, result.output
    assert "flags:" in result.stdout and "←" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "does-not-exist.csv", "--no-db"], "does-not-exist.csv"),
        (["scan", str(SAMPLES_DIR / "posts.csv"), "--threshold", "gossip=0.3", "--no-db"], "--threshold"),
        (["scan", str(SAMPLES_DIR / "posts.csv"), "--model", "/nonexistent", "--no-db"], "no model in"),
        (["scan", str(SAMPLES_DIR / "posts.csv"), "--out", "x.xlsx", "--no-db"], ".jsonl, .csv or .parquet"),
        (["train", "--data-dir", "/nonexistent"], "not found"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("patroli: error:") and message in lines[0], result.stderr
    assert "Traceback" not in result.output


def test_binary_file_with_csv_name_is_a_skipped_file_and_a_partial_exit(tmp_path: Path, runner: CliRunner) -> None:
    bad = tmp_path / "data.csv"
    bad.write_bytes(bytes(range(256)) * 20)
    result = runner.invoke(cli, ["scan", str(bad), str(SAMPLES_DIR / "posts.txt"), "--no-db"])
    assert result.exit_code == EXIT_PARTIAL
    assert "patroli: skipped: data.csv: looks like a binary file" in result.stderr
    assert "25 posts scanned" in result.stderr and "1 input files skipped or cut short" in result.stderr
    alone = runner.invoke(cli, ["scan", str(bad), "--no-db"])
    assert alone.exit_code == EXIT_PARTIAL and "Traceback" not in alone.output


def test_a_file_without_the_text_column_is_skipped_and_the_rest_stored(tmp_path: Path, runner: CliRunner) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.csv").write_text("id,text\n" + "".join(f"a{i},Kabar warga nomor {i}\n" for i in range(5)))
    (inbox / "b.csv").write_text("id,isi\nb1,tanpa kolom teks\n")
    (inbox / "c.csv").write_text("id,text\n" + "".join(f"c{i},Kabar pasar nomor {i}\n" for i in range(6)))
    db = tmp_path / "q.db"
    result = runner.invoke(cli, ["scan", str(inbox), "--id-column", "id", "--db", f"sqlite:///{db}"])
    assert result.exit_code == EXIT_PARTIAL
    skipped = [line for line in result.stderr.splitlines() if line.startswith("patroli: skipped:")]
    assert len(skipped) == 1 and "b.csv: no text column 'text'" in skipped[0]
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from posts").fetchone()[0] == 11
    wrong = runner.invoke(cli, ["scan", str(SAMPLES_DIR / "posts.csv"), "--text-column", "isi", "--no-db"])
    assert wrong.exit_code == EXIT_PARTIAL and "no text column 'isi'" in wrong.stderr


def test_explain_command(runner: CliRunner, tmp_path: Path) -> None:
    text = "Usir mereka dari kampung ini, dasar k4f1r!"
    db = ["--db", f"sqlite:///{tmp_path / 'x.db'}"]
    result = runner.invoke(cli, ["explain", text, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload["scores"]) == set(LABELS) and payload["evidence"]["sara"] and payload["claim"] is None
    table = runner.invoke(cli, ["explain", text])
    assert table.exit_code == 0 and table.stdout.startswith("label") and "no known claims" in table.stdout
    for label in LABELS:
        assert f"\n{label} " in table.stdout
    assert (tmp_path / "x.db").exists() is False and runner.invoke(cli, ["explain", text, *db]).exit_code == 5
    runner.invoke(cli, ["claims", "import", str(SAMPLES_DIR / "claims.csv"), *db])
    with_claims = runner.invoke(cli, ["explain", "Waspada penculikan anak pakai mobil ambulans", *db])
    assert "best known claim: CK-0001" in with_claims.stdout
    untargeted = runner.invoke(cli, ["explain", "Bakar aja rumah rentenir itu, hajar sampai kapok!!"])
    assert untargeted.exit_code == 0
    assert [line for line in untargeted.stdout.splitlines() if line.startswith("sara ")][0].endswith(
        "no SARA group named")
    empty = runner.invoke(cli, ["explain", "   "])
    assert empty.exit_code == 3 and "empty" in empty.stderr


def test_every_command_help_has_an_example(runner: CliRunner) -> None:
    def walk(group: click.Group, path: list[str]) -> list[list[str]]:
        found = []
        for name in group.list_commands(click.Context(group)):
            command = group.get_command(click.Context(group), name)
            found += walk(command, [*path, name]) if isinstance(command, click.Group) else [[*path, name]]
        return found

    commands = walk(cli, [])
    assert len(commands) > 20
    for path in commands:
        shown = runner.invoke(cli, [*path, "--help"])
        assert shown.exit_code == 0 and "Example" in shown.stdout, " ".join(path)


def test_tables_fit_the_terminal() -> None:
    frame = pd.DataFrame({"item_id": [1, 22], "label": ["sara", "hate_speech"], "text": ["kata " * 60, "pendek"]})
    lines = table_text(frame, 60).splitlines()
    assert max(len(line) for line in lines) <= 60 and lines[1].endswith("…")
    assert lines[2].split()[:2] == ["22", "hate_speech"] and lines[0].split() == ["item_id", "label", "text"]


def test_end_to_end_subprocess(tmp_path: Path) -> None:
    patroli = Path(sys.executable).with_name("patroli")
    out = tmp_path / "out.jsonl"
    proc = subprocess.run([str(patroli), "scan", str(SAMPLES_DIR / "posts.jsonl"), "--id-column", "id",
                           "--out", str(out), "--db", f"sqlite:///{tmp_path / 'e2e.db'}"],
                          capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 0, proc.stderr
    assert len(out.read_text().splitlines()) == 65
    assert "posts scanned" in proc.stderr.splitlines()[-1]
    bad = subprocess.run([str(patroli), "scan", "missing.csv", "--no-db"], capture_output=True, text=True,
                         cwd=tmp_path)
    assert bad.returncode != 0 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    # A glob that matches nothing scans nothing, and says so (a patrol's "no new files yet" stays quiet).
    empty = subprocess.run([str(patroli), "scan", "exports/*.csv", str(SAMPLES_DIR / "posts.txt"), "--no-db"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert empty.returncode == 0, empty.stderr
    assert empty.stderr.splitlines()[0] == "patroli: note: exports/*.csv: no file matches"
    assert "posts scanned" in empty.stderr.splitlines()[-1] and not empty.stderr.splitlines()[-1].startswith("0 ")


def _write_inbox(path: Path, n: int) -> None:
    texts = [line.strip() for line in (SAMPLES_DIR / "posts.txt").read_text(encoding="utf-8").splitlines() if line]
    with path.open("w", encoding="utf-8") as fh:
        fh.write("id,text\n")
        for i in range(n):
            fh.write(f"s{i},\"{texts[i % len(texts)]} (#{i})\"\n")


def _posts_in(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return conn.execute("select count(*) from posts").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.parametrize("suffix, kill_at", [(".jsonl", 1), (".csv", 600), (".parquet", 1500)])
def test_scan_out_after_sigkill_and_rerun_has_every_committed_post_once(tmp_path: Path, suffix: str,
                                                                        kill_at: int) -> None:
    total = 2400
    inbox, db, out = tmp_path / "inbox.csv", tmp_path / "q.db", tmp_path / f"hasil{suffix}"
    _write_inbox(inbox, total)
    command = [str(Path(sys.executable).with_name("patroli")), "scan", str(inbox), "--id-column", "id",
               "--db", f"sqlite:///{db}", "--out", str(out), "--chunk-size", "300"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and _posts_in(db) < kill_at:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _posts_in(db) < total, "the scan must be killed mid-way for this test to mean anything"
    assert not out.exists(), "a killed scan must not leave a torn output file behind"
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    if suffix == ".jsonl":
        ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    else:
        frame = pd.read_csv(out, dtype=str) if suffix == ".csv" else pd.read_parquet(out)
        ids = frame["post_id"].tolist()
    with sqlite3.connect(db) as conn:
        committed = [row[0] for row in conn.execute("select post_id from posts")]
    assert len(ids) == len(set(ids)) == total
    assert sorted(ids) == sorted(committed)

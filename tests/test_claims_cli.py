"""`patroli claims import | list | search | evaluate`, in-process with CliRunner and once as a subprocess."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.claims import read_claims
from pipeline.cli import cli
from pipeline.config import SAMPLES_DIR

SAMPLE_CSV = SAMPLES_DIR / "claims.csv"
SAMPLE_JSONLD = SAMPLES_DIR / "claims_review.jsonld"


def run(*args: str) -> object:
    return CliRunner().invoke(cli, ["claims", *args], catch_exceptions=False)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'claims.db'}"


def test_import_list_and_reimport(db_url: str) -> None:
    first = run("import", str(SAMPLE_CSV), "--db", db_url)
    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == ("30 claims read from claims.csv: 30 new, 0 updated, 0 malformed rows "
                                    "skipped")
    assert run("import", str(SAMPLE_JSONLD), "--db", db_url).exit_code == 0
    again = run("import", str(SAMPLE_CSV), "--db", db_url)
    assert "0 new, 30 updated" in again.stdout
    listed = run("list", "--db", db_url, "--format", "json")
    assert listed.exit_code == 0
    records = json.loads(listed.stdout)
    assert len(records) == 34
    by_id = {r["claim_id"]: r for r in records}
    assert by_id["CR-2026-101"]["verdict"] == "Salah" and by_id["CR-2026-101"]["title"].startswith("[SALAH]")
    assert by_id["CK-0004"]["narrative"].startswith("Peringatan dini")
    table = run("list", "--db", db_url)
    assert table.stdout.splitlines()[0].split() == ["claim_id", "verdict", "date", "title", "url", "source"]


def test_search_ranks_the_forwarded_claim_first(sqlite_url: str) -> None:
    run("import", str(SAMPLE_CSV), "--db", sqlite_url)
    post = "Assalamualaikum, info dari grup sebelah: minyak goreng curah di pasar dicampur oli bekas!! Sebarkan"
    out = run("search", post, "--k", "3", "--db", sqlite_url, "--format", "json")
    assert out.exit_code == 0
    found = json.loads(out.stdout)
    assert [f["rank"] for f in found] == [1, 2, 3]
    assert found[0]["claim_id"] == "CK-0010" and found[0]["level"] == "match"
    table = run("search", post, "--db", sqlite_url)
    assert "CK-0010" in table.stdout.splitlines()[1]


def test_malformed_rows_are_reported_and_skipped(tmp_path: Path, sqlite_url: str) -> None:
    path = tmp_path / "claims.csv"
    path.write_text("claim_id,text,verdict\nB1,Klaim baik,Salah\nB2,,Salah\nB3,Klaim,Salah,extra\n",
                    encoding="utf-8")
    out = run("import", str(path), "--db", sqlite_url)
    assert out.exit_code == 0
    assert out.stderr.splitlines() == ["patroli: skipped claims.csv:3: no claim text",
                                       "patroli: skipped claims.csv:4: expected 3 fields, got 4"]
    assert "1 claims read from claims.csv: 1 new, 0 updated, 2 malformed rows skipped" in out.stdout


@pytest.mark.parametrize("content,message", [
    ("id,verdict\nA,Salah\n", "missing column(s) text"),
    ("claim_id,text\n,tanpa id\n", "no claims read from"),
])
def test_bad_files_fail_with_one_line(tmp_path: Path, sqlite_url: str, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    out = run("import", str(path), "--db", sqlite_url)
    assert out.exit_code == 3
    lines = out.stderr.strip().splitlines()
    assert lines[-1].startswith("patroli: error: ") and message in lines[-1]
    assert "Traceback" not in out.output


def test_search_without_claims_is_an_input_error(sqlite_url: str) -> None:
    out = run("search", "apa saja", "--db", sqlite_url)
    assert out.exit_code == 3 and "claims import" in out.stderr


def test_evaluate_needs_a_data_dir(tmp_path: Path) -> None:
    out = run("evaluate", "--data-dir", str(tmp_path / "nowhere"))
    assert out.exit_code == 3 and "data directory not found" in out.stderr


def _tiny_data_dir(root: Path) -> Path:
    """A stand-in for ../shared/data made only of this project's own sample claims and sentences."""
    sample = read_claims(SAMPLE_CSV)
    (root / "hoax_news2020").mkdir(parents=True)
    with open(root / "hoax_news2020" / "data_latih.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ID", "label", "tanggal", "judul", "narasi", "nama file gambar"])
        for i, row in enumerate(sample.itertuples()):
            narrative = row.narrative or f"Info penting: {row.text.lower()}. Tolong disebarkan."
            writer.writerow([i, 1 if i % 5 else 0, "1-Jan-26", row.text, narrative, f"{i}.jpg"])
    (root / "ibrohim2019").mkdir()
    words = ["makan", "siang", "bareng", "teman", "kantor", "hujan", "deras", "lagi", "nonton", "bola", "seru",
             "besok", "libur", "panjang", "kopi", "pagi", "jalan", "macet", "banget", "pulang"]
    with open(root / "ibrohim2019" / "re_dataset.csv", "w", encoding="latin-1", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Tweet", "HS", "Abusive"])
        for i in range(200):
            writer.writerow([" ".join(words[(i * 7 + j * 3) % len(words)] for j in range(6 + i % 5)), 0, 0])
    return root


def test_evaluate_on_a_tiny_data_dir_writes_json(tmp_path: Path) -> None:
    data = _tiny_data_dir(tmp_path / "data")
    out = run("evaluate", "--data-dir", str(data), "--json", str(tmp_path / "res" / "claims.json"))
    assert out.exit_code == 0, out.output
    assert "Recall@1 / @5, test half" in out.stdout and "held-out tweets >= match" in out.stdout
    result = json.loads((tmp_path / "res" / "claims.json").read_text(encoding="utf-8"))
    assert result["sizes"]["claims"] == 30 and result["sizes"]["tweets"] == 200
    assert result["recall"]["index_all"]["recall_at_1"] >= 0.9
    assert set(result["robustness"]) >= {"none", "greeting", "truncate_half", "shuffle_sentences", "slang"}


def test_end_to_end_subprocess(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    entry = ["-c", "from pipeline.cli import main; main()", "claims"]
    done = subprocess.run([sys.executable, *entry, "import", str(SAMPLE_JSONLD), "--db", url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "4 claims read" in done.stdout
    done = subprocess.run([sys.executable, *entry, "search", "tabung gas melon meledak kena panas", "--db", url,
                           "--format", "json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["claim_id"] == "CR-2026-101"
    done = subprocess.run([sys.executable, *entry, "import", str(tmp_path / "missing.csv"), "--db", url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 3 and done.stderr.startswith("patroli: error: cannot read claims file")

"""`patroli train` / `evaluate` end to end on a small data directory written from the project's own samples."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline import review
from pipeline.cli import cli
from pipeline.config import SAMPLES_DIR

TWEET_COLUMNS = ["Tweet", "HS", "Abusive", "HS_Individual", "HS_Group", "HS_Religion", "HS_Race", "HS_Physical",
                 "HS_Gender", "HS_Other", "HS_Weak", "HS_Moderate", "HS_Strong"]


def samples() -> pd.DataFrame:
    rows = pd.read_csv(SAMPLES_DIR / "posts.csv", keep_default_na=False)
    rows["expected_labels"] = rows["expected_labels"].map(lambda s: [x for x in s.split(";") if x])
    return pd.concat([rows, pd.read_json(SAMPLES_DIR / "posts.jsonl", lines=True)], ignore_index=True)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two datasets' file layouts, filled with the hand-written samples (never the real data)."""
    root = tmp_path_factory.mktemp("data")
    posts = samples()
    (root / "ibrohim2019").mkdir()
    with (root / "ibrohim2019" / "re_dataset.csv").open("w", encoding="latin-1", errors="replace", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(TWEET_COLUMNS)
        for text, labels in zip(posts["text"], posts["expected_labels"], strict=True):
            flags = {"HS": "hate_speech", "Abusive": "abusive", "HS_Religion": "sara_agama", "HS_Race": "sara_ras",
                     "HS_Strong": "provocation"}
            writer.writerow([text, *(int(flags.get(c) in labels) for c in TWEET_COLUMNS[1:])])
    (root / "ibrohim2019" / "new_kamusalay.csv").write_text("gk,tidak\n", encoding="latin-1")
    (root / "hoax_news2020").mkdir()
    with (root / "hoax_news2020" / "data_latih.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["ID", "label", "tanggal", "judul", "narasi", "nama file gambar"])
        for i, (text, labels) in enumerate(zip(posts["text"], posts["expected_labels"], strict=True)):
            if "hoax" in labels or i % 3 == 0:
                writer.writerow([i, int("hoax" in labels), "1-Nov-26", text[:60], text, f"{i}.jpg"])
    return root


def test_train_writes_a_loadable_model_with_feedback(tmp_path: Path, data_dir: Path) -> None:
    db = f"sqlite:///{tmp_path / 'q.db'}"
    runner = CliRunner()
    scanned = runner.invoke(cli, ["scan", str(SAMPLES_DIR / "posts.jsonl"), "--db", db, "--no-progress"])
    assert scanned.exit_code == 0, scanned.output
    items = review.queue_frame(db)
    for item_id, flags in zip(items["item_id"][:3], items["flags"][:3], strict=True):
        review.decide(db, int(item_id), "ani", confirm=flags[:1], dismiss=flags[1:])
    out = tmp_path / "model"
    result = runner.invoke(cli, ["train", "--data-dir", str(data_dir), "--out", str(out), "--with-feedback",
                                 "--db", db])
    assert result.exit_code == 0, result.output
    assert "adding 3 reviewed posts" in result.stderr
    card = json.loads((out / "model_card.json").read_text())
    assert card["training_data"]["feedback_rows"] == 3
    assert set(card["training_data"]["files_sha256"]) == {"ibrohim2019/re_dataset.csv", "hoax_news2020/data_latih.csv"}
    explained = runner.invoke(cli, ["explain", "Usir mereka, dasar k4f1r!", "--model", str(out), "--json"])
    assert explained.exit_code == 0 and json.loads(explained.stdout)["scores"]


def test_evaluate_reports_every_label(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "evaluation.json"
    result = CliRunner().invoke(cli, ["evaluate", "--data-dir", str(data_dir), "--folds", "3", "--jobs", "1",
                                      "--seed", "1", "--json", str(out)])
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    labels = {row["label"]: row for row in payload["labels"]}
    assert set(labels) == {"hoax", "provocation", "sara", "sara_agama", "sara_ras", "hate_speech", "abusive"}
    assert payload["seed"] == 1
    assert all(0 <= row["f1"] <= 1 and row["n"] > 0 for row in labels.values())
    assert labels["abusive"]["roc_auc"] > 0.6
    assert 0 <= payload["hoax_vs_tweets"]["false_flag_rate"] <= 1
    assert "false-flag rate" in result.stdout

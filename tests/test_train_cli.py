"""`patroli train` / `evaluate` end to end on a small data directory written from the project's own samples."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline import review
from pipeline.classify.sources import SOURCES
from pipeline.classify.train import ordinary_rows
from pipeline.cli import cli
from pipeline.config import SAMPLES_DIR, TRAINING_DIR

TWEET_COLUMNS = ["Tweet", "HS", "Abusive", "HS_Individual", "HS_Group", "HS_Religion", "HS_Race", "HS_Physical",
                 "HS_Gender", "HS_Other", "HS_Weak", "HS_Moderate", "HS_Strong"]


def samples() -> pd.DataFrame:
    rows = pd.read_csv(SAMPLES_DIR / "posts.csv", keep_default_na=False)
    rows["expected_labels"] = rows["expected_labels"].map(lambda s: [x for x in s.split(";") if x])
    return pd.concat([rows, pd.read_json(SAMPLES_DIR / "posts.jsonl", lines=True)], ignore_index=True)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every dataset's file layout, filled with the hand-written samples (never the real data)."""
    root = tmp_path_factory.mktemp("data")
    posts = samples()
    texts, labels = posts["text"].tolist(), posts["expected_labels"].tolist()
    (root / "ibrohim2019").mkdir()
    with (root / "ibrohim2019" / "re_dataset.csv").open("w", encoding="latin-1", errors="replace", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(TWEET_COLUMNS)
        for text, flags in zip(texts, labels, strict=True):
            names = {"HS": "hate_speech", "Abusive": "abusive", "HS_Religion": "sara_agama", "HS_Race": "sara_ras",
                     "HS_Strong": "provocation"}
            writer.writerow([text, *(int(names.get(c) in flags) for c in TWEET_COLUMNS[1:])])
    (root / "ibrohim2019" / "new_kamusalay.csv").write_text("gk,tidak\n", encoding="latin-1")
    (root / "hoax_news2020").mkdir()
    with (root / "hoax_news2020" / "data_latih.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["ID", "label", "tanggal", "judul", "narasi", "nama file gambar"])
        for i, (text, flags) in enumerate(zip(texts, labels, strict=True)):
            if "hoax" in flags or i % 3 == 0:
                writer.writerow([i, int("hoax" in flags), "1-Nov-26", text[:60], text, f"{i}.jpg"])
    (root / "netifier2018").mkdir()
    sara = [int(any(flag.startswith("sara") for flag in flags)) for flags in labels]
    netifier = pd.DataFrame({"original_text": [f"{text} ya" for text in texts], "sara": sara,
                             "radikalisme": [int("provocation" in flags) for flags in labels]})
    netifier.iloc[::2].to_csv(root / "netifier2018" / "train.csv", index=False)
    netifier.iloc[1::2].to_csv(root / "netifier2018" / "test.csv", index=False)
    (root / "turnbackhoax2021").mkdir()
    pages = [{"Label": "0", "Title": f"[SALAH] {text[:30]}",
              "Body": f"NARASI: {text} PENJELASAN: pesan berantai itu tidak benar menurut keterangan resmi dinas {i}"}
             for i, (text, flags) in enumerate(zip(texts, labels, strict=True)) if "hoax" in flags]
    pd.DataFrame(pages)[["Title", "Label", "Body"]].to_csv(root / "turnbackhoax2021" / "scrapping.csv", sep=";",
                                                           index=False)
    (root / "falsenews_tweets2019").mkdir()
    tweets = pd.DataFrame({"tweets": [f"{text} #pemilu" for text in texts],
                           "class": ["False News" if "hoax" in flags else "True News" for flags in labels],
                           "date": "2019-04-01", "topic": [i % 7 for i in range(len(texts))]})
    tweets.iloc[::2].to_csv(root / "falsenews_tweets2019" / "traindata.tsv", sep="\t", index=False)
    tweets.iloc[1::2].to_csv(root / "falsenews_tweets2019" / "testdata.tsv", sep="\t", index=False)
    (root / "smsa2019").mkdir()
    ordinary = [f"{text} mantap" for text, flags in zip(texts, labels, strict=True) if not flags]
    for name, part in (("train.tsv", ordinary[::2]), ("valid.tsv", ordinary[1::4]), ("test.tsv", ordinary[3::4])):
        (root / "smsa2019" / name).write_text("".join(f"{text}\tpositive\n" for text in part), encoding="utf-8")
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
    read = set(card["training_data"]["files_sha256"])
    assert {rel for source in SOURCES.values() for rel in source.files} | {"ibrohim2019/new_kamusalay.csv"} <= read
    assert {f"data/training/{path.name}" for path in TRAINING_DIR.glob("*.csv")} <= read
    assert set(card["training_data"]["label_mapping"]) == set(SOURCES)
    assert card["training_seconds"] >= 0
    per_source = card["out_of_fold_metrics_per_source"]
    assert set(per_source) == set(card["out_of_fold_metrics"])
    assert 0 <= per_source["hoax"]["hoax_news2020"]["f1"] <= 1  # both classes: metrics
    assert 0 <= per_source["hoax"]["ibrohim2019"]["flag_rate"] <= 1  # negatives only: how many get flagged
    # smsa2019's few positive comments are the ordinary rows: under a 0.1% cap none may be flagged out of fold.
    capped = dict(card["params"]["max_ordinary_flag_rate"])
    assert set(capped) == {"provocation", "sara", "hate_speech"}
    rates = card["out_of_fold_ordinary_flag_rate"]
    assert set(rates) == {"hoax", *capped} and all(rates[label] == 0.0 for label in capped)
    explained = runner.invoke(cli, ["explain", "Usir mereka, dasar k4f1r!", "--model", str(out), "--json"])
    assert explained.exit_code == 0 and json.loads(explained.stdout)["scores"]


def test_evaluate_reports_every_label_and_records_it(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "evaluation.json"
    model = tmp_path / "model"
    model.mkdir()
    (model / "model_card.json").write_text('{"name": "m", "model_sha256": "abc"}\n')
    result = CliRunner().invoke(cli, ["evaluate", "--data-dir", str(data_dir), "--folds", "2", "--jobs", "2",
                                      "--seed", "1", "--json", str(out), "--record", str(model)])
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    rows = payload["labels"]
    assert {row["label"] for row in rows} == {"hoax", "provocation", "sara", "hate_speech", "abusive"}
    assert {"ibrohim2019", "netifier2018", "hoax_news2020"} <= {row["source"] for row in rows}
    assert payload["seed"] == 1
    assert all(0 <= row["f1"] <= 1 and row["n"] > 0 for row in rows)
    card = json.loads((model / "model_card.json").read_text())
    assert card["model_sha256"] == "abc"
    assert card["measured"]["evaluate"]["command"] == "patroli evaluate --folds 2 --seed 1"
    recorded = card["measured"]["evaluate"]["table"]
    assert [(r["label"], r["source"], round(r["f1"], 6)) for r in recorded] == [
        (r["label"], r["source"], round(r["f1"], 6)) for r in rows]


def test_ordinary_rows_are_smsa2019s_positive_and_neutral_comments() -> None:
    frame = pd.DataFrame({"source": ["smsa2019", "smsa2019", "ibrohim2019", "patroli_handwritten"],
                          "kind": ["review", "complaint", "review", "news"]})
    assert ordinary_rows(frame).tolist() == [True, False, False, False]

"""Generate a large synthetic corpus of posts from the project's own samples and lexicons (no third-party text)."""

from __future__ import annotations

import csv
import json
import os
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.config import LEXICON_DIR, SAMPLES_DIR

PLATFORMS = ("twitter", "facebook", "whatsapp", "telegram", "instagram")


def _labelled_samples() -> list[tuple[str, bool]]:
    """(text, harmful) for every labelled sample post."""
    rows: list[tuple[str, bool]] = []
    with (SAMPLES_DIR / "posts.csv").open(encoding="utf-8", newline="") as handle:
        rows += [(row["text"], bool(row["expected_labels"])) for row in csv.DictReader(handle)]
    with (SAMPLES_DIR / "posts.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                rows.append((record["text"], bool(record["expected_labels"])))
    return rows


def _sample_texts() -> list[str]:
    return [text for text, _ in _labelled_samples()]


def _slang() -> list[str]:
    with (LEXICON_DIR / "slang.csv").open(encoding="utf-8") as handle:
        return [row["slang"] for row in csv.DictReader(handle)]


def _sentences(texts: list[str]) -> list[str]:
    return [s.strip() for t in texts for s in t.replace("\n", " ").split(".") if len(s.strip()) > 10]


def generate(path: Path, n: int, seed: int = 0, harmful_share: float = 0.15) -> Path:
    """Write `n` posts to a CSV (id, platform, created_at, shares, text): sample sentences recombined, with slang
    and a number mixed in. About `harmful_share` of the posts are built from the harmful samples, the rest from
    ordinary ones, like a patrol stream in which most posts are ordinary chatter."""
    rng = random.Random(seed)
    samples = _labelled_samples()
    ordinary = _sentences([t for t, harmful in samples if not harmful])
    harmful = _sentences([t for t, harmful in samples if harmful])
    words = _slang()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "platform", "created_at", "shares", "text"])
        for i in range(n):
            sentences = harmful if rng.random() < harmful_share else ordinary
            parts = rng.sample(sentences, rng.randint(1, 3))
            extra = " ".join(rng.choices(words, k=rng.randint(0, 4)))
            tag = f"#{rng.choice(words).replace(' ', '')}" if rng.random() < 0.3 else ""
            text = ". ".join(parts) + (f" {extra}" if extra else "") + (f" {tag}" if tag else "") + f" {i % 9973}"
            day = 1 + i % 28
            writer.writerow([f"g{i}", rng.choice(PLATFORMS), f"2026-11-{day:02d}T{i % 24:02d}:00:00+07:00",
                             rng.randint(0, 5000), text])
    return path


def real_texts(data_dir: Path) -> dict[str, list[str]]:
    """Real Indonesian texts from the third-party datasets, read in place (never copied): tweets (ibrohim2019,
    falsenews_tweets2019), comments and forum posts (smsa2019, netifier2018) and chain messages (the circulated
    narratives quoted by turnbackhoax2021 pages, hoax_news2020 narratives). Raises FileNotFoundError when the
    data directory lacks a file."""
    import pandas as pd

    def column(frame: pd.DataFrame, name: str) -> list[str]:
        return [t for t in frame[name].dropna().astype(str).tolist() if len(t.strip()) > 5]

    d = Path(data_dir)
    tweets = column(pd.read_csv(d / "ibrohim2019" / "re_dataset.csv", encoding="latin-1"), "Tweet")
    for name in ("traindata.tsv", "testdata.tsv"):
        tweets += column(pd.read_csv(d / "falsenews_tweets2019" / name, sep="\t"), "tweets")
    comments = column(pd.read_csv(d / "netifier2018" / "train.csv"), "original_text")
    for name in ("train.tsv", "valid.tsv"):
        comments += column(pd.read_csv(d / "smsa2019" / name, sep="\t", header=None, names=["text", "s"],
                                       quoting=3), "text")
    chains = column(pd.read_csv(d / "hoax_news2020" / "data_latih.csv", dtype=str), "narasi")
    bodies = pd.read_csv(d / "turnbackhoax2021" / "scrapping.csv", sep=";", encoding="cp1252",
                         encoding_errors="replace", usecols=[0, 1, 2], dtype=str)["Body"].dropna()
    for body in bodies:
        if "(NARASI):" in body:
            chains.append(body.split("(NARASI):", 1)[1].split("======", 1)[0].strip())
    return {"tweets": tweets, "comments": comments, "chains": [c for c in chains if len(c) > 5]}


#: How a real-text post is made: (kind, share of posts). Most of a patrol stream is tweets and comments.
REAL_MIX = (("tweets", 0.55), ("comments", 0.35), ("chains", 0.10))


def generate_real(path: Path, n: int, data_dir: Path, seed: int = 0, copies: float = 0.0) -> Path:
    """Write `n` posts of real text to a JSONL or Parquet file (by suffix): each post joins two real texts of one
    kind (REAL_MIX), so posts are long-tailed like a live stream, with id, platform, author, created_at (spread
    over 28 days) and shares. `copies`: the share of posts that repeat an earlier post's text exactly (forwarded
    copies, under another id and author)."""
    rng = random.Random(seed)
    texts = real_texts(data_dir)
    kinds = [k for k, _ in REAL_MIX]
    weights = [w for _, w in REAL_MIX]
    made: list[str] = []
    parquet = path.suffix == ".parquet"
    writer: pq.ParquetWriter | None = None
    batch: list[dict[str, object]] = []

    def flush() -> None:
        nonlocal writer
        table = pa.Table.from_pylist(batch)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
        batch.clear()

    with path.open("w", encoding="utf-8") if not parquet else open(os.devnull, "w") as handle:
        for i in range(n):
            if made and rng.random() < copies:
                text = rng.choice(made)
            else:
                pool = texts[rng.choices(kinds, weights)[0]]
                text = f"{rng.choice(pool).strip()} {rng.choice(pool).strip()}"
                if copies:
                    made.append(text)
            row = {"id": f"r{i}", "platform": rng.choice(PLATFORMS), "author": f"akun{rng.randrange(50_000)}",
                   "created_at": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00+07:00",
                   "shares": rng.randint(0, 5000), "text": text}
            if not parquet:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                continue
            batch.append(row)
            if len(batch) == 50_000:
                flush()
    if parquet:
        if batch or writer is None:
            flush()
        assert writer is not None
        writer.close()
    return path

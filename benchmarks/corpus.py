"""Generate a large synthetic corpus of posts from the project's own samples and lexicons (no third-party text)."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

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

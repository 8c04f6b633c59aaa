"""Generate a large synthetic corpus of posts from the project's own samples and lexicons (no third-party text)."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from pipeline.config import LEXICON_DIR, SAMPLES_DIR

PLATFORMS = ("twitter", "facebook", "whatsapp", "telegram", "instagram")


def _sample_texts() -> list[str]:
    texts: list[str] = []
    with (SAMPLES_DIR / "posts.csv").open(encoding="utf-8", newline="") as handle:
        texts += [row["text"] for row in csv.DictReader(handle)]
    with (SAMPLES_DIR / "posts.jsonl").open(encoding="utf-8") as handle:
        texts += [json.loads(line)["text"] for line in handle if line.strip()]
    texts += [line.strip() for line in (SAMPLES_DIR / "posts.txt").read_text(encoding="utf-8").splitlines()
              if line.strip()]
    return texts


def _words() -> list[str]:
    words: list[str] = []
    for name in ("abusive", "sara", "incitement", "hoax_cues"):
        words += [w.strip() for w in (LEXICON_DIR / f"{name}.txt").read_text(encoding="utf-8").splitlines()
                  if w.strip() and not w.startswith("#")]
    with (LEXICON_DIR / "slang.csv").open(encoding="utf-8") as handle:
        words += [row["slang"] for row in csv.DictReader(handle)]
    return words


def generate(path: Path, n: int, seed: int = 0) -> Path:
    """Write `n` posts to a CSV (id, platform, created_at, shares, text): sample posts recombined and mutated."""
    rng = random.Random(seed)
    texts, words = _sample_texts(), _words()
    sentences = [s.strip() for t in texts for s in t.replace("\n", " ").split(".") if len(s.strip()) > 10]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "platform", "created_at", "shares", "text"])
        for i in range(n):
            parts = rng.sample(sentences, rng.randint(1, 3))
            extra = " ".join(rng.choices(words, k=rng.randint(0, 4)))
            tag = f"#{rng.choice(words).replace(' ', '')}" if rng.random() < 0.3 else ""
            text = ". ".join(parts) + (f" {extra}" if extra else "") + (f" {tag}" if tag else "") + f" {i % 9973}"
            day = 1 + i % 28
            writer.writerow([f"g{i}", rng.choice(PLATFORMS), f"2026-11-{day:02d}T{i % 24:02d}:00:00+07:00",
                             rng.randint(0, 5000), text])
    return path

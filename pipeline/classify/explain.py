"""Explanations: which terms of a post pushed a label's score up."""

from __future__ import annotations

import string
from collections.abc import Sequence

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
    row = clf.features_.transform([tokens], [stems])
    return explain_row(clf, row, tokens, stems, [label], top)[label]


def explain_row(clf: PatroliClassifier, row: sp.csr_matrix, tokens: list[str], stems: list[str],
                labels: Sequence[str], top: int = 5) -> dict[str, list[tuple[str, float]]]:
    """`explain` for several labels of a post whose feature row and tokens are already computed (the scan path).

    The feature-to-token attribution is built once per post; each label then costs one small matrix product.
    """
    row = row.tocsr()
    row.sort_indices()
    vocabulary, share = _attribution(clf, row.indices, tokens, stems)
    out: dict[str, list[tuple[str, float]]] = {}
    for label in labels:
        scores = _contributions(clf, row, label) @ share
        values = scores.tolist()
        # Punctuation carries style, not meaning an analyst can check; it is left out of the evidence.
        ranked = [(vocabulary[i], round(values[i], 4)) for i in np.argsort(-scores).tolist()
                  if values[i] > 0 and not _PUNCTUATION.issuperset(vocabulary[i])]
        out[label] = ranked[:top]
    return out


def _attribution(clf: PatroliClassifier, indices: np.ndarray, tokens: list[str],
                 stems: list[str]) -> tuple[list[str], np.ndarray]:
    """(the post's distinct tokens, a matrix: row k = how feature indices[k] is shared among those tokens).

    `indices` must be sorted (CSR order).
    """
    features = clf.features_
    vocabulary = list(dict.fromkeys(tokens))
    position = {t: i for i, t in enumerate(vocabulary)}
    n_word, n_char = features.n_word, features.n_char
    share = np.zeros((len(indices), len(vocabulary)))
    per_token = [features.token_char_features(token) for token in vocabulary]
    grams = np.concatenate(per_token) + n_word if per_token else np.zeros(0, dtype=np.int64)
    owner = np.repeat(np.arange(len(vocabulary)), [len(g) for g in per_token])
    at = np.searchsorted(indices, grams)
    inside = at < len(indices)
    at, grams, owner = at[inside], grams[inside], owner[inside]
    present = indices[at] == grams
    share[at[present], owner[present]] = 1.0
    stem_to_token: dict[str, str] = {}
    for t, s in zip(tokens, stems, strict=True):
        stem_to_token.setdefault(s, t)
    word_names = features.names()[0]
    cue_hits = features.cue_hits(tokens, stems, f" {' '.join(tokens)} ")
    rows: list[int] = []
    owners: list[int] = []
    outside_char = np.flatnonzero((indices < n_word) | (indices >= n_word + n_char))
    for k, index in zip(outside_char.tolist(), indices[outside_char].tolist(), strict=True):
        if index < n_word:
            parts = [stem_to_token.get(s, s) for s in word_names[index]]
        else:
            # a multiword cue credits each of its words
            parts = [w for hit in cue_hits.get(CUE_NAMES[index - n_word - n_char], []) for w in hit.split()]
        for part in set(parts):
            if part in position:
                rows.append(k)
                owners.append(position[part])
    share[rows, owners] = 1.0
    share /= np.maximum(share.sum(axis=1, keepdims=True), 1.0)  # rows without a token stay 0
    return vocabulary, share


_PUNCTUATION = frozenset(string.punctuation + string.whitespace + "…“”‘’")


def _contributions(clf: PatroliClassifier, row: sp.csr_matrix, label: str) -> np.ndarray:
    """Per non-zero feature of `row`, its push on the label's score.

    For a plain label this is value x weight. A child label scored as P(parent) * P(child | parent) adds both
    models' pushes on their calibrated log-odds: a * value x weight for each factor's Platt slope a.
    """
    labels = list(clf.labels)
    j = labels.index(label)
    parent = clf.parents_.get(label)
    if parent is None:
        return row.data * clf.coef_[j, row.indices]
    return sum(clf.platt_[k][0] * row.data * clf.coef_[k, row.indices] for k in (j, labels.index(parent)))

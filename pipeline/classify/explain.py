"""Explanations: which terms of a post pushed a label's score up."""

from __future__ import annotations

import string
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from pipeline.classify._features import CUE_NAMES, Hits
from pipeline.classify.estimator import PatroliClassifier
from pipeline.labels import SARA_SUBLABELS
from pipeline.text.negation import mark_negated


def explain(clf: PatroliClassifier, text: str, label: str, top: int = 5) -> list[tuple[str, float]]:
    """The post's own terms with the largest positive contribution to `label`'s calibrated log-odds, largest first.

    Contributions of a linear model are feature value x weight. Word n-gram contributions are shared among the
    tokens of the n-gram, character n-gram contributions among the tokens containing them (char_wb n-grams never
    cross a word boundary), and lexicon-cue contributions among the tokens that fired the cue. For `sara` and its
    sub-labels, the groups the post names come first, as "target: <group> (<type>)" with the summed contribution of
    the words naming them.
    """
    tokens, stems = clf.analyzer_.analyze(text)
    row = clf.features_.transform([tokens], [stems])
    return explain_row(clf, row, tokens, stems, [label], top)[label]


def explain_row(clf: PatroliClassifier, row: sp.csr_matrix, tokens: list[str], stems: list[str],
                labels: Sequence[str], top: int = 5, hits: Hits | None = None) -> dict[str, list[tuple[str, float]]]:
    """`explain` for several labels of a post whose feature row and tokens (and maybe cue hits) are already
    computed (the scan path).

    The feature-to-token attribution is built once per post; each label then costs one small matrix product.
    """
    row = row.tocsr()
    row.sort_indices()
    if hits is None:
        hits = clf.features_.cue_hits(tokens, stems)
    vocabulary, share = _attribution(clf, row.indices, tokens, stems, hits)
    out: dict[str, list[tuple[str, float]]] = {}
    for label in labels:
        scores = _contributions(clf, row, label) @ share
        values = scores.tolist()
        lines, naming = _target_lines(clf, tokens, stems, label, vocabulary, values)
        # Punctuation carries style, not meaning an analyst can check; it is left out of the evidence.
        ranked = [(vocabulary[i], round(values[i], 4)) for i in np.argsort(-scores).tolist()
                  if values[i] > 0 and vocabulary[i] not in naming and not _PUNCTUATION.issuperset(vocabulary[i])]
        out[label] = (lines + ranked)[:max(top, len(lines))]
    return out


_SARA_TYPES = {"sara": None, **{sub: type_ for type_, sub in SARA_SUBLABELS.items()}}


def _target_lines(clf: PatroliClassifier, tokens: list[str], stems: list[str], label: str, vocabulary: list[str],
                  values: list[float]) -> tuple[list[tuple[str, float]], set[str]]:
    """For SARA labels: ("target: <group> (<type>)", weight) per group named, and the tokens naming them."""
    if label not in _SARA_TYPES:
        return [], set()
    wanted = _SARA_TYPES[label]
    position = {t: i for i, t in enumerate(vocabulary)}
    weights: dict[str, float] = {}
    naming: set[str] = set()
    for target in clf.features_.targets.find(tokens, stems):
        if wanted is not None and target.type != wanted:
            continue
        words = [w for w in target.text.split() if w in position]
        naming.update(words)
        line = f"target: {target.describe()}"
        weights[line] = weights.get(line, 0.0) + sum(values[position[w]] for w in set(words))
    return [(line, round(weight, 4)) for line, weight in weights.items()], naming


def _attribution(clf: PatroliClassifier, indices: np.ndarray, tokens: list[str], stems: list[str],
                 cue_hits: Hits) -> tuple[list[str], np.ndarray]:
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
    for t, s, marked in zip(tokens, stems, mark_negated(tokens, stems), strict=True):
        stem_to_token.setdefault(s, t)
        stem_to_token.setdefault(marked, t)
    rows: list[int] = []
    owners: list[int] = []
    outside_char = np.flatnonzero((indices < n_word) | (indices >= n_word + n_char))
    for k, index in zip(outside_char.tolist(), indices[outside_char].tolist(), strict=True):
        if index < n_word:
            parts = [stem_to_token.get(s, s) for s in features.word_stems(index)]
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


def _position(indices: np.ndarray, column: int) -> int | None:
    """Where `column` is among a row's sorted feature indices, or None."""
    at = int(np.searchsorted(indices, column))
    return at if at < len(indices) and indices[at] == column else None


def _contributions(clf: PatroliClassifier, row: sp.csr_matrix, label: str) -> np.ndarray:
    """Per non-zero feature of `row`, its push on the label's calibrated log-odds.

    The calibrator reads the label's head decision (scaled by a slope that depends on the post's gate cues), the
    decisions of the heads it stacks, a constant per gate cue present and its plain cue columns; so a feature
    pushes by its value times the slope-weighted sum of those heads' weights, and a present gate or plain cue also
    carries its own calibrator term. A SARA sub-label is explained as `sara`.
    """
    label = "sara" if label in SARA_SUBLABELS.values() else label
    columns = clf.columns_
    coefs, _ = clf.calibrators_[label]
    others, gates, cues = clf.stack_.get(label, ((), (), ()))
    slopes = [float(c) for c in coefs[: 1 + len(others)]]
    extra = np.zeros(len(row.indices))
    per_gate = 2 + len(others)
    for k, gate in enumerate(gates):
        found = _position(row.indices, clf.features_.cue_column(gate))
        if found is not None:
            at = 1 + len(others) + per_gate * k
            extra[found] += float(coefs[at])
            slopes = [slope + float(c) for slope, c in zip(slopes, coefs[at + 1: at + per_gate], strict=True)]
    for k, cue in enumerate(cues):
        found = _position(row.indices, clf.features_.cue_column(cue))
        if found is not None:
            extra[found] += float(coefs[1 + len(others) + per_gate * len(gates) + k]) * float(row.data[found])
    weights = slopes[0] * clf.coef_[columns.index(label), row.indices].astype(np.float64)
    for o, other in enumerate(others):
        weights = weights + slopes[1 + o] * clf.coef_[columns.index(other), row.indices]
    return row.data * weights + extra

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
from pipeline.text.targets import Target


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

    The feature-to-token attribution is built once per post; each label then costs one weighted count.
    """
    row = row.tocsr()
    row.sort_indices()
    return explain_features(clf, row.indices, row.data, tokens, stems, labels, top, hits)


def explain_features(clf: PatroliClassifier, indices: np.ndarray, data: np.ndarray, tokens: list[str],
                     stems: list[str], labels: Sequence[str], top: int = 5,
                     hits: Hits | None = None) -> dict[str, list[tuple[str, float]]]:
    """`explain_row` for a row given as its sorted column indices and their values (a slice of a CSR matrix with
    sorted indices), without building a one-row matrix per post."""
    if hits is None:
        hits = clf.features_.cue_hits(tokens, stems)
    vocabulary, feature, owner, share = _attribution(clf, indices, tokens, stems, hits)
    targets = clf.features_.targets.find(tokens, stems) if _SARA_TYPES.keys() & set(labels) else []
    out: dict[str, list[tuple[str, float]]] = {}
    for label in labels:
        scores = np.bincount(owner, weights=_contributions(clf, indices, data, label)[feature] * share,
                             minlength=len(vocabulary))
        values = scores.tolist()
        lines, naming = _target_lines(targets, label, vocabulary, values)
        ranked: list[tuple[str, float]] = []
        for i in np.argsort(-scores).tolist():
            if len(lines) + len(ranked) >= top or values[i] <= 0:
                break
            # Punctuation carries style, not meaning an analyst can check; it is left out of the evidence.
            if vocabulary[i] not in naming and not _PUNCTUATION.issuperset(vocabulary[i]):
                ranked.append((vocabulary[i], round(values[i], 4)))
        out[label] = lines + ranked
    return out


_SARA_TYPES = {"sara": None, **{sub: type_ for type_, sub in SARA_SUBLABELS.items()}}


def _target_lines(targets: Sequence[Target], label: str, vocabulary: list[str],
                  values: list[float]) -> tuple[list[tuple[str, float]], set[str]]:
    """For SARA labels: ("target: <group> (<type>)", weight) per group the post names (`targets`), and the tokens
    naming them."""
    if label not in _SARA_TYPES:
        return [], set()
    wanted = _SARA_TYPES[label]
    position = {t: i for i, t in enumerate(vocabulary)}
    weights: dict[str, float] = {}
    naming: set[str] = set()
    for target in targets:
        if wanted is not None and target.type != wanted:
            continue
        words = [w for w in target.text.split() if w in position]
        naming.update(words)
        line = f"target: {target.describe()}"
        weights[line] = weights.get(line, 0.0) + sum(values[position[w]] for w in set(words))
    return [(line, round(weight, 4)) for line, weight in weights.items()], naming


def _attribution(clf: PatroliClassifier, indices: np.ndarray, tokens: list[str], stems: list[str],
                 cue_hits: Hits) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """How the post's features are shared among its distinct tokens: (those tokens, and three parallel arrays, one
    entry per (feature, token) pair: the feature's position in `indices`, the token's position, the token's share of
    the feature, 1 / the number of tokens it comes from). Features no token of the post accounts for get no entry.

    `indices` must be sorted (CSR order).
    """
    features = clf.features_
    vocabulary = list(dict.fromkeys(tokens))
    position = {t: i for i, t in enumerate(vocabulary)}
    n_word, n_char = features.n_word, features.n_char
    # char n-grams: the tokens whose own n-grams they are
    per_token = [features.token_char_features(token) for token in vocabulary]
    grams = np.concatenate(per_token) + n_word if per_token else np.zeros(0, dtype=np.int64)
    owner = np.repeat(np.arange(len(vocabulary)), [len(g) for g in per_token])
    at = np.searchsorted(indices, grams)
    inside = at < len(indices)
    at, grams, owner = at[inside], grams[inside], owner[inside]
    present = indices[at] == grams
    pairs = [at[present], owner[present]]
    # word n-grams: the first token with each of their stems (negation-marked or not), else a token equal to the stem
    part_ids, word_parts = features.word_parts
    local: dict[int, int] = {}
    for t, s, marked in zip(tokens, stems, mark_negated(tokens, stems), strict=True):
        for stem in (s, marked):
            part = part_ids.get(stem)
            if part is not None:
                local.setdefault(part, position[t])
    for t, i in position.items():
        part = part_ids.get(t)
        if part is not None:
            local.setdefault(part, i)
    words = np.flatnonzero(indices < n_word)
    if len(words) and local:
        known = np.fromiter(local, dtype=np.int64, count=len(local))
        order = np.argsort(known)
        known, mapped = known[order], np.fromiter(local.values(), dtype=np.int64, count=len(local))[order]
        parts = word_parts[indices[words]]
        found = np.minimum(np.searchsorted(known, parts), len(known) - 1)
        hit = (known[found] == parts) & (parts >= 0)
        pairs += [np.broadcast_to(words[:, None], parts.shape)[hit], mapped[found[hit]]]
    # lexicon cues: a multiword cue credits each of its words
    rows: list[int] = []
    owners: list[int] = []
    for k in np.flatnonzero(indices >= n_word + n_char).tolist():
        for part in {w for hit in cue_hits.get(CUE_NAMES[int(indices[k]) - n_word - n_char], []) for w in hit.split()}:
            if part in position:
                rows.append(k)
                owners.append(position[part])
    pairs += [np.array(rows, dtype=np.int64), np.array(owners, dtype=np.int64)]
    # one entry per distinct (feature, token) pair
    key = np.concatenate(pairs[0::2]) * len(vocabulary) + np.concatenate(pairs[1::2])
    key.sort()
    key = key[np.concatenate(([True], key[1:] != key[:-1]))] if len(key) else key
    feature, owner = np.divmod(key, max(len(vocabulary), 1))
    return vocabulary, feature, owner, 1.0 / np.bincount(feature, minlength=len(indices))[feature]


_PUNCTUATION = frozenset(string.punctuation + string.whitespace + "…“”‘’")


def _position(indices: np.ndarray, column: int) -> int | None:
    """Where `column` is among a row's sorted feature indices, or None."""
    at = int(np.searchsorted(indices, column))
    return at if at < len(indices) and indices[at] == column else None


def _contributions(clf: PatroliClassifier, indices: np.ndarray, data: np.ndarray, label: str) -> np.ndarray:
    """Per non-zero feature of a row (sorted column `indices`, their `data`), its push on the label's calibrated log-odds.

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
    extra = np.zeros(len(indices))
    per_gate = 2 + len(others)
    for k, gate in enumerate(gates):
        found = _position(indices, clf.features_.cue_column(gate))
        if found is not None:
            at = 1 + len(others) + per_gate * k
            extra[found] += float(coefs[at])
            slopes = [slope + float(c) for slope, c in zip(slopes, coefs[at + 1: at + per_gate], strict=True)]
    for k, cue in enumerate(cues):
        found = _position(indices, clf.features_.cue_column(cue))
        if found is not None:
            extra[found] += float(coefs[1 + len(others) + per_gate * len(gates) + k]) * float(data[found])
    weights = slopes[0] * clf.coef_[columns.index(label), indices].astype(np.float64)
    for o, other in enumerate(others):
        weights = weights + slopes[1 + o] * clf.coef_[columns.index(other), indices]
    return data * weights + extra

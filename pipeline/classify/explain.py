"""Explanations: which terms of a post pushed a label's score up."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from pipeline.classify._attribution import attribution
from pipeline.classify._features import CUE_NAMES, Hits, Negated
from pipeline.classify.fitted import LinearScoring
from pipeline.labels import SARA_SUBLABELS
from pipeline.text.negation import negated_positions
from pipeline.text.targets import Target

#: A post's explanations: per label, its terms and their weights, strongest first.
Evidence = dict[str, list[tuple[str, float]]]


def explain(clf: LinearScoring, text: str, label: str, top: int = 5) -> list[tuple[str, float]]:
    """The post's own terms with the largest positive contribution to `label`'s calibrated log-odds, largest first.

    Contributions of a linear model are feature value x weight. Word n-gram contributions are shared among the
    tokens of the n-gram, character n-gram contributions among the tokens containing them (char_wb n-grams never
    cross a word boundary), and lexicon-cue contributions among the tokens that fired the cue. For `sara` and its
    sub-labels, the groups the post names come first, as "target: <group> (<type>)" with the summed contribution of
    the words naming them; a post that names no group has no SARA evidence (its SARA probability is 0).
    """
    tokens, stems = clf.analyzer_.analyze(text)
    row = clf.features_.transform([tokens], [stems])
    return explain_row(clf, row, tokens, stems, [label], top)[label]


def explain_row(clf: LinearScoring, row: sp.csr_matrix, tokens: list[str], stems: list[str],
                labels: Sequence[str], top: int = 5, hits: Hits | None = None) -> Evidence:
    """`explain` for several labels of a post whose feature row and tokens (and maybe cue hits) are already
    computed."""
    return explain_rows(clf, row, [tokens], [stems], [labels], top, None if hits is None else [hits])[0]


def explain_rows(clf: LinearScoring, M: sp.csr_matrix, tokens: Sequence[list[str]], stems: Sequence[list[str]],
                 labels: Sequence[Sequence[str]], top: int = 5, hits: Sequence[Hits] | None = None,
                 negated: Negated | None = None) -> list[Evidence]:
    """`explain_row` for every row of a feature matrix (the scan path): `tokens`, `stems`, `labels` to explain (and
    the cue hits and the tokens' negation, when already found) hold one entry per row. A row without labels gets
    {}.

    Rows are explained together, a block at a time: numpy calls are per block and per label, not per post, so the
    cost per post is mostly the Python that reads its tokens and writes its terms.
    """
    out: list[Evidence] = [{} for _ in labels]
    # rows with the same labels side by side: the rows that want a label then lie in a few runs
    rows = sorted((r for r, wanted in enumerate(labels) if wanted), key=lambda r: sorted(map(_base, labels[r])))
    if not rows:
        return out
    M = M.tocsr()
    M.sort_indices()
    for start in range(0, len(rows), _BLOCK):
        block = rows[start:start + _BLOCK]
        whole = block == list(range(M.shape[0]))
        found = _explain_block(clf, M if whole else M[block], [tokens[r] for r in block],
                               [stems[r] for r in block], [labels[r] for r in block], top,
                               None if hits is None else [hits[r] for r in block],
                               None if negated is None else [negated[r] for r in block])
        for r, evidence in zip(block, found, strict=True):
            out[r] = evidence
    return out


#: Rows explained together: enough to spread numpy's cost per call thin, few enough to keep the arrays small
#: (a few tens of MB) however many rows a caller scores at once.
_BLOCK = 2000


def _explain_block(clf: LinearScoring, M: sp.csr_matrix, tokens: list[list[str]], stems: list[list[str]],
                   labels: list[Sequence[str]], top: int, hits: list[Hits] | None,
                   negated: Negated | None) -> list[Evidence]:
    """`explain_rows` for a matrix (sorted indices) whose every row has labels to explain."""
    if negated is None:
        negated = list(map(negated_positions, tokens))
    if hits is None:
        hits = [clf.features_.cue_hits(t, s, n) for t, s, n in zip(tokens, stems, negated, strict=True)]
    pairs = attribution(clf.features_, M, tokens, stems, hits, negated)
    vocabulary, offsets = pairs.vocabulary, pairs.offsets
    needed: dict[str, np.ndarray] = {}
    for r, wanted in enumerate(labels):
        for label in wanted:
            needed.setdefault(_base(label), np.zeros(len(labels), dtype=bool))[r] = True
    values: dict[str, np.ndarray] = {}
    order: dict[str, _Ranking] = {}
    for base, wanted in needed.items():
        # only the pairs of the rows that want the label (the others' scores are never read), in the order they
        # have: per source, the runs of rows that want it
        runs = np.flatnonzero(np.diff(wanted, prepend=False, append=False)).reshape(-1, 2).tolist()
        chosen = np.concatenate([np.arange(bounds[first], bounds[end]) for bounds in pairs.bounds.tolist()
                                 for first, end in runs])
        feature = pairs.feature[chosen]
        scores = np.bincount(pairs.owner[chosen], weights=_contributions(clf, M, base, feature) * pairs.share[chosen],
                             minlength=len(vocabulary))
        # the scores stay an array: a post reads a few of them, as Python floats
        values[base], order[base] = scores, _ranking(scores, pairs.owner_row, offsets, wanted)
    # The loop below runs per flagged post and label: it allocates as few lists, sets and dicts as it can, for the
    # garbage collector's young-generation passes are triggered by their count.
    out: list[Evidence] = []
    for r, wanted in enumerate(labels):
        start = offsets[r]
        targets: list[Target] | None = None
        position: dict[str, int] = {}
        evidence: Evidence = {}
        for label in wanted:
            base = _base(label)
            scores = values[base]
            if label in _SARA_TYPES:
                if targets is None:
                    targets = clf.features_.named_targets(tokens[r], stems[r])
                    if targets:
                        end = offsets[r + 1]
                        position = dict(zip(vocabulary[start:end], range(end - start), strict=True))
                if not targets:
                    # SARA needs a named group: without one its probability is 0, whatever the words weigh
                    evidence[label] = []
                    continue
                terms, naming = _target_lines(targets, label, position, start, scores)
            else:
                terms, naming = [], _NOTHING
            for i in order[base].row(r):
                if len(terms) >= top:
                    break
                # Punctuation carries style, not meaning an analyst can check; it is left out of the evidence.
                term = vocabulary[i]
                if term not in naming and not _is_punctuation(term):
                    terms.append((term, round(float(scores[i]), 4)))
            evidence[label] = terms
        out.append(evidence)
    return out


_SARA_TYPES = {"sara": None, **{sub: type_ for type_, sub in SARA_SUBLABELS.items()}}
_PUNCTUATION = frozenset(string.punctuation + string.whitespace + "…“”‘’")


def _is_punctuation(token: str) -> bool:
    # most tokens start with a letter or digit, and no punctuation does: the set test is for the rest
    return not token[:1].isalnum() and _PUNCTUATION.issuperset(token)


def _base(label: str) -> str:
    """The label whose score explains `label`: a SARA sub-label is explained as `sara`."""
    return _BASE.get(label, label)


_BASE = dict.fromkeys(SARA_SUBLABELS.values(), "sara")
_NOTHING: frozenset[str] = frozenset()


class _Ranking(NamedTuple):
    """Per row, its tokens with a positive score, highest first, as positions in the scores: row r's are
    flat[bounds[r]:bounds[r + 1]], unless the row is among `tied`."""

    flat: list[int]
    bounds: list[int]
    tied: dict[int, list[int]]  # rows with equal scores, in the order their own sort gives them

    def row(self, r: int) -> list[int]:
        """Row r's ranked tokens."""
        return self.tied.get(r, self.flat[self.bounds[r]:self.bounds[r + 1]])


def _ranking(scores: np.ndarray, owner_row: np.ndarray, offsets: list[int], wanted: np.ndarray) -> _Ranking:
    """Per row (of those `wanted`; none for the others), its tokens with a positive score, highest first, as
    positions in `scores` (row r's tokens are at offsets[r]:offsets[r + 1]).

    Equal scores within a row come in the order np.argsort(-the row's scores) gives them, as they always have: that
    sort is not stable, so such rows are sorted by it.
    """
    candidates = np.flatnonzero((scores > 0) & wanted[owner_row])
    order = candidates[np.lexsort((-scores[candidates], owner_row[candidates]))]
    row, ranked = owner_row[order], scores[order]
    tied: dict[int, list[int]] = {}
    for r in np.unique(row[1:][(ranked[1:] == ranked[:-1]) & (row[1:] == row[:-1])]).tolist():
        start, end = offsets[r], offsets[r + 1]
        local = np.argsort(-scores[start:end])
        tied[r] = (start + local[scores[start:end][local] > 0]).tolist()
    return _Ranking(order.tolist(), np.searchsorted(row, np.arange(len(offsets))).tolist(), tied)


def _target_lines(targets: Sequence[Target], label: str, position: dict[str, int], start: int,
                  values: np.ndarray) -> tuple[list[tuple[str, float]], set[str]]:
    """For a SARA label: ("target: <group> (<type>)", weight) per group the post names (`targets`), and the tokens
    naming them. `position`: the post's tokens' places among its scores, which begin at `values[start]`."""
    wanted = _SARA_TYPES[label]
    # a group named twice ("usir a s e n g … #UsirAseng") is one line: each word's contribution (which already
    # sums all its occurrences) counted once
    lines: dict[str, dict[str, None]] = {}
    for target in targets:
        if wanted is not None and target.type != wanted:
            continue
        words = lines.setdefault(f"target: {target.describe()}", {})
        words.update(dict.fromkeys(w for w in target.text.split() if w in position))
    weights = [(line, round(sum(float(values[start + position[w]]) for w in words), 4)) for line, words in lines.items()]
    return weights, {w for words in lines.values() for w in words}


def _contributions(clf: LinearScoring, M: sp.csr_matrix, label: str, at: np.ndarray | None = None) -> np.ndarray:
    """Per stored value of a feature matrix `M` (or of those at positions `at` among them), its push on its row's
    calibrated log-odds of `label`.

    The calibrator reads the label's head decision (scaled by a slope that depends on the post's gate cues), the
    decisions of the heads it stacks, a constant per gate cue present and its plain cue columns; so a feature
    pushes by its value times the slope-weighted sum of those heads' weights, and a present gate or plain cue also
    carries its own calibrator term. A SARA sub-label is explained as `sara`.
    """
    label = _base(label)
    coefs, _ = clf.calibrators_[label]
    others, gates, cues = clf.stack_.get(label, ((), (), ()))
    at = np.arange(M.nnz) if at is None else at
    cue_at = np.flatnonzero(M.indices >= clf.features_.cue_column(CUE_NAMES[0]))
    cue_columns = M.indices[cue_at]
    extra = np.zeros(len(cue_at))  # per stored cue value, its calibrator term
    gated = np.zeros(M.shape[0], dtype=np.int64)  # which gate cues each row has, one bit per gate
    for k, gate in enumerate(gates):
        found = np.flatnonzero(cue_columns == clf.features_.cue_column(gate))
        extra[found] += float(coefs[_gate_term(len(others), k)])
        gated[np.searchsorted(M.indptr, cue_at[found], side="right") - 1] |= 1 << k
    for k, cue in enumerate(cues):
        found = np.flatnonzero(cue_columns == clf.features_.cue_column(cue))
        extra[found] += float(coefs[_gate_term(len(others), len(gates)) + k]) * M.data[cue_at[found]].astype(np.float64)
    data, columns = M.data[at], M.indices[at]
    extra_at = np.zeros(len(at))
    is_cue = np.flatnonzero(columns >= clf.features_.cue_column(CUE_NAMES[0]))
    extra_at[is_cue] = extra[np.searchsorted(cue_at, at[is_cue])]
    # every feature's weight is computed once per combination of gates the rows have, not once per row
    combinations, which = np.unique(gated, return_inverse=True)
    if len(combinations) <= 1:
        return data * _weights(clf, label, int(combinations[0]) if len(combinations) else 0)[columns] + extra_at
    weights = np.stack([_weights(clf, label, int(c)) for c in combinations])
    return data * weights[np.repeat(which, np.diff(M.indptr))[at], columns] + extra_at


def _gate_term(n_others: int, k: int) -> int:
    """Where gate cue `k`'s presence term is among a calibrator's coefficients (see `_stack_inputs`): after the
    head and its `n_others` stacked heads, each earlier gate takes its presence and one slope per head. With
    k = the number of gates, where the plain cue terms begin."""
    return 1 + n_others + (2 + n_others) * k


def _weights(clf: LinearScoring, label: str, gated: int) -> np.ndarray:
    """Per feature, the slope-weighted sum of the weights of the heads `label`'s calibrator reads, for a row with
    the gate cues whose bits are set in `gated`."""
    coefs, _ = clf.calibrators_[label]
    others, gates, _ = clf.stack_.get(label, ((), (), ()))
    slopes = [float(c) for c in coefs[: 1 + len(others)]]
    for k in range(len(gates)):
        if gated >> k & 1:
            at = _gate_term(len(others), k)
            slopes = [slope + float(c) for slope, c in zip(slopes, coefs[at + 1: at + 2 + len(others)], strict=True)]
    weights = slopes[0] * clf.coef_[clf.columns_.index(label)].astype(np.float64)
    for o, other in enumerate(others):
        weights = weights + slopes[1 + o] * clf.coef_[clf.columns_.index(other)]
    return weights

"""Hashed TF-IDF vectors and two-stage sparse cosine search for claim matching (private to `pipeline.claims`).

Feature hashing instead of a fitted vocabulary: no vocabulary dict to hold in memory or pickle, transform is
stateless, and the index memory is just the sparse matrices plus one IDF vector.

Search is two-stage because frequent n-grams ("ang", "kan ", "yang") make a full sparse product against
100,000 claims nearly dense and slow: stage 1 multiplies only the *rare* features (document frequency at most
max(0.3% of the claims, 50)) to find candidates, stage 2 adds the exact contribution of the frequent features for
the best `n_candidates` of them. Reported similarities are exact weighted cosines; the one approximation is
that a claim sharing no rare feature at all with a post (only common words) is never a candidate. Against 100,000
generated claims, the 0.3% cut (instead of 1%) makes stage 1 about 3x cheaper on real posts and changes the level
(match, suggest, below) of none of 20,000 generated and 10,000 real posts.

The n-grams and their hashed columns are scikit-learn's HashingVectorizer's (char_wb and `\\b\\w+\\b` words,
signed 32-bit MurmurHash3 of the UTF-8 bytes, `alternate_sign=False`), computed here with `mmh3` so that matching
claims does not import scikit-learn; the test suite compares the two.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import mmh3
import numpy as np
import scipy.sparse as sp

from pipeline.text.ngrams import counted_rows, l2_normalized, l2_row_norms, summed_rows

#: A row of words of a text: (the text's position, first word, end word).
Span = tuple[int, int, int]
#: Text as `normalize_claim_text` leaves it.
_PLAIN = re.compile(r"(?:[a-z0-9]+(?: [a-z0-9]+)*)?")
#: The words of the word block, in text that is not plain.
_WORD = re.compile(r"\b\w+\b")


@dataclass(frozen=True)
class VectorSpec:
    """What the vectors are made of: char_wb n-grams and word n-grams, each block L2-normalised and weighted."""

    char_ngrams: tuple[int, int] = (3, 5)
    word_ngrams: tuple[int, int] = (1, 2)
    char_weight: float = 0.5
    n_features: int = 2**20  # per block


class HashedTfidf:
    """Sublinear-tf x smooth-idf vectors over hashed char and word n-grams, learned from the claim texts.

    A feature no claim has gets the idf of a feature seen once: it cannot add to a dot product, but it does
    weigh in the post's norm, so a long unrelated post is not scored only on the few n-grams it shares.
    """

    def __init__(self, spec: VectorSpec) -> None:
        self.spec = spec
        self.idf_: np.ndarray | None = None
        self.df_: np.ndarray | None = None

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        blocks = self._counts(texts, None)
        n = len(texts)
        dfs = [np.bincount(X.indices, minlength=X.shape[1]).astype(np.int32) for X in blocks]
        self.df_ = np.concatenate(dfs)
        self.idf_ = (np.log((1.0 + n) / (1.0 + np.maximum(self.df_, 1))) + 1.0).astype(np.float32)
        return self._weigh(blocks)

    def transform(self, texts: Sequence[str], spans: Sequence[Span] | None = None) -> sp.csr_matrix:
        """One row per text, or with `spans` one row per span: (text, first word, end word), the words
        `text.split()[first:end]` of that text, as `transform` of them joined by spaces would give it."""
        return self._weigh(self._counts(texts, spans))

    def _counts(self, texts: Sequence[str], spans: Sequence[Span] | None) -> list[sp.csr_matrix]:
        words = [text.split() for text in texts]
        if spans is None:
            spans = [(i, 0, len(ws)) for i, ws in enumerate(words)]
        return [self._char_counts(words, spans), self._word_counts(texts, words, spans)]

    def _word_counts(self, texts: Sequence[str], words: list[list[str]], spans: Sequence[Span]) -> sp.csr_matrix:
        """The word vectorizer's counts of the spans, built from cached columns of words and word pairs.

        For texts as `normalize_claim_text` leaves them (words of letters and digits between single spaces), the
        word n-grams of a span are its words and the pairs of neighbouring words in it; they repeat across posts
        and across a post's windows far more than texts do. Other texts are split into words as the vectorizer
        does, without the caches.
        """
        if not all(map(_PLAIN.fullmatch, texts)):
            return self._found_word_counts([" ".join(words[i][first:end]) for i, first, end in spans])
        singles_cache: dict[str, int] = self.__dict__.setdefault("_word_columns", {})
        # pairs are looked up as tuples: the "a b" string is built only for a pair not seen before
        pairs_cache: dict[tuple[str, str], int] = self.__dict__.setdefault("_pair_columns", {})
        if len(singles_cache) + len(pairs_cache) > 2_000_000:
            singles_cache.clear()
            pairs_cache.clear()
        n_features = self.spec.n_features
        singles = [_columns(ws, singles_cache, _hashed_column, n_features) for ws in words]
        doubles = [_columns(list(zip(ws, ws[1:], strict=False)), pairs_cache, _hashed_pair, n_features)
                   for ws in words]
        columns: list[int] = []
        lengths = []
        for i, first, end in spans:
            before = len(columns)
            columns += singles[i][first:end]
            columns += doubles[i][first:max(end - 1, first)]
            lengths.append(len(columns) - before)
        return counted_rows(np.array(columns, dtype=np.int64), np.array(lengths, dtype=np.int64),
                            self.spec.n_features)

    def _char_counts(self, words: list[list[str]], spans: Sequence[Span]) -> sp.csr_matrix:
        """The char vectorizer's counts of the spans, built from per-word cached hashes.

        char_wb n-grams never cross whitespace, so a span's counts are the sum of its words' counts; words repeat
        across posts and across a post's windows far more than texts do.
        """
        cache: dict[str, np.ndarray] = self.__dict__.setdefault("_word_hashes", {})
        if len(cache) > 1_000_000:
            cache.clear()
        n_features, (low, high) = self.spec.n_features, self.spec.char_ngrams
        for word in {w for ws in words for w in ws if w not in cache}:
            cache[word] = np.sort(np.array([_hashed_column(gram, n_features)
                                            for gram in _char_wb_grams(word, low, high)], dtype=np.int64))
        per_text = [list(map(cache.__getitem__, ws)) for ws in words]
        parts: list[np.ndarray] = []
        per_row = []
        for i, first, end in spans:
            before = len(parts)
            parts += per_text[i][first:end]
            per_row.append(len(parts) - before)
        return summed_rows(parts, per_row, self.spec.n_features)

    def _found_word_counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The word vectorizer's counts of any texts: its words (`_WORD`), then its n-grams of neighbouring words
        up to the longest, each hashed."""
        low, high = self.spec.word_ngrams
        columns: list[int] = []
        lengths = []
        for text in texts:
            found = _WORD.findall(text)
            grams = [" ".join(found[k:k + n]) for n in range(low, high + 1) for k in range(len(found) - n + 1)]
            columns += [_hashed_column(gram, self.spec.n_features) for gram in grams]
            lengths.append(len(grams))
        return counted_rows(np.array(columns, dtype=np.int64), np.array(lengths, dtype=np.int64),
                            self.spec.n_features)

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        state.pop("_word_hashes", None)
        state.pop("_word_columns", None)
        state.pop("_pair_columns", None)
        return state

    def _weigh(self, blocks: list[sp.csr_matrix]) -> sp.csr_matrix:
        assert self.idf_ is not None, "fit first"
        half = self.spec.n_features
        weights = (self.spec.char_weight, 1.0 - self.spec.char_weight)
        out = []
        for b, (X, weight) in enumerate(zip(blocks, weights, strict=True)):
            X.sum_duplicates()
            idf = self.idf_[b * half:(b + 1) * half]
            X.data = (1.0 + np.log(X.data, dtype=np.float32)) * idf[X.indices]
            X.data = l2_normalized(X.data, X.indptr, l2_row_norms(X.data, X.indptr))
            X.data *= np.float32(np.sqrt(weight))
            out.append(X)
        return sp.hstack(out, format="csr", dtype=np.float32)


#: A word or a pair of neighbouring words.
K = TypeVar("K", str, tuple[str, str])


def _columns(grams: list[K], cache: dict[K, int], column: Callable[[K, int], int], n_features: int) -> list[int]:
    """The cached column of each of `grams`, computing (and caching) the missing ones with `column`."""
    found = list(map(cache.get, grams))
    if None in found:
        for k, value in enumerate(found):
            if value is None:
                found[k] = cache[grams[k]] = column(grams[k], n_features)
    return found  # type: ignore[return-value]


def _hashed_pair(pair: tuple[str, str], n_features: int) -> int:
    return _hashed_column(f"{pair[0]} {pair[1]}", n_features)


def _char_wb_grams(word: str, low: int, high: int) -> list[str]:
    """The char_wb n-grams of one word, as HashingVectorizer(analyzer="char_wb") makes them: those of the word
    padded with a space on both sides, from the shortest length on; a padded word no longer than a length is one
    n-gram, and the longer lengths are skipped."""
    padded = f" {word} "
    grams = []
    for n in range(low, high + 1):
        grams += [padded[k:k + n] for k in range(max(1, len(padded) - n + 1))]
        if len(padded) <= n:
            break
    return grams


def _hashed_column(gram: str, n_features: int) -> int:
    """The column a HashingVectorizer (alternate_sign=False) gives an n-gram: the signed 32-bit MurmurHash3 (seed 0)
    of its UTF-8 bytes, folded into the columns as scikit-learn's hashing does (abs(-2**31) is taken as
    2**31 - 1 - (n_features - 1))."""
    h = mmh3.hash(gram, 0, True)
    return (2147483647 - (n_features - 1)) % n_features if h == -2147483648 else abs(h) % n_features


class TwoStageSearch:
    """Exact top-k sparse cosine of query rows against claim rows, with rare-feature candidate generation."""

    def __init__(self, claim_vectors: sp.csr_matrix, df: np.ndarray, *, common_df_fraction: float = 0.003,
                 common_df_min: int = 50, n_candidates: int = 20) -> None:
        n_rows = claim_vectors.shape[0]
        cutoff = max(int(common_df_fraction * n_rows), common_df_min)
        common = df > cutoff
        self.n_candidates = n_candidates
        self.common_cols_ = np.flatnonzero(common).astype(np.int32)
        col_map = np.full(claim_vectors.shape[1], -1, dtype=np.int32)
        col_map[self.common_cols_] = np.arange(len(self.common_cols_), dtype=np.int32)
        self.col_map_ = col_map
        C = claim_vectors.tocsr()
        is_common = common[C.indices]
        # copies: eliminate_zeros() works in place and must not touch the caller's matrix
        rare = sp.csr_matrix((C.data * ~is_common, C.indices.copy(), C.indptr.copy()), shape=C.shape)
        rare.eliminate_zeros()
        self.rare_T_ = rare.T.tocsr()
        frequent = sp.csr_matrix((C.data * is_common, col_map[C.indices].clip(0), C.indptr.copy()),
                                 shape=(n_rows, max(len(self.common_cols_), 1)))
        frequent.eliminate_zeros()
        self.frequent_ = frequent
        # per claim row, the L2 norm of its frequent part: what the frequent features can add at most (see `top`)
        self.frequent_norms_ = np.sqrt(np.bincount(np.repeat(np.arange(n_rows), np.diff(frequent.indptr)),
                                                   weights=np.square(frequent.data, dtype=np.float64),
                                                   minlength=n_rows))

    def nbytes(self) -> int:
        """Bytes held by the arrays of this search structure."""
        mats = (self.rare_T_, self.frequent_)
        return int(sum(m.data.nbytes + m.indices.nbytes + m.indptr.nbytes for m in mats)
                   + self.col_map_.nbytes + self.common_cols_.nbytes + self.frequent_norms_.nbytes)

    def top(self, Q: sp.csr_matrix, k: int, floor: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, sims), each (n_queries, k): claim rows by exact similarity, best first; -1 / 0.0 pad.

        With `floor`, candidates that cannot reach it are left out (-1 / 0.0) without their exact similarity: the
        frequent features can add at most the product of the query's and the claim's norms over them
        (Cauchy-Schwarz) to the rare part. Every candidate at or above `floor` is still found, with its exact
        similarity; for real posts against 100,000 generated claims and the default `suggest`, about 1% of the
        candidates remain to compute.
        """
        n_q = Q.shape[0]
        m = max(k, self.n_candidates)
        rare_scores = (Q @ self.rare_T_).tocsr()
        cand = np.full((n_q, m), -1, dtype=np.int64)
        cand_rare = np.zeros((n_q, m), dtype=np.float64)
        for i in range(n_q):
            lo, hi = rare_scores.indptr[i], rare_scores.indptr[i + 1]
            if lo == hi:
                continue
            data = rare_scores.data[lo:hi]
            idx = rare_scores.indices[lo:hi]
            if hi - lo > m:
                sel = np.argpartition(-data, m - 1)[:m]
                idx, data = idx[sel], data[sel]
            cand[i, : len(idx)] = idx
            cand_rare[i, : len(idx)] = data
        valid = cand >= 0
        common = _CommonPart(Q, self.col_map_)
        if floor is not None and len(self.common_cols_):
            reach = cand_rare + common.norms()[:, None] * self.frequent_norms_[cand.clip(0)]
            # a margin for float32 rounding: a candidate is dropped only when it surely stays below the floor
            valid &= reach >= floor - 1e-6
        flat_q = np.repeat(np.arange(n_q), m)[valid.ravel()]
        flat_c = cand.ravel()[valid.ravel()]
        exact = cand_rare[valid] + self._frequent_part(common, flat_q, flat_c)
        sims = np.full((n_q, m), -np.inf, dtype=np.float64)
        sims[valid] = exact
        order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        ids = np.take_along_axis(cand, order, axis=1)
        top_sims = np.take_along_axis(sims, order, axis=1)
        ids[~np.isfinite(top_sims)] = -1
        top_sims[~np.isfinite(top_sims)] = 0.0
        return ids, top_sims

    def _frequent_part(self, common: _CommonPart, flat_q: np.ndarray, flat_c: np.ndarray) -> np.ndarray:
        if len(flat_q) == 0 or len(self.common_cols_) == 0:
            return np.zeros(len(flat_q))
        n_common = len(self.common_cols_)
        place, dense = common.dense(n_common, np.unique(flat_q))
        F = self.frequent_[flat_c]
        lengths = np.diff(F.indptr)
        # position in `dense` of each stored value of F: its query's row, its column
        at = np.repeat(place[flat_q] * n_common, lengths)
        at += F.indices
        prods = F.data * dense.ravel().take(at)
        sums = np.zeros(len(flat_c), dtype=np.float64)
        nonempty = lengths > 0
        if prods.size:
            sums[nonempty] = np.add.reduceat(prods, F.indptr[:-1][nonempty])
        return sums


class _CommonPart:
    """The frequent-feature part of query rows: their stored values there, by row and compact column."""

    def __init__(self, Q: sp.csr_matrix, col_map: np.ndarray) -> None:
        compact = col_map[Q.indices]
        keep = compact >= 0
        self.n_rows = Q.shape[0]
        self.rows = np.repeat(np.arange(Q.shape[0]), np.diff(Q.indptr))[keep]
        self.columns = compact[keep]
        self.values = Q.data[keep]

    def norms(self) -> np.ndarray:
        return np.sqrt(np.bincount(self.rows, weights=np.square(self.values, dtype=np.float64),
                                   minlength=self.n_rows))

    def dense(self, n_common: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(each query row's place among `rows`, -1 when not among them; those rows' values, dense)."""
        place = np.full(self.n_rows, -1, dtype=np.int64)
        place[rows] = np.arange(len(rows))
        at = place[self.rows]
        wanted = at >= 0
        out = np.zeros((len(rows), n_common), dtype=np.float32)
        out[at[wanted], self.columns[wanted]] = self.values[wanted]
        return place, out

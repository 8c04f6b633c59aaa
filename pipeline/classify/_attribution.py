"""How the features of a matrix's rows are shared among each row's distinct tokens, for explanations: all rows at
once, with numpy calls per matrix rather than per row."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, repeat
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from pipeline.classify._features import CUE_NAMES, FeatureBuilder, Hits, Negated
from pipeline.text.negation import NEGATED_PREFIX


class Pairs(NamedTuple):
    """The (feature, token) pairs of a matrix's rows."""

    vocabulary: list[str]  # each row's distinct tokens in order of appearance, row after row
    offsets: list[int]  # where each row's tokens begin in `vocabulary` (and, last, its length)
    positions: list[dict[str, int]]  # per row, token -> its place among the row's tokens
    owner_row: np.ndarray  # per entry of `vocabulary`, its row
    # One entry per distinct (feature, token) pair, each token's in increasing feature order: the feature's position
    # among the matrix's stored values, the token's position in `vocabulary`, and the token's share of the feature
    # (1 / the number of tokens it comes from).
    feature: np.ndarray
    owner: np.ndarray
    share: np.ndarray


class _Rows(NamedTuple):
    """The rows' distinct tokens (see `Pairs`), and the row of each stored value of the matrix."""

    vocabulary: list[str]
    starts: np.ndarray
    positions: list[dict[str, int]]
    owner_row: np.ndarray
    entry_row: np.ndarray
    # Tokens repeat across rows: what depends on the token alone is looked up once per distinct token.
    distinct: list[str]  # the distinct tokens of all rows
    token: np.ndarray  # per entry of `vocabulary`, its place in `distinct`


def attribution(features: FeatureBuilder, M: sp.csr_matrix, tokens: Sequence[list[str]],
                stems: Sequence[list[str]], hits: Sequence[Hits], negated: Negated) -> Pairs:
    """The (feature, token) pairs of every row of `M` (sorted indices; `tokens`, `stems`, cue `hits` and the
    tokens' negation: one per row). Features no token of their row accounts for get no pair."""
    vocabs = [list(dict.fromkeys(t)) for t in tokens]
    sizes = np.fromiter(map(len, vocabs), dtype=np.int64, count=len(vocabs))
    vocabulary = list(chain.from_iterable(vocabs))
    distinct = list(dict.fromkeys(vocabulary))
    ids = dict(zip(distinct, range(len(distinct)), strict=True))
    rows = _Rows(vocabulary, np.concatenate(([0], np.cumsum(sizes))),
                 [dict(zip(v, range(len(v)), strict=True)) for v in vocabs], np.repeat(np.arange(len(vocabs)), sizes),
                 np.repeat(np.arange(M.shape[0]), np.diff(M.indptr)), distinct,
                 np.fromiter(map(ids.__getitem__, vocabulary), dtype=np.int64, count=len(vocabulary)))
    # A row's word n-grams come before its char n-grams, which come before its cues, and each source gives a token
    # its pairs in increasing feature order: so, concatenated, every token's pairs are in increasing feature order.
    found = [_word_pairs(features, M, rows, tokens, stems, negated), _char_pairs(features, M, rows),
             _cue_pairs(features, M, rows, hits)]
    feature, owner = (np.concatenate(side) for side in zip(*found, strict=True))
    share = 1.0 / np.bincount(feature, minlength=M.nnz)[feature]
    return Pairs(rows.vocabulary, rows.starts.tolist(), rows.positions, rows.owner_row, feature, owner, share)


def _word_pairs(features: FeatureBuilder, M: sp.csr_matrix, rows: _Rows, tokens: Sequence[list[str]],
                stems: Sequence[list[str]], negated: Negated) -> tuple[np.ndarray, np.ndarray]:
    """Word n-grams: each of an n-gram's stems credits the first token of the row with that stem (negation-marked
    or not), else a token of the row equal to the stem."""
    part_ids, word_parts = features.word_parts
    get = part_ids.get
    counts = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    n_tokens = int(counts.sum())
    owner = np.fromiter(chain.from_iterable(map(p.__getitem__, t) for p, t in zip(rows.positions, tokens, strict=True)),
                        dtype=np.int64, count=n_tokens) + np.repeat(rows.starts[:-1], counts)
    stems = list(chain.from_iterable(stems))
    part = np.fromiter(map(get, stems, repeat(-1)), dtype=np.int64, count=n_tokens)
    # a negated stem is also looked up as marked (see mark_negated), right after its plain form
    under = np.flatnonzero(np.fromiter(chain.from_iterable(negated), dtype=bool, count=n_tokens))
    if len(under):
        marked = [get(NEGATED_PREFIX + stems[i], -1) for i in under.tolist()]
        owner, part = np.insert(owner, under + 1, owner[under]), np.insert(part, under + 1, marked)
    part = np.concatenate((part, np.fromiter(map(get, rows.distinct, repeat(-1)), dtype=np.int64,
                                             count=len(rows.distinct))[rows.token]))
    owner = np.concatenate((owner, np.arange(len(rows.vocabulary))))
    owner, part = owner[part >= 0], part[part >= 0]
    # the first candidate per (row, part) in that order: np.unique's indices are first occurrences
    known, found = np.unique(rows.owner_row[owner] * len(part_ids) + part, return_index=True)
    owner = owner[found]
    entries = np.flatnonzero(M.indices < features.n_word)
    if not len(known):
        return entries[:0], owner
    slots = word_parts[M.indices[entries]]
    at, hit = _find(known, rows.entry_row[entries][:, None] * len(part_ids) + slots)
    hit &= slots >= 0
    owners = owner[at]
    for j in range(1, slots.shape[1]):  # a token two stems of one n-gram credit makes one pair
        for i in range(j):
            hit[:, j] &= ~(hit[:, i] & (owners[:, i] == owners[:, j]))
    return np.broadcast_to(entries[:, None], slots.shape)[hit], owners[hit]


def _char_pairs(features: FeatureBuilder, M: sp.csr_matrix, rows: _Rows) -> tuple[np.ndarray, np.ndarray]:
    """Char n-grams: each credits the tokens of its row it comes from (char_wb n-grams never cross a word
    boundary)."""
    n_word, n_char = features.n_word, features.n_char
    # each distinct token's n-grams, concatenated, then each row's tokens' gathered from them
    per_token = features.token_chars(rows.distinct)
    lengths = np.fromiter(map(len, per_token), dtype=np.int64, count=len(per_token))
    grams = np.concatenate(per_token) if per_token else np.zeros(0, dtype=np.int64)
    lengths, begins = lengths[rows.token], (np.cumsum(lengths) - lengths)[rows.token]
    owner = np.repeat(np.arange(len(rows.vocabulary)), lengths)
    gram = grams[np.arange(len(owner)) + (begins - (np.cumsum(lengths) - lengths))[owner]]
    # (row, n-gram, token) keys, sorted: pairs in feature order; an n-gram twice in a token is one pair
    local = np.arange(len(rows.vocabulary)) - rows.starts[rows.owner_row]  # a token's place among its row's
    most = int(local.max(initial=0)) + 1
    key = np.sort((rows.owner_row * n_char * most + local)[owner] + gram * most)
    key = key[np.concatenate(([True], key[1:] != key[:-1]))] if len(key) else key
    row_gram, local = np.divmod(key, most)
    at = np.flatnonzero((M.indices >= n_word) & (M.indices < n_word + n_char))
    block = rows.entry_row[at] * n_char + M.indices[at] - n_word
    new = np.concatenate(([True], row_gram[1:] != row_gram[:-1])) if len(key) else np.zeros(0, dtype=bool)
    if np.array_equal(row_gram[new], block):
        # as FeatureBuilder.char_matrix builds it, a row's char block is exactly its tokens' n-grams
        where, present = np.cumsum(new) - 1, slice(None)
    else:
        where, present = _find(block, row_gram)
    return at[where][present], (rows.starts[row_gram // n_char] + local)[present]


def _cue_pairs(features: FeatureBuilder, M: sp.csr_matrix, rows: _Rows,
               hits: Sequence[Hits]) -> tuple[np.ndarray, np.ndarray]:
    """Lexicon cues: each credits the tokens of its row that fired it (every word of a multiword cue)."""
    first_cue = features.n_word + features.n_char
    at = np.flatnonzero(M.indices >= first_cue)
    entries: list[int] = []
    owners: list[int] = []
    starts = rows.starts.tolist()
    for k, r, column in zip(at.tolist(), rows.entry_row[at].tolist(), M.indices[at].tolist(), strict=True):
        position = rows.positions[r]
        for word in {w for hit in hits[r].get(CUE_NAMES[column - first_cue], []) for w in hit.split()}:
            if word in position:
                entries.append(k)
                owners.append(starts[r] + position[word])
    return np.array(entries, dtype=np.int64), np.array(owners, dtype=np.int64)


def _find(keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of `wanted` is in the sorted `keys`, and whether it is there at all."""
    if not len(keys):
        return np.zeros(wanted.shape, dtype=np.int64), np.zeros(wanted.shape, dtype=bool)
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return at, keys[at] == wanted

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
from pipeline.text.ngrams import located, run_starts


class Pairs(NamedTuple):
    """The (feature, token) pairs of a matrix's rows."""

    vocabulary: list[str]  # each row's distinct tokens in order of appearance, row after row
    offsets: list[int]  # where each row's tokens begin in `vocabulary` (and, last, its length)
    owner_row: np.ndarray  # per entry of `vocabulary`, its row
    # One entry per distinct (feature, token) pair, each token's in increasing feature order: the feature's position
    # among the matrix's stored values, the token's position in `vocabulary`, and the token's share of the feature
    # (1 / the number of tokens it comes from).
    feature: np.ndarray
    owner: np.ndarray
    share: np.ndarray
    # The pairs come from three sources in turn (word n-grams, char n-grams, cues), each row after row: per source,
    # where each row's pairs begin (and, last, where the source's end).
    bounds: np.ndarray


class _Rows(NamedTuple):
    """The rows' distinct tokens (see `Pairs`), and the row of each stored value of the matrix."""

    vocabulary: list[str]
    starts: np.ndarray
    owner_row: np.ndarray
    entry_row: np.ndarray
    # Tokens repeat across rows: what depends on the token alone is looked up once per distinct token.
    distinct: list[str]  # the distinct tokens of all rows
    ids: dict[str, int]  # token -> its place in `distinct`
    token: np.ndarray  # per entry of `vocabulary`, its place in `distinct`
    occurrence: np.ndarray  # per token of every row (row after row), its entry of `vocabulary`
    # Sorted (row, distinct token) keys, row * len(distinct) + token, and each key's entry of `vocabulary`.
    keys: np.ndarray
    entry_of_key: np.ndarray


def attribution(features: FeatureBuilder, M: sp.csr_matrix, tokens: Sequence[list[str]],
                stems: Sequence[list[str]], hits: Sequence[Hits], negated: Negated) -> Pairs:
    """The (feature, token) pairs of every row of `M` (sorted indices; `tokens`, `stems`, cue `hits` and the
    tokens' negation: one per row). Features no token of their row accounts for get no pair."""
    rows = _rows(M, tokens)
    # A row's word n-grams come before its char n-grams, which come before its cues, and each source gives a token
    # its pairs in increasing feature order: so, concatenated, every token's pairs are in increasing feature order.
    found = [_word_pairs(features, M, rows, tokens, stems, negated), _char_pairs(features, M, rows),
             _cue_pairs(features, M, rows, hits)]
    feature, owner = (np.concatenate(side) for side in zip(*found, strict=True))
    share = 1.0 / np.bincount(feature, minlength=M.nnz)[feature]
    begins = np.cumsum([0] + [len(entries) for entries, _ in found])
    bounds = np.stack([begin + np.searchsorted(rows.entry_row[entries], np.arange(M.shape[0] + 1))
                       for begin, (entries, _) in zip(begins.tolist(), found, strict=False)])
    return Pairs(rows.vocabulary, rows.starts.tolist(), rows.owner_row, feature, owner, share, bounds)


def _rows(M: sp.csr_matrix, tokens: Sequence[list[str]]) -> _Rows:
    """The rows' distinct tokens, found with array operations over every row's tokens at once: a row's entry of a
    token is its first occurrence there."""
    counts = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    flat = list(chain.from_iterable(tokens))
    distinct = list(dict.fromkeys(flat))
    ids = dict(zip(distinct, range(len(distinct)), strict=True))
    token = np.fromiter(map(ids.__getitem__, flat), dtype=np.int64, count=len(flat))
    row = np.repeat(np.arange(len(tokens)), counts)
    keys, first, inverse = np.unique(row * len(distinct) + token, return_index=True, return_inverse=True)
    by_first = np.argsort(first)  # the keys in order of first occurrence: row after row, then as the row has them
    entry_of_key = np.empty(len(keys), dtype=np.int64)
    entry_of_key[by_first] = np.arange(len(keys))
    firsts = first[by_first]
    owner_row = row[firsts]
    sizes = np.bincount(owner_row, minlength=len(tokens))
    return _Rows([flat[i] for i in firsts.tolist()], np.concatenate(([0], np.cumsum(sizes))), owner_row,
                 np.repeat(np.arange(M.shape[0]), np.diff(M.indptr)), distinct, ids, token[firsts],
                 entry_of_key[inverse.ravel()], keys, entry_of_key)


def _word_pairs(features: FeatureBuilder, M: sp.csr_matrix, rows: _Rows, tokens: Sequence[list[str]],
                stems: Sequence[list[str]], negated: Negated) -> tuple[np.ndarray, np.ndarray]:
    """Word n-grams: each of an n-gram's stems credits the first token of the row with that stem (negation-marked
    or not), else a token of the row equal to the stem."""
    part_ids, word_parts = features.word_parts
    get = part_ids.get
    owner = rows.occurrence
    n_tokens = len(owner)
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
    at, hit = located(known, rows.entry_row[entries][:, None] * len(part_ids) + slots)
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
    grams, starts, part_of = features.char_parts(rows.distinct)
    part = part_of[rows.token]
    lengths, begins = np.diff(starts)[part], starts[part]
    owner = np.repeat(np.arange(len(rows.vocabulary)), lengths)
    gram = grams[np.arange(len(owner)) + (begins - (np.cumsum(lengths) - lengths))[owner]]
    # (row, n-gram, token) keys, sorted: pairs in feature order; an n-gram twice in a token is one pair. The token is
    # its entry of `vocabulary`, read back whole (a block's rows x char features x entries stays far below 2**63).
    n_entries = len(rows.vocabulary)
    key = (rows.owner_row * (n_char * n_entries) + np.arange(n_entries))[owner] + gram * n_entries
    key.sort(kind="stable")  # runs already sorted (each token's n-grams): merged faster than quicksorted
    key = key[run_starts(key)]
    row_gram, owner = np.divmod(key, n_entries)
    at = np.flatnonzero((M.indices >= n_word) & (M.indices < n_word + n_char))
    block = rows.entry_row[at] * n_char + M.indices[at] - n_word
    new = np.concatenate(([True], row_gram[1:] != row_gram[:-1])) if len(key) else np.zeros(0, dtype=bool)
    if np.array_equal(row_gram[new], block):
        # as FeatureBuilder.char_matrix builds it, a row's char block is exactly its tokens' n-grams
        where, present = np.cumsum(new) - 1, slice(None)
    else:
        where, present = located(block, row_gram)
    return at[where][present], owner[present]


def _cue_pairs(features: FeatureBuilder, M: sp.csr_matrix, rows: _Rows,
               hits: Sequence[Hits]) -> tuple[np.ndarray, np.ndarray]:
    """Lexicon cues: each credits the tokens of its row that fired it (every word of a multiword cue)."""
    first_cue = features.n_word + features.n_char
    at = np.flatnonzero(M.indices >= first_cue)
    entries: list[int] = []
    keys: list[int] = []
    get, n_distinct = rows.ids.get, len(rows.distinct)
    for k, r, column in zip(at.tolist(), rows.entry_row[at].tolist(), M.indices[at].tolist(), strict=True):
        for word in {w for hit in hits[r].get(CUE_NAMES[column - first_cue], []) for w in hit.split()}:
            token = get(word)
            if token is not None:
                entries.append(k)
                keys.append(r * n_distinct + token)
    # a word credits its row's entry of it, if the row has it
    where, present = located(rows.keys, np.array(keys, dtype=np.int64))
    return np.array(entries, dtype=np.int64)[present], rows.entry_of_key[where[present]]


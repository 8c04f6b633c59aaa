"""Feature extraction for the classifier: word n-grams of stems, character n-grams, lexicon and target cues."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cached_property
from itertools import chain, compress, repeat
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from pipeline.text import lexicons
from pipeline.text.cues import LexiconMatcher
from pipeline.text.negation import mark_negated, negated_positions
from pipeline.text.ngrams import (
    SequenceIndex,
    counted_pairs,
    gathered_rows,
    l2_normalized,
    l2_row_norms,
    located,
)
from pipeline.text.targets import TARGET_TYPES, Target, TargetDetector

#: Lexicon cues: the project's word lists (data/lexicons), matched on whole normalised tokens.
LEXICON_CUES: tuple[str, ...] = ("abusive", "incitement", "hoax_cue", "derogation", "dehumanisation", "exclusion",
                                 "counter", "report", "appeal", "debunk", "notice", "praise")
#: Hostile words (insults, incitement, derogation, dehumanisation, exclusion) under a negator: "tidak pelit".
HOSTILE_CUES: tuple[str, ...] = ("abusive", "incitement", "derogation", "dehumanisation", "exclusion")
#: Target cues: which kinds of SARA group a post names, and how (a slur, a place of worship).
TARGET_CUES: tuple[str, ...] = (*(f"target_{t}" for t in TARGET_TYPES), "target_slur", "target_place", "target_any")
#: Hostility or context in a post that also names a group: the linear heads cannot form these conjunctions alone.
INTERACTIONS: tuple[str, ...] = ("abusive", "incitement", "derogation", "dehumanisation", "exclusion", "negated",
                                 "counter", "report", "appeal", "praise")
STYLE_CUES: tuple[str, ...] = ("exclaim", "question", "user", "url")
CUE_NAMES: tuple[str, ...] = (*LEXICON_CUES, "negated", *TARGET_CUES, *(f"target_x_{name}" for name in INTERACTIONS),
                              *STYLE_CUES)


def _cue_lexicons() -> dict[str, frozenset[str]]:
    hostility, context = lexicons.sections("hostility"), lexicons.sections("context")
    found = {"abusive": lexicons.terms("abusive"), "incitement": lexicons.terms("incitement"),
             "hoax_cue": lexicons.terms("hoax_cues")}
    for name in LEXICON_CUES[3:]:
        found[name] = hostility.get(name) or context.get(name) or frozenset()
    return found


#: Posts as token lists, one list per post.
Tokens = Sequence[Sequence[str]]
#: A post's cue hits: cue name -> the tokens that fire it.
Hits = dict[str, list[str]]
#: Per post, per token, whether a negator governs it (`pipeline.text.negation.negated_positions`).
Negated = Sequence[Sequence[bool]]


class Vocabulary(NamedTuple):
    """A fitted TF-IDF block: term -> column, each column's idf, and the n-gram lengths, under the names scikit-learn's
    TfidfVectorizer gives them (`pipeline.classify._vocabulary` fits it)."""

    vocabulary_: dict[str, int]
    idf_: np.ndarray
    ngram_range: tuple[int, int]


class FeatureBuilder:
    """Turns (normalised, stemmed) texts into one sparse matrix over fitted vocabularies.

    Column blocks: word n-grams over stems (a negated stem marked, see `pipeline.text.negation`), char_wb n-grams
    over normalised text, then the cue counts of `CUE_NAMES`. The blocks are TfidfVectorizer's (sublinear tf, idf,
    L2 rows), computed here without it: scoring needs no scikit-learn.
    """

    def __init__(self, words: Vocabulary, chars: Vocabulary) -> None:
        self.words = words
        self.chars = chars
        self.cues = _cue_lexicons()
        self.targets = TargetDetector()

    def transform(self, normalized: Tokens, stemmed: Tokens, hits: Sequence[Hits] | None = None,
                  negated: Negated | None = None) -> sp.csr_matrix:
        """The feature matrix of posts given as normalised and stemmed tokens (one list per post); `hits`: their
        `cue_hits`, and `negated`: their tokens' negation, when already found."""
        matrix = sp.hstack([self.word_matrix(normalized, stemmed, negated), self.char_matrix(normalized),
                            self.cue_matrix(normalized, stemmed, hits)], format="csr")
        matrix.sort_indices()  # explanations binary-search each row's columns
        return matrix

    def word_matrix(self, normalized: Tokens, stemmed: Tokens, negated: Negated | None = None) -> sp.csr_matrix:
        """The word block, equal to the fitted vectorizer's transform of the posts' `_word_strings`: each word is looked up once
        among the vocabulary's stems (`word_parts`), and the n-grams are found from those ids with array operations
        (`_word_grams`), without a string per n-gram."""
        words = [text.split() for text in _word_strings(normalized, stemmed, negated)]  # a token may hold a space
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        ids, _ = self.word_parts
        part = np.fromiter(map(ids.get, chain.from_iterable(words), repeat(-1)), dtype=np.int64,
                           count=int(lengths.sum()))
        # per word, how many words of its post there are from it on: the longest n-gram it can begin
        left = np.repeat(np.cumsum(lengths), lengths) - np.arange(len(part))
        at, columns = self._word_grams.find(part, left, self.words.ngram_range[0])
        matrix = counted_pairs(np.repeat(np.arange(len(words)), lengths)[at], columns, len(words), self.n_word)
        return _tfidf(matrix, self.words.idf_)

    def char_matrix(self, normalized: Tokens) -> sp.csr_matrix:
        """The char block, equal to the fitted vectorizer's transform of the space-joined tokens, built from per-token cached
        n-grams.

        char_wb n-grams never cross whitespace, so a text's n-gram counts are the sum of its tokens' counts; tokens
        repeat across posts far more than texts do, which makes this several times faster than re-analysing.
        """
        flat, starts, part_of = self.char_parts(list(chain.from_iterable(normalized)))
        counts = gathered_rows(flat, starts, part_of, list(map(len, normalized)), self.n_char)
        return _tfidf(counts, self.chars.idf_)

    @cached_property
    def word_parts(self) -> tuple[dict[str, int], np.ndarray]:
        """The stems the word features are made of: (stem -> part id, an array whose row `index` holds the part ids
        of word feature `index`'s stems in order, padded with -1)."""
        split = list(map(str.split, _by_column(self.words.vocabulary_)))
        stems = list(chain.from_iterable(split))
        distinct = dict.fromkeys(stems)
        ids = dict(zip(distinct, range(len(distinct)), strict=True))
        return ids, _padded_rows(np.fromiter(map(ids.__getitem__, stems), dtype=np.int64, count=len(stems)),
                                 np.fromiter(map(len, split), dtype=np.int64, count=len(split)))

    @cached_property
    def _word_grams(self) -> SequenceIndex:
        """The word features as sequences of the stems' part ids (`word_parts`)."""
        ids, parts = self.word_parts
        return SequenceIndex(parts, len(ids))

    def char_parts(self, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The char n-grams of `tokens` as (flat, starts, part_of): the column indices (within the char block) of
        token k's n-grams, one per occurrence, are flat[starts[part_of[k]]:starts[part_of[k] + 1]]."""
        return self._char_grams.parts(tokens)

    # Derived once per process from the fitted state and never pickled (see __getstate__).
    _TRANSIENT = ("word_parts", "_word_grams", "_char_grams", "_matcher", "_target_kind")

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k not in self._TRANSIENT}

    @cached_property
    def _char_grams(self) -> _TokenGrams:
        return _TokenGrams(self.chars.vocabulary_, self.chars.ngram_range)

    @cached_property
    def _matcher(self) -> LexiconMatcher:
        """One matcher for every cue lexicon and the target lexicon (by kind), so a post is scanned once."""
        by_kind: dict[str, set[str]] = {}
        for term, _, _, kind in self.targets.rows:
            if kind != "not":
                by_kind.setdefault(f"target:{kind}", set()).add(term)
        exceptions = [term for term, _, _, kind in self.targets.rows if kind == "not"]
        return LexiconMatcher({**self.cues, **by_kind}, exceptions)

    @cached_property
    def _target_kind(self) -> dict[str, str]:
        """target term -> its SARA type."""
        return {term: type_ for term, _, type_, kind in self.targets.rows if kind != "not"}

    def named_targets(self, tokens: Sequence[str], stems: Sequence[str]) -> list[Target]:
        """`TargetDetector.find` through the cue matcher, whose per-token cache scoring has already filled."""
        return self.targets.named(tokens, [(name[7:], term, start, end)
                                           for name, term, start, end in self._matcher.matches(tokens, stems)
                                           if name.startswith("target:")])

    @property
    def n_word(self) -> int:
        return len(self.words.vocabulary_)

    @property
    def n_char(self) -> int:
        return len(self.chars.vocabulary_)

    @property
    def n_features(self) -> int:
        """The width of the feature matrix: word block, char block, then one column per cue of `CUE_NAMES`."""
        return self.n_word + self.n_char + len(CUE_NAMES)

    def cue_hits(self, tokens: Sequence[str], stems: Sequence[str], negated: Sequence[bool] | None = None) -> Hits:
        """Per cue of `CUE_NAMES`, the tokens of a post that fire it (used both for features and for explanations);
        `negated`: the tokens' negation, when already found."""
        hits: dict[str, list[str]] = {}
        target_tokens: list[str] = []
        types = self._target_kind
        for name, term, start, end in self._matcher.matches(tokens, stems):
            words = list(tokens[start:end])
            if name in HOSTILE_CUES:
                negated = negated if negated is not None else negated_positions(tokens)
                if negated[start]:
                    hits.setdefault("negated", []).extend(words)
            if name.startswith("target:"):
                kind = name[7:]
                target_tokens.extend(words)
                hits.setdefault(f"target_{types[term]}", []).extend(words)
                if kind in ("slur", "place"):
                    hits.setdefault(f"target_{kind}", []).extend(words)
            else:
                hits.setdefault(name, []).extend(words)
        if target_tokens:
            hits["target_any"] = target_tokens
            for name in INTERACTIONS:
                if name in hits:
                    hits[f"target_x_{name}"] = [*target_tokens, *hits[name]]
        for marker, cue in (("!", "exclaim"), ("?", "question")):
            count = tokens.count(marker)
            if count:
                hits[cue] = [marker] * count
        for marker in ("user", "url"):
            if marker in tokens:
                hits[marker] = [marker]
        return hits

    def cue_matrix(self, normalized: Tokens, stemmed: Tokens, hits: Sequence[Hits] | None = None) -> sp.csr_matrix:
        if hits is None:
            hits = [self.cue_hits(tokens, stems) for tokens, stems in zip(normalized, stemmed, strict=True)]
        rows = np.zeros((len(normalized), len(CUE_NAMES)), dtype=np.float32)
        index = {name: i for i, name in enumerate(CUE_NAMES)}
        for r, post_hits in enumerate(hits):
            for name, found in post_hits.items():
                rows[r, index[name]] = 1.0 if name.startswith("target_x_") else math.log1p(len(found))
        return sp.csr_matrix(rows)

    def cue_column(self, name: str) -> int:
        """The column of cue `name` in the full feature matrix."""
        return self.n_word + self.n_char + CUE_NAMES.index(name)


class _TokenGrams:
    """Each token's char n-gram columns, one per occurrence, found once per token (a batch of new tokens at a time,
    with array operations over their characters) and kept in one flat array: tokens repeat across posts far more
    than texts do."""

    #: How many tokens are kept before the store starts over.
    LIMIT = 500_000

    def __init__(self, vocabulary: dict[str, int], ngram_range: tuple[int, int]) -> None:
        self.vocabulary = vocabulary
        self.ngram_range = ngram_range
        self.ids: dict[str, int] = {}
        self.flat = np.zeros(0, dtype=np.int64)
        self.starts = np.zeros(1, dtype=np.int64)

    def parts(self, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`FeatureBuilder.char_parts`: new tokens are added first (the store starts over rather than grow past
        `LIMIT`)."""
        part_of = np.fromiter(map(self.ids.get, tokens, repeat(-1)), dtype=np.int64, count=len(tokens))
        missing = part_of < 0
        if missing.any():
            if len(self.ids) + int(missing.sum()) > self.LIMIT:
                self.ids, self.flat, self.starts = {}, self.flat[:0], self.starts[:1]
                missing[:] = True
            new = list(compress(tokens, missing))
            self._add(list(dict.fromkeys(new)))
            part_of[missing] = np.fromiter(map(self.ids.__getitem__, new), dtype=np.int64, count=len(new))
        return self.flat, self.starts, part_of

    @cached_property
    def _index(self) -> tuple[np.ndarray, SequenceIndex]:
        """(the characters of the vocabulary's n-grams as sorted code points, the n-grams as sequences of places
        among them)."""
        names = _by_column(self.vocabulary)
        codes = _code_points("".join(names))
        alphabet = np.unique(codes)
        lengths = np.fromiter(map(len, names), dtype=np.int64, count=len(names))
        return alphabet, SequenceIndex(_padded_rows(np.searchsorted(alphabet, codes), lengths), len(alphabet))

    def _add(self, tokens: list[str]) -> None:
        # char_wb's n-grams of a text: those inside each word padded with a space on both sides
        words = [token.split() for token in tokens]
        padded = [f" {word} " for split in words for word in split]
        codes = _code_points("".join(padded))
        alphabet, index = self._index
        place, present = located(alphabet, codes)
        part = np.where(present, place, -1)
        sizes = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
        left = np.repeat(np.cumsum(sizes), sizes) - np.arange(len(codes))
        at, columns = index.find(part, left, self.ngram_range[0])
        owner = np.repeat(np.repeat(np.arange(len(tokens)), list(map(len, words))), sizes)[at]
        self.flat = np.concatenate((self.flat, columns[np.argsort(owner, kind="stable")]))
        self.starts = np.concatenate((self.starts, self.starts[-1] + np.cumsum(np.bincount(owner,
                                                                                            minlength=len(tokens)))))
        # the tokens' ids last: an id read is always one the arrays already hold
        self.ids.update(zip(tokens, range(len(self.starts) - 1 - len(tokens), len(self.starts) - 1), strict=True))


def _by_column(vocabulary: dict[str, int]) -> list[str]:
    """A fitted vectorizer's feature names in column order."""
    names = [""] * len(vocabulary)
    for name, column in vocabulary.items():
        names[column] = name
    return names


def _padded_rows(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """`values` cut into rows of `lengths` values, each padded with -1 to the longest."""
    rows = np.full((len(lengths), int(lengths.max(initial=1))), -1, dtype=np.int64)
    rows[np.repeat(np.arange(len(lengths)), lengths), np.arange(len(values)) - np.repeat(np.cumsum(lengths) - lengths,
                                                                                         lengths)] = values
    return rows


def _code_points(text: str) -> np.ndarray:
    """The code points of `text`, one per character (as Python indexes a string, lone surrogates included)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.int64)


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """The weighting TfidfVectorizer(sublinear_tf=True) applies to a count matrix (sorted indices): 1 + log(tf),
    times idf, then L2 row normalisation; bitwise the same.

    The vectorizer multiplies by the idf as a sparse product with a diagonal matrix (a third of the cost here),
    which leaves each row's values in reverse order, and sums a row's squares in the order of its values. Here the
    values are weighted in place (one product each, as there) and each row's squares summed over its values
    reversed, so that even the last bit agrees (another order changes a value about once in a hundred million).
    """
    weighted = (np.log(counts.data) + 1) * idf.astype(np.float32)[counts.indices]
    lengths = np.diff(counts.indptr)
    reverse = np.repeat(counts.indptr[:-1] + counts.indptr[1:] - 1, lengths) - np.arange(len(weighted))
    counts.data = l2_normalized(weighted, counts.indptr, l2_row_norms(weighted[reverse], counts.indptr))
    return counts


def _word_strings(normalized: Tokens, stemmed: Tokens, negated: Negated | None = None) -> list[str]:
    """The word block's input: each post's stems, negated ones marked, joined by spaces."""
    marks = map(negated_positions, normalized) if negated is None else negated
    return [" ".join(mark_negated(tokens, stems, post_marks))
            for tokens, stems, post_marks in zip(normalized, stemmed, marks, strict=True)]

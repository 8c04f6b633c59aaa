"""Feature extraction for the classifier: word n-grams of stems, character n-grams, lexicon cues."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from pipeline.text import lexicons
from pipeline.text.ngrams import summed_rows

#: Cue name -> the lexicon terms that fire it (matched on normalised tokens and on stems).
CUE_NAMES: tuple[str, ...] = (
    "abusive", "sara_agama", "sara_ras", "sara_suku", "sara_golongan", "incitement", "hoax_cue", "exclaim", "user",
    "url",
)


def _cue_lexicons() -> dict[str, frozenset[str]]:
    sara = lexicons.sections("sara")
    return {
        "abusive": lexicons.terms("abusive"),
        "sara_agama": sara.get("agama", frozenset()),
        "sara_ras": sara.get("ras", frozenset()),
        "sara_suku": sara.get("suku", frozenset()),
        "sara_golongan": sara.get("golongan", frozenset()),
        "incitement": lexicons.terms("incitement"),
        "hoax_cue": lexicons.terms("hoax_cues"),
    }


#: Posts as token lists, one list per post.
Tokens = Sequence[Sequence[str]]


class FeatureBuilder:
    """Fits the vocabularies and turns (normalised, stemmed) texts into one sparse matrix.

    Column blocks: word n-grams over stems, char_wb n-grams over normalised text, then the lexicon cue counts.
    """

    def __init__(self, word_ngram_range: tuple[int, int], char_ngram_range: tuple[int, int], min_df: int,
                 max_word_features: int, max_char_features: int) -> None:
        self.words = TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False,
                                     ngram_range=word_ngram_range, min_df=min_df, max_features=max_word_features,
                                     sublinear_tf=True, dtype=np.float32)
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=char_ngram_range, min_df=min_df,
                                     lowercase=False, max_features=max_char_features, sublinear_tf=True,
                                     dtype=np.float32)
        self.cues = _cue_lexicons()
        self.multiword_cues = {name: tuple(f" {t} " for t in terms if " " in t) for name, terms in self.cues.items()}

    def fit_transform(self, normalized: Tokens, stemmed: Tokens) -> sp.csr_matrix:
        """Fit on the posts' normalised and stemmed tokens (one list per post) and return their matrix."""
        w = self.words.fit_transform([" ".join(stems) for stems in stemmed])
        c = self.chars.fit_transform([" ".join(tokens) for tokens in normalized])
        # stop_words_ holds every pruned term; it is only for introspection and would bloat the model file.
        self.words.stop_words_ = None
        self.chars.stop_words_ = None
        return sp.hstack([w, c, self.cue_matrix(normalized, stemmed)], format="csr")

    def transform(self, normalized: Tokens, stemmed: Tokens) -> sp.csr_matrix:
        """The feature matrix of posts given as normalised and stemmed tokens (one list per post)."""
        words = self.words.transform([" ".join(stems) for stems in stemmed])
        matrix = sp.hstack([words, self.char_matrix(normalized), self.cue_matrix(normalized, stemmed)], format="csr")
        matrix.sort_indices()  # explanations binary-search each row's columns
        return matrix

    def char_matrix(self, normalized: Tokens) -> sp.csr_matrix:
        """The char block, equal to `self.chars.transform` of the space-joined tokens, built from per-token cached
        n-grams.

        char_wb n-grams never cross whitespace, so a text's n-gram counts are the sum of its tokens' counts; tokens
        repeat across posts far more than texts do, which makes this several times faster than re-analysing.
        """
        cached, features = self._token_chars.get, self.token_char_features
        parts = [found if (found := cached(token)) is not None else features(token)
                 for tokens in normalized for token in tokens]
        matrix = summed_rows(parts, [len(tokens) for tokens in normalized], self.n_char)
        # The same weighting TfidfVectorizer applies: 1 + log(tf), times idf, then L2 row normalisation.
        matrix.data = np.log(matrix.data) + 1
        matrix = matrix @ sp.diags(self.chars.idf_.astype(np.float32))
        return normalize(matrix, norm="l2", copy=False).astype(np.float32)

    def names(self) -> tuple[list[list[str]], list[str]]:
        """Word features as lists of stems, and char features as strings."""
        return self._names

    def token_char_features(self, token: str) -> np.ndarray:
        """Column indices (within the char block) of the char n-grams inside `token`, one per occurrence; cached."""
        found = self._token_chars.get(token)
        if found is None:
            vocabulary = self.chars.vocabulary_
            found = np.array([vocabulary[g] for g in self._char_analyzer(token) if g in vocabulary], dtype=np.int64)
            if len(self._token_chars) < 500_000:
                self._token_chars[token] = found
        return found

    # Derived once per process from the fitted state and never pickled (see __getstate__).
    _TRANSIENT = ("_names", "_token_chars", "_char_analyzer", "_term_cues", "_phrases")

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k not in self._TRANSIENT}

    @cached_property
    def _names(self) -> tuple[list[list[str]], list[str]]:
        return ([name.split() for name in self.words.get_feature_names_out().tolist()],
                self.chars.get_feature_names_out().tolist())

    @cached_property
    def _token_chars(self) -> dict[str, np.ndarray]:
        return {}

    @cached_property
    def _char_analyzer(self) -> Callable[[str], list[str]]:
        return self.chars.build_analyzer()

    @cached_property
    def _term_cues(self) -> dict[str, tuple[str, ...]]:
        """term -> the cues it fires: one dict lookup per token instead of one per cue."""
        merged: dict[str, list[str]] = {}
        for name, terms in self.cues.items():
            for term in terms:
                merged.setdefault(term, []).append(name)
        return {term: tuple(names) for term, names in merged.items()}

    @cached_property
    def _phrases(self) -> dict[str, list[tuple[str, str]]]:
        """first word -> [(cue, padded phrase)] of the multiword cues."""
        found: dict[str, list[tuple[str, str]]] = {}
        for name, phrases in self.multiword_cues.items():
            for phrase in phrases:
                found.setdefault(phrase.split()[0], []).append((name, phrase))
        return found

    @property
    def n_word(self) -> int:
        return len(self.words.vocabulary_)

    @property
    def n_char(self) -> int:
        return len(self.chars.vocabulary_)

    def cue_hits(self, tokens: Sequence[str], stems: Sequence[str], text: str) -> dict[str, list[str]]:
        """Per cue, the tokens of a post that fire it (used both for features and for explanations)."""
        cues_of = self._term_cues
        hits: dict[str, list[str]] = {}
        for t, s in zip(tokens, stems, strict=True):
            names = cues_of.get(t, ())
            if s != t and s in cues_of:
                names = (*names, *(n for n in cues_of[s] if n not in names))
            for name in names:
                hits.setdefault(name, []).append(t)
        # A phrase can only occur if its first word does: check just those phrases.
        phrases_of = self._phrases
        for first in {t for t in tokens if t in phrases_of}:
            for name, phrase in phrases_of[first]:
                if phrase in text:
                    hits.setdefault(name, []).append(phrase.strip())
        excl = [t for t in tokens if t == "!"]
        if excl:
            hits["exclaim"] = excl
        for marker in ("user", "url"):
            if marker in tokens:
                hits[marker] = [marker]
        return hits

    def cue_matrix(self, normalized: Tokens, stemmed: Tokens) -> sp.csr_matrix:
        rows = np.zeros((len(normalized), len(CUE_NAMES)), dtype=np.float32)
        index = {name: i for i, name in enumerate(CUE_NAMES)}
        for r, (tokens, stems) in enumerate(zip(normalized, stemmed, strict=True)):
            for name, found in self.cue_hits(tokens, stems, f" {' '.join(tokens)} ").items():
                rows[r, index[name]] = math.log1p(len(found))
        return sp.csr_matrix(rows)


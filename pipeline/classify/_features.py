"""Feature extraction for the classifier: word n-grams of stems, character n-grams, lexicon cues."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from pipeline.text import lexicons

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

    def fit_transform(self, normalized: Sequence[str], stemmed: Sequence[str]) -> sp.csr_matrix:
        w = self.words.fit_transform(stemmed)
        c = self.chars.fit_transform(normalized)
        # stop_words_ holds every pruned term; it is only for introspection and would bloat the model file.
        self.words.stop_words_ = None
        self.chars.stop_words_ = None
        return sp.hstack([w, c, self.cue_matrix(normalized, stemmed)], format="csr")

    def transform(self, normalized: Sequence[str], stemmed: Sequence[str]) -> sp.csr_matrix:
        return sp.hstack([self.words.transform(stemmed), self.chars.transform(normalized),
                          self.cue_matrix(normalized, stemmed)], format="csr")

    def names(self) -> tuple[np.ndarray, np.ndarray]:
        """Feature names of the word and char blocks (built once, not pickled)."""
        if getattr(self, "_names", None) is None:
            self._names = (self.words.get_feature_names_out(), self.chars.get_feature_names_out())
        return self._names

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        state.pop("_names", None)
        return state

    @property
    def n_word(self) -> int:
        return len(self.words.vocabulary_)

    @property
    def n_char(self) -> int:
        return len(self.chars.vocabulary_)

    def cue_hits(self, tokens: Sequence[str], stems: Sequence[str], text: str) -> dict[str, list[str]]:
        """Per cue, the tokens of a post that fire it (used both for features and for explanations)."""
        hits: dict[str, list[str]] = {}
        for name, terms in self.cues.items():
            found = [t for t, s in zip(tokens, stems, strict=True) if t in terms or s in terms]
            found += [p.strip() for p in self.multiword_cues[name] if p in text]
            if found:
                hits[name] = found
        excl = [t for t in tokens if t == "!"]
        if excl:
            hits["exclaim"] = excl
        for marker in ("user", "url"):
            if marker in tokens:
                hits[marker] = [marker]
        return hits

    def cue_matrix(self, normalized: Sequence[str], stemmed: Sequence[str]) -> sp.csr_matrix:
        rows = np.zeros((len(normalized), len(CUE_NAMES)), dtype=np.float32)
        index = {name: i for i, name in enumerate(CUE_NAMES)}
        for r, (norm, stem) in enumerate(zip(normalized, stemmed, strict=True)):
            tokens, stems = norm.split(), stem.split()
            if len(tokens) != len(stems):
                stems = tokens
            for name, found in self.cue_hits(tokens, stems, f" {norm} ").items():
                rows[r, index[name]] = math.log1p(len(found))
        return sp.csr_matrix(rows)


"""The naive reference pipeline the scan is measured against, in the same run on the same texts.

What a first attempt at the job looks like: a regex clean-up (lowercase, URLs, mentions, non-letters), stemming with
a cached, set-backed Sastrawi (the same stemmer patroli starts from), TF-IDF of word 1-2-grams of the stems and of
char_wb 2-5-grams, and one logistic regression (hate speech, trained on ibrohim2019). No slang, no obfuscation
handling, no calibration, no claims, no evidence: one score per post.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from Sastrawi.Stemmer.Stemmer import Stemmer
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from pipeline.text.stem import SetDictionary

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_NON_LETTER = re.compile(r"[^a-z\s]")


class CachedStemmer:
    """Stock Sastrawi's rules over a set-backed dictionary, with a per-word cache: the obvious fix of its list-backed
    dictionary, and nothing more."""

    def __init__(self) -> None:
        self.stemmer = Stemmer(SetDictionary(StemmerFactory().get_words()))
        self.cache: dict[str, str] = {}

    def stem(self, word: str) -> str:
        found = self.cache.get(word)
        if found is None:
            found = self.cache[word] = self.stemmer.stem_word(word) if word.isalpha() else word
        return found


class NaivePipeline:
    """clean -> stem -> word 1-2 + char_wb 2-5 TF-IDF -> one logistic regression."""

    def __init__(self) -> None:
        self.stemmer = CachedStemmer()
        self.words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=60_000, sublinear_tf=True,
                                     dtype=np.float32)
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, max_features=120_000,
                                     sublinear_tf=True, dtype=np.float32)
        self.model = LogisticRegression(C=4.0, solver="liblinear", max_iter=1000)

    def clean(self, text: str) -> str:
        text = _MENTION.sub(" ", _URL.sub(" ", text.lower()))
        return " ".join(_NON_LETTER.sub(" ", text).split())

    def stem(self, cleaned: str) -> str:
        stem = self.stemmer.stem
        return " ".join(stem(w) for w in cleaned.split())

    def features(self, texts: Sequence[str]) -> sp.csr_matrix:
        cleaned = [self.clean(t) for t in texts]
        stemmed = [self.stem(t) for t in cleaned]
        return sp.hstack([self.words.transform(stemmed), self.chars.transform(cleaned)], format="csr")

    def fit(self, texts: Sequence[str], y: np.ndarray) -> NaivePipeline:
        cleaned = [self.clean(t) for t in texts]
        stemmed = [self.stem(t) for t in cleaned]
        X = sp.hstack([self.words.fit_transform(stemmed), self.chars.fit_transform(cleaned)], format="csr")
        self.model.fit(X, y)
        # The stem cache keeps the training vocabulary, as patroli's model file does.
        return self

    def score(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.predict_proba(self.features(texts))[:, 1]


def trained(data_dir: Path) -> NaivePipeline:
    """The naive pipeline fitted to ibrohim2019's hate-speech label."""
    frame = pd.read_csv(Path(data_dir) / "ibrohim2019" / "re_dataset.csv", encoding="latin-1")
    return NaivePipeline().fit(frame["Tweet"].astype(str).tolist(), frame["HS"].to_numpy())

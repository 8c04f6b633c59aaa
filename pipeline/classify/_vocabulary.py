"""Fitting the feature vocabularies with scikit-learn's TfidfVectorizer (training only: scoring reads the fitted
`Vocabulary` without scikit-learn)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from pipeline.classify._features import FeatureBuilder, Tokens, Vocabulary, _word_strings


def vectorizers(word_ngram_range: tuple[int, int], char_ngram_range: tuple[int, int], min_df: int,
                max_word_features: int, max_char_features: int) -> tuple[TfidfVectorizer, TfidfVectorizer]:
    """The word block's vectorizer (stems, split on spaces) and the char block's (char_wb), unfitted."""
    words = TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False, ngram_range=word_ngram_range,
                            min_df=min_df, max_features=max_word_features, sublinear_tf=True, dtype=np.float32)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=char_ngram_range, min_df=min_df, lowercase=False,
                            max_features=max_char_features, sublinear_tf=True, dtype=np.float32)
    return words, chars


def vocabulary(vectorizer: TfidfVectorizer) -> Vocabulary:
    """A fitted vectorizer's vocabulary (columns as plain ints: numpy scalars unpickle a hundred times slower)."""
    return Vocabulary({term: int(column) for term, column in vectorizer.vocabulary_.items()},
                      np.asarray(vectorizer.idf_), tuple(vectorizer.ngram_range))


def fit_features(normalized: Tokens, stemmed: Tokens, word_ngram_range: tuple[int, int],
                 char_ngram_range: tuple[int, int], min_df: int, max_word_features: int,
                 max_char_features: int) -> tuple[FeatureBuilder, sp.csr_matrix]:
    """A feature builder fitted on posts' normalised and stemmed tokens (one list per post), and their matrix."""
    words, chars = vectorizers(word_ngram_range, char_ngram_range, min_df, max_word_features, max_char_features)
    w = words.fit_transform(_word_strings(normalized, stemmed))
    c = chars.fit_transform([" ".join(tokens) for tokens in normalized])
    builder = FeatureBuilder(vocabulary(words), vocabulary(chars))
    return builder, sp.hstack([w, c, builder.cue_matrix(normalized, stemmed)], format="csr")


def fitted_vectorizer(vocab: Vocabulary, analyzer: str) -> TfidfVectorizer:
    """scikit-learn's own vectorizer over a fitted vocabulary (`analyzer`: "word" for the word block, "char_wb" for
    the char block): the reference the builder's blocks are equal to."""
    words, chars = vectorizers(vocab.ngram_range, vocab.ngram_range, 1, None, None)
    vectorizer = words if analyzer == "word" else chars
    vectorizer.set_params(vocabulary=vocab.vocabulary_)
    vectorizer.idf_ = vocab.idf_
    return vectorizer

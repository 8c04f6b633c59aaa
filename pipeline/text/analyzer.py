"""The full text pipeline a model uses: normalise, then stem, with both forms available for features."""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.text.normalize import Normalizer
from pipeline.text.stem import FastStemmer


class Analyzer:
    """Normalises and stems posts. Pickles with its slang map and stem cache, so a saved model starts warm."""

    def __init__(self, normalizer: Normalizer | None = None, stemmer: FastStemmer | None = None) -> None:
        self.normalizer = normalizer or Normalizer()
        self.stemmer = stemmer or FastStemmer()

    def analyze(self, text: str) -> tuple[list[str], list[str]]:
        """(normalised tokens, stemmed tokens) of one post."""
        tokens = self.normalizer.tokens(text)
        stem = self.stemmer.stem
        return tokens, [stem(t) for t in tokens]

    def analyze_many(self, texts: Iterable[str]) -> tuple[list[list[str]], list[list[str]]]:
        """(normalised tokens, stemmed tokens) of each post in a batch."""
        normalized: list[list[str]] = []
        stemmed: list[list[str]] = []
        for text in texts:
            tokens, stems = self.analyze(text)
            normalized.append(tokens)
            stemmed.append(stems)
        return normalized, stemmed

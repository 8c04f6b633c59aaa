"""The full text pipeline a model uses: normalise, then stem, with both forms available for features."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, cached_property

from pipeline.text import lexicons
from pipeline.text.cues import token_forms
from pipeline.text.normalize import Normalizer
from pipeline.text.stem import FastStemmer


class Analyzer:
    """Normalises and stems posts. Pickles with its slang map and stem cache, so a saved model starts warm.

    A stem that is a lexicon term (a slur, an insult, a group's name) is kept only when the token is that term
    inflected (`pipeline.text.cues.token_forms`); otherwise the token stands for itself, so that Sastrawi's
    "sarapan" -> "sarap" does not make breakfast an insult.
    """

    def __init__(self, normalizer: Normalizer | None = None, stemmer: FastStemmer | None = None) -> None:
        self.normalizer = normalizer or Normalizer()
        self.stemmer = stemmer or FastStemmer()

    def __getstate__(self) -> dict[str, object]:
        return {"normalizer": self.normalizer, "stemmer": self.stemmer}

    @cached_property
    def _guarded(self) -> dict[str, str]:
        """token -> stem, for the tokens whose stem passed the lexicon guard (filled as tokens are met)."""
        return {}

    def stem(self, token: str) -> str:
        """The token's stem, unless that stem is a lexicon term the token is not an inflection of."""
        found = self._guarded.get(token)
        if found is None:
            found = self.stemmer.stem(token)
            if found != token and found in _protected() and found not in token_forms(token, found):
                found = token
            if len(self._guarded) < 1_000_000:
                self._guarded[token] = found
        return found

    def analyze(self, text: str) -> tuple[list[str], list[str]]:
        """(normalised tokens, stemmed tokens) of one post."""
        tokens = self.normalizer.tokens(text)
        try:
            # most posts' tokens have all been met before: their stems are looked up at once, without a call each
            return tokens, list(map(self._guarded.__getitem__, tokens))
        except KeyError:
            stem = self.stem
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


@cache
def _protected() -> frozenset[str]:
    """Lexicon words whose stem-sharing must be earned by inflection: insults, incitement and group names."""
    return frozenset(lexicons.terms("abusive") | lexicons.terms("incitement")
                     | {term for term, *_ in lexicons.targets() if " " not in term})

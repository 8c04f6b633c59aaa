"""Sastrawi stemming through a set-backed dictionary, with a stem cache that can be saved with a model.

Stock Sastrawi 1.0.1 keeps its ~30k-word root dictionary in a Python list, so every dictionary lookup (several per
word) is a linear scan. The rules are Sastrawi's own; only the dictionary's container changes, so stems are identical.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
from Sastrawi.Stemmer.Stemmer import Stemmer
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory


class SetDictionary(ArrayDictionary):
    """Sastrawi's dictionary interface over a set: O(1) `contains`."""

    def __init__(self, words: Iterable[str] | None = None) -> None:
        self.words: set[str] = set()  # type: ignore[assignment]
        if words:
            self.add_words(words)

    def contains(self, word: str) -> bool:
        return word in self.words

    def add(self, word: str) -> None:
        if word and word.strip():
            self.words.add(word)


@cache
def _sastrawi_stemmer() -> Stemmer:
    return Stemmer(SetDictionary(StemmerFactory().get_words()))


class FastStemmer:
    """Stems single lowercase words exactly as Sastrawi does, caching each result.

    `cache` maps word -> stem; pass a saved cache (e.g. from a model file) to start warm.
    """

    def __init__(self, cache: dict[str, str] | None = None) -> None:
        self.cache: dict[str, str] = dict(cache) if cache else {}

    def stem(self, word: str) -> str:
        stem = self.cache.get(word)
        if stem is None:
            stem = _stem_uncached(word) or word
            self.cache[word] = stem
        return stem

    def stem_many(self, words: Iterable[str]) -> list[str]:
        return [self.stem(w) for w in words]


def _stem_uncached(word: str) -> str:
    # Only plain (optionally hyphenated) ASCII words have affixes to strip; numbers, emoji, placeholders and mixed
    # tokens are kept as they are (Sastrawi's own text filter would split or mangle them).
    if not word.replace("-", "").isalpha() or not word.isascii():
        return word
    return _sastrawi_stemmer().stem_word(word)

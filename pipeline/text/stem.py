"""Sastrawi stemming through a set-backed dictionary, with a stem cache that can be saved with a model.

Stock Sastrawi 1.0.1 keeps its ~30k-word root dictionary in a Python list, so every dictionary lookup (several per
word) is a linear scan. And for a word outside the dictionary (names, slang, typos: most words a scan has not seen)
it tries every one of its ~40 prefix rules on each pass, each a `re.match` on a pattern string. Here each prefix rule
is first checked against one compiled pattern that matches exactly the words at least one of its disambiguators
matches (their own patterns, joined); a rule that cannot match is skipped, which is what running it would do. The
rules and their order are Sastrawi's own, so stems are identical (the tests compare with stock Sastrawi).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
from Sastrawi.Stemmer.Context.Context import Context
from Sastrawi.Stemmer.Context.Visitor.AbstractDisambiguatePrefixRule import AbstractDisambiguatePrefixRule
from Sastrawi.Stemmer.Context.Visitor.RemovePlainPrefix import RemovePlainPrefix
from Sastrawi.Stemmer.Stemmer import Stemmer
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

_C = "[bcdfghjklmnpqrstvwxyz]"
_V = "[aiueo]"
#: Sastrawi 1.0.1's disambiguator patterns (each used with re.match, so anchored at the start), by class name.
_RULE_PATTERNS: dict[str, str] = {
    "1a": f"ber{_V}", "1b": f"ber{_V}", "2": f"ber{_C}[a-z]", "3": f"ber{_C}[a-z]er{_V}", "4": "belajar$",
    "5": f"be{_C.replace('r', '')}er{_C}", "6a": f"ter{_V}", "6b": f"ter{_V}", "7": f"ter{_C}er{_V}",
    "8": f"ter{_C}", "9": f"te{_C}er{_C}", "10": f"me[lrwy]{_V}", "11": "mem[bfv]", "12": "mempe",
    "13a": f"mem{_V}", "13b": f"mem{_V}", "14": "men[cdjstz]", "15a": f"men{_V}", "15b": f"men{_V}",
    "16": "meng[g|h|q|k]", "17a": f"meng{_V}", "17b": f"meng{_V}", "17c": "menge", "17d": f"meng{_V}",
    "18a": f"meny{_V}", "18b": f"meny{_V}", "19": "memp[abcdfghijklmopqrstuvwxyz]", "20": f"pe[wy]{_V}",
    "21a": f"per{_V}", "21b": f"per{_V}", "23": f"per{_C}[a-z]", "24": f"per{_C}[a-z]er{_V}", "25": "pem[bfv]",
    "26a": f"pem{_V}", "26b": f"pem{_V}", "27": "pen[cdjz]", "28a": f"pen{_V}", "28b": f"pen{_V}",
    "29": f"peng{_C}", "30a": f"peng{_V}", "30b": f"peng{_V}", "30c": "penge", "31a": f"peny{_V}",
    "31b": f"peny{_V}", "32": f"pelajar$|pel{_V}", "34": f"pe{_C}", "35": "ter[bcdfghjkpqstvxz]er" + _C,
    "36": "pe[bcdfghjkpqstvxz]er" + _C, "37a": f"{_C}er{_V}", "37b": f"{_C}er{_V}", "38a": f"{_C}el{_V}",
    "38b": f"{_C}el{_V}", "39a": f"{_C}em{_V}", "39b": f"{_C}em{_V}", "40a": f"{_C}in{_V}", "40b": f"{_C}in{_V}",
    "41": "ku", "42": "kau",
}


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


def _guard(visitor: Any) -> re.Pattern[str] | None:
    """A pattern matching every word on which `visitor` (a prefix rule) can change anything; None: always run it."""
    if isinstance(visitor, RemovePlainPrefix):
        return re.compile("di|ke|se")
    if not isinstance(visitor, AbstractDisambiguatePrefixRule):
        return None
    patterns = []
    for disambiguator in visitor.disambiguators:
        name = type(disambiguator).__name__.removeprefix("DisambiguatorPrefixRule")
        if name not in _RULE_PATTERNS:
            return None  # a rule this module does not know (another Sastrawi version): run it
        patterns.append(f"(?:{_RULE_PATTERNS[name]})")
    return re.compile("|".join(patterns))


#: Every guard decides on at most the first 8 characters of a word (the longest pattern is 7 characters, and the
#: two whole-word rules match 7-character words), so which rules can apply is a function of those 8 characters.
_KEY = 8


class _PrefixRules:
    """Sastrawi's prefix rules in order, each with its guard, and which of them can apply to a word."""

    def __init__(self, visitors: list[Any]) -> None:
        self.visitors = visitors
        self.guards = [_guard(v) for v in visitors]
        self._memo: dict[str, tuple[bool, tuple[Any, ...]]] = {}

    def applicable(self, word: str) -> tuple[bool, tuple[Any, ...]]:
        """(whether the first rule can apply, the rules that can apply in order) for `word`."""
        key = word[:_KEY]
        found = self._memo.get(key)
        if found is None:
            hits = [g is None or g.match(key) is not None for g in self.guards]
            found = (bool(hits) and hits[0], tuple(v for v, hit in zip(self.visitors, hits, strict=True) if hit))
            if len(self._memo) < 200_000:
                self._memo[key] = found
        return found


class _GuardedContext(Context):
    """Sastrawi's stemming context that runs only the prefix rules that can change the current word.

    Within one pass over the prefix rules the word stays the same until a rule changes it (and a change ends the
    pass), so a rule that cannot apply leaves everything as it was: the checks Sastrawi makes after each rule
    (word in the dictionary, process stopped, a removal made) give what they gave after the last rule that ran,
    or, before any, what they give on entry. Those are made here, in that order; the stems are Sastrawi's.
    """

    rules: _PrefixRules | None = None

    def accept_prefix_visitors(self, visitors: list[Any]) -> str | None:
        rules = self.rules
        if rules is None or visitors is not rules.visitors:
            return super().accept_prefix_visitors(visitors)
        removals = len(self.removals)
        first_applies, applicable = rules.applicable(self.current_word)
        if visitors and not first_applies and (
                self.dictionary.contains(self.current_word) or self.process_is_stopped):
            return self.current_word
        for visitor in applicable:
            self.accept(visitor)
            if self.dictionary.contains(self.current_word) or self.process_is_stopped:
                return self.current_word
            if len(self.removals) > removals:
                return None
        return None


class _GuardedStemmer(Stemmer):
    def __init__(self, dictionary: SetDictionary) -> None:
        super().__init__(dictionary)
        _GuardedContext.rules = _PrefixRules(self.visitor_provider.get_prefix_visitors())

    def stem_singular_word(self, word: str) -> str:
        context = _GuardedContext(word, self.dictionary, self.visitor_provider)
        context.execute()
        return context.result


@cache
def _sastrawi_stemmer() -> Stemmer:
    return _GuardedStemmer(SetDictionary(StemmerFactory().get_words()))


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

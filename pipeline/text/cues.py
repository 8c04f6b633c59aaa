"""Whole-token lexicon matching on normalised tokens.

A lexicon term matches a token that *is* the term, allowing only for inflection: clitics and particles ("kafirnya",
"gerejamu", "bunuhlah", also written apart: "toraja-nya"), the colloquial verb endings -in/-kan ("usirin"),
colloquial nasal prefixes ("ngusir", "ngebakar"), a reduplicated plural ("cina-cina"), or a prefixed derivation
whose Sastrawi stem is the term ("membakar", "dibantai", "beragama"). A term never matches inside another word:
"sarapan" is not "sarap" (its stem is, but it carries no prefix, so -an is derivation, not inflection), "kafilah" is
not "kafir", "cinta" is not "cina".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from itertools import compress

#: Endings that inflect without changing what a word names: verb endings, possessive clitics, then particles,
#: in the order they stack ("bakarkannya", "usirinlah").
_VERB_ENDINGS = ("kan", "in")
_CLITICS = ("nya", "ku", "mu")
_PARTICLES = ("lah", "kah", "pun", "tah")
_ENDINGS = (*_VERB_ENDINGS, *_CLITICS, *_PARTICLES)
#: Prefixes after which a Sastrawi stem may stand for the term (standard and colloquial forms).
_PREFIXES = ("di", "me", "ber", "be", "ter", "pe", "per", "ke", "se", "ng", "ny")
_MIN_ROOT = 3
#: A multiword term in a matcher's phrase index: (its place among its first word's phrases, cue name, the term).
_Phrase = tuple[int, str, str]


def _without_endings(token: str) -> list[str]:
    """`token` with each admissible combination of inflectional endings removed (longest removal last)."""
    forms = [token]
    if not token.endswith(_ENDINGS):  # most words: nothing to remove
        return forms
    for group in (_PARTICLES, _CLITICS, _VERB_ENDINGS):
        for form in list(forms):
            for ending in group:
                if form.endswith(ending) and len(form) - len(ending) >= _MIN_ROOT:
                    forms.append(form[: -len(ending)])
    return forms


def _colloquial_roots(token: str) -> list[str]:
    """Roots under Jakarta-style nasal prefixes: "ngebakar" -> bakar, "ngusir" -> usir, "nyerang" -> serang."""
    out = []
    if token.startswith("nge") and len(token) - 3 >= _MIN_ROOT:
        out.append(token[3:])
    if token.startswith("ng") and len(token) > 2 and token[2] in "aiueo":
        out.append(token[2:])
    if token.startswith("ny") and len(token) > 2 and token[2] in "aiueo":
        out.append("s" + token[2:])
    return out


def token_forms(token: str, stem: str) -> tuple[str, ...]:
    """Every form of `token` a lexicon term may equal (see the module docstring), the token itself first."""
    forms = dict.fromkeys(_without_endings(token))
    base, dash, rest = token.partition("-")
    if dash and rest and (rest == base or rest.startswith(base) or rest in _ENDINGS):
        # reduplicated plural ("cina-cina", "kafir-kafirnya") or an ending written apart ("toraja-nya")
        forms.update(dict.fromkeys(_without_endings(base)))
    for root in _colloquial_roots(token):
        forms.update(dict.fromkeys(_without_endings(root)))
    if stem != token and len(stem) >= _MIN_ROOT and token.startswith(_PREFIXES):
        forms[stem] = None
    return tuple(forms)


class LexiconMatcher:
    """Finds which named lexicons each token of a post fires, whole-token only.

    `lexicons` maps a cue name to its terms (single words or phrases of several words); `exceptions` are tokens
    that never match, for words that only look inflected ("pura-pura" is pretence, not a temple).
    """

    #: How many tokens' hits (and forms) are cached.
    LIMIT = 500_000

    def __init__(self, lexicons: Mapping[str, Iterable[str]], exceptions: Iterable[str] = ()) -> None:
        self.lexicons = {name: frozenset(terms) for name, terms in lexicons.items()}
        self.exceptions = frozenset(exceptions)
        self._cache: dict[str, tuple[tuple[str, str], ...]] = {}
        self._forms: dict[str, tuple[str, ...]] = {}

    def __getstate__(self) -> dict[str, object]:
        return {"lexicons": self.lexicons, "exceptions": self.exceptions}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["lexicons"], state["exceptions"])  # type: ignore[misc, arg-type]

    @cached_property
    def _names_of(self) -> dict[str, tuple[str, ...]]:
        """single-word term -> the cue names it belongs to."""
        merged: dict[str, list[str]] = {}
        for name, terms in self.lexicons.items():
            for term in sorted(terms):
                if " " not in term:
                    merged.setdefault(term, []).append(name)
        return {term: tuple(names) for term, names in merged.items()}

    @cached_property
    def _phrases(self) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
        """first word -> [(cue name, the phrase's words)] of the multiword terms, in a fixed order."""
        found: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for name, terms in self.lexicons.items():
            for term in sorted(terms):
                words = tuple(term.split())
                if len(words) > 1:
                    found.setdefault(words[0], []).append((name, words))
        return found

    @cached_property
    def _phrase_index(self) -> dict[str, tuple[tuple[int, dict[tuple[str, ...], dict[str, list[_Phrase]]]], ...]]:
        """`_phrases` for lookup instead of comparison: first word -> per phrase length, (the phrase's words but the
        last -> its last word -> the phrases, each with its place in `_phrases`' list so matches keep that order)."""
        index: dict[str, dict[int, dict[tuple[str, ...], dict[str, list[_Phrase]]]]] = {}
        for first, phrases in self._phrases.items():
            for order, (name, words) in enumerate(phrases):
                by_length = index.setdefault(first, {}).setdefault(len(words), {})
                by_length.setdefault(words[:-1], {}).setdefault(words[-1], []).append((order, name, " ".join(words)))
        return {first: tuple(by_length.items()) for first, by_length in index.items()}

    @cached_property
    def _seconds(self) -> dict[str, frozenset[str]]:
        """first word -> the second words of its phrases."""
        return {first: frozenset(words[1] for _, words in phrases) for first, phrases in self._phrases.items()}

    @cached_property
    def _hot(self) -> set[str]:
        """The tokens `matches` must visit: every phrase's first word, and each token met so far that fires a term
        (`token_hits` adds them; unlike its cache this set is not capped, or a token could be missed)."""
        return set(self._phrases)

    def token_hits(self, token: str, stem: str) -> tuple[tuple[str, str], ...]:
        """(cue name, matched term) pairs fired by one token; cached per token."""
        found = self._cache.get(token)
        if found is None:
            names_of = self._names_of
            pairs: dict[tuple[str, str], None] = {}
            if token not in self.exceptions:
                for form in self.forms(token, stem):
                    for name in names_of.get(form, ()):
                        pairs[(name, form)] = None
            found = tuple(pairs)
            if found:
                self._hot.add(token)
            if len(self._cache) < self.LIMIT:
                self._cache[token] = found
        return found

    def forms(self, token: str, stem: str) -> tuple[str, ...]:
        """`token_forms`, cached per token (a token's stem is fixed for a model): a phrase's last word is checked
        against the forms of every token that follows its first words."""
        found = self._forms.get(token)
        if found is None:
            found = token_forms(token, stem)
            if len(self._forms) < self.LIMIT:
                self._forms[token] = found
        return found

    def matches(self, tokens: Sequence[str], stems: Sequence[str]) -> list[tuple[str, str, int, int]]:
        """Every (cue name, matched term, first token index, end index) in a post, phrases included.

        A phrase matches its words as whole tokens in sequence, its last word allowing inflection
        ("sampah masyarakatnya").
        """
        if len(stems) != len(tokens):
            raise ValueError("tokens and stems differ in length")
        # Most tokens fire nothing: only those with hits or that begin a phrase are visited, once every token has
        # been met (`token_hits` finds which fire something).
        cache = self._cache
        if not all(map(cache.__contains__, tokens)):
            for i in [i for i, token in enumerate(tokens) if token not in cache]:
                self.token_hits(tokens[i], stems[i])
        index, seconds = self._phrase_index, self._seconds
        out: list[tuple[str, str, int, int]] = []
        for i in compress(range(len(tokens)), map(self._hot.__contains__, tokens)):
            token = tokens[i]
            found = cache.get(token)
            if found is None:  # a token met when the cache was full
                found = self.token_hits(token, stems[i])
            for name, term in found:
                out.append((name, term, i, i + 1))
            lengths = index.get(token)
            # a phrase's second word is the next token or, when it is the last, one of that token's forms
            if lengths is not None and i + 1 < len(tokens) and not seconds[token].isdisjoint(
                    self.forms(tokens[i + 1], stems[i + 1])):
                out.extend(self._phrases_at(tokens, stems, i, lengths))
        return out

    def _phrases_at(self, tokens: Sequence[str], stems: Sequence[str], i: int,
                    lengths: tuple[tuple[int, dict[tuple[str, ...], dict[str, list[_Phrase]]]], ...]
                    ) -> list[tuple[str, str, int, int]]:
        """The phrases matching at token `i` (which begins some), in `_phrases`' order: the words before the last
        are looked up as a tuple, the last through the last token's forms."""
        found: list[tuple[int, str, str, int, int]] = []
        for length, by_start in lengths:
            end = i + length
            if end > len(tokens):
                continue
            lasts = by_start.get(tuple(tokens[i:end - 1]))
            if lasts is None:
                continue
            last = tokens[end - 1]
            exact = lasts.get(last)
            if exact is not None and len(lasts) == 1:
                found.extend((order, name, term, i, end) for order, name, term in exact)
                continue
            # a token is its own first form; the others allow for inflection
            for form in self.forms(last, stems[end - 1]):
                found.extend((order, name, term, i, end) for order, name, term in lasts.get(form, ()))
        if len(found) > 1:
            found.sort()
        return [phrase[1:] for phrase in found]

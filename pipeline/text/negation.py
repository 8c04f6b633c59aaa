"""Negation scope: which tokens of a post a negator ("tidak", "bukan", "belum", "tak") governs.

"Orang Minang itu tidak pelit" denies what "orang Minang itu pelit" asserts; a bag of words sees the same insult in
both. Marking the words a negator governs lets a model weigh "pelit" and "pelit under negation" apart. A scope runs
from the negator over the next few words, and stops at punctuation or at a word that opens a new clause.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from pipeline.text import lexicons

#: How many words after a negator it governs (intensifiers such as "sama sekali" and "pernah" count too).
SCOPE = 4
#: Words that end a scope: a new clause begins.
_CLAUSE = frozenset({"tapi", "tetapi", "namun", "melainkan", "padahal", "sedangkan", "karena", "sebab", "kalau",
                     "jika", "bahwa", "yang"})
NEGATED_PREFIX = "~"


@cache
def negators() -> frozenset[str]:
    """The negating words (the `negation` section of data/lexicons/context.txt, less "jangan": a prohibition is as
    often a call to exclude as a call for restraint)."""
    return lexicons.sections("context").get("negation", frozenset()) - {"jangan"}


def negated_positions(tokens: Sequence[str]) -> list[bool]:
    """Per token, whether a negator before it governs it."""
    marks = [False] * len(tokens)
    words = negators()
    if words.isdisjoint(tokens):
        return marks
    left = 0
    for i, token in enumerate(tokens):
        if token in words:
            left = SCOPE
            continue
        if left and (token in _CLAUSE or not any(c.isalnum() for c in token)):
            left = 0
        if left:
            marks[i] = True
            left -= 1
    return marks


def mark_negated(tokens: Sequence[str], stems: Sequence[str], negated: Sequence[bool] | None = None) -> list[str]:
    """`stems` with each negated one prefixed by `NEGATED_PREFIX` ("tidak pelit" -> ["tidak", "~pelit"]);
    `negated`: the tokens' `negated_positions`, when already found."""
    marks = negated_positions(tokens) if negated is None else negated
    if True not in marks:
        return list(stems)
    return [NEGATED_PREFIX + s if mark else s for s, mark in zip(stems, marks, strict=True)]

"""Who a post is about: the SARA groups (suku, agama, ras, antargolongan) it names, from the project's target lexicon.

Matching is whole-token with inflection (`pipeline.text.cues`) on normalised tokens, so obfuscated and inflected
forms are found ("k4f1r" -> kafir, "gerejanya" -> gereja, "a5eng" -> aseng) and look-alike words are not ("cinta",
"sarapan", "pura-pura").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from pipeline.text import lexicons
from pipeline.text.cues import LexiconMatcher

#: The SARA target types, in the order of the sub-labels sara_suku, sara_agama, sara_ras, sara_antargolongan.
TARGET_TYPES: tuple[str, ...] = ("suku", "agama", "ras", "antargolongan")


@dataclass(frozen=True)
class Target:
    """One mention of a group: its display name, SARA type, the lexicon term and kind, and the text that named it."""

    group: str
    type: str
    term: str
    kind: str
    text: str

    def describe(self) -> str:
        """The evidence line, e.g. "orang Madura (suku)"."""
        return f"{self.group} ({self.type})"


class TargetDetector:
    """Finds the SARA groups named in a post (given as normalised tokens and their stems)."""

    def __init__(self, rows: Sequence[tuple[str, str, str, str]] | None = None) -> None:
        self.rows = tuple(rows) if rows is not None else lexicons.targets()

    def __getstate__(self) -> dict[str, object]:
        return {"rows": self.rows}

    @cached_property
    def _entries(self) -> dict[str, tuple[str, str, str]]:
        """term -> (group, type, kind)."""
        return {term: (group, type_, kind) for term, group, type_, kind in self.rows if kind != "not"}

    @cached_property
    def matcher(self) -> LexiconMatcher:
        """One lexicon per kind of mention, so a match says whether a group was named, slurred or its place named."""
        by_kind: dict[str, list[str]] = {}
        for term, (_, _, kind) in self._entries.items():
            by_kind.setdefault(kind, []).append(term)
        exceptions = [term for term, _, _, kind in self.rows if kind == "not"]
        return LexiconMatcher(by_kind, exceptions)

    def find(self, tokens: Sequence[str], stems: Sequence[str]) -> list[Target]:
        """The groups a post names, in order of mention; a phrase hides the single words inside it."""
        return self.named(tokens, self.matcher.matches(tokens, stems))

    def named(self, tokens: Sequence[str], matches: Iterable[tuple[str, str, int, int]]) -> list[Target]:
        """`find`, given the post's (kind, term, start, end) matches of the target lexicon (from a matcher that
        holds the lexicon's terms by kind, as `matcher` does)."""
        found: list[Target] = []
        covered_until = -1
        for kind, term, start, end in sorted(matches, key=lambda m: (m[2], -(m[3] - m[2]))):
            if start < covered_until and end <= covered_until:
                continue
            group, type_, _ = self._entries[term]
            found.append(Target(group, type_, term, kind, " ".join(tokens[start:end])))
            covered_until = max(covered_until, end)
        return found

    @cached_property
    def terms(self) -> frozenset[str]:
        """Every single-word term (the normaliser treats them as known words when undoing obfuscation)."""
        return frozenset(t for t in self._entries if " " not in t)

"""Hashtags read as the words they join: "#UsirMadura" is "usir madura", "#2019GantiPresiden" is "2019 ganti
presiden", "#kamitidaktakut" is "kami tidak takut".

A campaign tag is often the whole message of a post, and its words are what a reader (and the target and incitement
cues) understand: read as one token, an unseen tag says nothing, and a tag seen in training carries that dataset's
habits. A tag is split

- at its case changes when it is written in CamelCase ("TolakTKA" -> "tolak tka", "2019GantiPresiden" -> "2019
  ganti presiden"; digits stay with the letters they follow, "LawanCOVID19" -> "lawan covid19", as the same letters
  outside a tag do); a tag without a lower-to-upper change ("COVID19", "Pilpres2019") stays one word;
- into known words when it is written in one case ("usirmadura", "USIRMADURA") and is not itself a known word: the
  fewest pieces of at least three letters that are each a known word, or a known root of four or more letters with
  common affixes ("bubarkan", "bersatu", "jawabannya"). A tag that cannot be read whole that way ("jktinfo",
  "savemuslimuighur") stays as it is, as does one over `MAX_TAG` characters.

Each piece is then normalised as any other word (slang, obfuscation, elongation).
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: A hashtag: "#" not inside a word, then ASCII letters, digits and underscores, at least one letter.
TAG = re.compile(r"(?<![\w#])#(?=[A-Za-z0-9_]*[A-Za-z])([A-Za-z0-9_]+)(?![^\W_])")
#: The parts of a CamelCase tag: a capitalised or lowercase word, a run of capitals (an acronym: before a capitalised
#: word it ends one letter early, "KPKDilemahkan"), or digits.
_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_CAMEL = re.compile(r"[a-z0-9][A-Z]|[A-Z][A-Z][a-z]")
_PREFIXES = ("di", "ke", "se", "ber", "be", "ter", "me", "mem", "men", "meng", "pe", "pem", "pen", "peng", "per")
_SUFFIXES = ("kan", "an", "i", "nya", "lah", "kah", "ku", "mu")
#: Suffixes that may stand before another one ("-an" in "jawabannya", "-kan" in "bubarkanlah").
_INNER_SUFFIXES = ("kan", "an", "i")
#: Shortest piece of a one-case tag, the shortest such tag that is tried at all, the longest piece.
MIN_PIECE, MIN_TAG, MAX_PIECE = 3, 6, 24
#: A longer tag body is left whole (and not cached): no real tag is that long, and splitting a tag costs time in
#: its length.
MAX_TAG = 100
#: Three-letter words a one-case tag may be split into, besides the caller's `short` words (the dictionary has
#: hundreds of rare ones, "pil", "pres", that would cut names and acronyms apart: "pilpres" is not "pil pres").
SHORT_WORDS = frozenset({"ada", "aku", "apa", "ayo", "bom", "dan", "dia", "dpr", "gak", "ini", "itu", "kau", "kok",
                         "kpk", "mau", "mui", "pak", "tak", "tni", "yuk"})


class HashtagSplitter:
    """Splits hashtag bodies into words; `known(word)` says whether a lowercase word is a known word, and a piece of
    three letters must also be one of `short` or `SHORT_WORDS`."""

    def __init__(self, known: Callable[[str], bool], short: frozenset[str] = frozenset()) -> None:
        self.known = known
        self.short = SHORT_WORDS | short
        self._cache: dict[str, str] = {}

    def replace(self, text: str) -> str:
        """`text` with each hashtag replaced by its words (original case kept; the caller lowercases)."""
        return TAG.sub(self._replacement, text)

    def _replacement(self, match: re.Match[str]) -> str:
        body = match.group(1)
        if len(body) > MAX_TAG:
            return " " + body + " "
        found = self._cache.get(body)
        if found is None:
            found = " " + " ".join(self.words(body)) + " "
            if len(self._cache) < 100_000:
                self._cache[body] = found
        return found

    def words(self, body: str) -> list[str]:
        """The words of one tag's body (without "#"), lowercase."""
        out: list[str] = []
        for chunk in body.split("_"):
            if not chunk:
                continue
            for part in _camel_parts(chunk) if _CAMEL.search(chunk) else [chunk]:
                out += self._pieces(part.lower())
        return out

    def _pieces(self, word: str) -> list[str]:
        """A one-case word as the fewest known pieces, or [word] when it is known or cannot be read so."""
        if len(word) < MIN_TAG or not word.isalpha() or self._is_word(word):
            return [word]
        n = len(word)
        # best[i]: the fewest pieces that make word[:i], as (count, start of the last piece); None: cannot
        best: list[tuple[int, int] | None] = [None] * (n + 1)
        best[0] = (0, 0)
        for end in range(MIN_PIECE, n + 1):
            for start in range(max(0, end - MAX_PIECE), end - MIN_PIECE + 1):
                before = best[start]
                if before is None or (best[end] is not None and before[0] + 1 >= best[end][0]):  # type: ignore[index]
                    continue
                piece = word[start:end]
                if (end - start > MIN_PIECE or piece in self.short) and self._is_word(piece):
                    best[end] = (before[0] + 1, start)
        if best[n] is None:
            return [word]
        pieces = []
        end = n
        while end > 0:
            start = best[end][1]  # type: ignore[index]
            pieces.append(word[start:end])
            end = start
        return pieces[::-1]

    def _is_word(self, word: str) -> bool:
        """A known word, or one made of a known root of 4+ letters with a common prefix, one or two suffixes
        ("jawabannya": jawab + an + nya) or both. A 3-letter root takes no affix: "bannya" is not a word, so
        "jawabannya" is not "jawa bannya"."""
        if self.known(word):
            return True
        stems = [word]
        for suffix in _SUFFIXES:
            if word.endswith(suffix):
                stem = word[: -len(suffix)]
                stems += [stem, *(stem[: -len(inner)] for inner in _INNER_SUFFIXES if stem.endswith(inner))]
        for k, stem in enumerate(stems):
            if k and self._is_root(stem):
                return True
            if any(stem.startswith(p) and self._is_root(stem[len(p):]) for p in _PREFIXES):
                return True
        return False

    def _is_root(self, stem: str) -> bool:
        return len(stem) > MIN_PIECE and self.known(stem)


def _camel_parts(chunk: str) -> list[str]:
    """A CamelCase chunk's parts; a digit run stays with the letters it follows ("COVID19", "Pilpres2019"), as the
    same letters outside a tag do."""
    parts: list[str] = []
    for part in _PARTS.findall(chunk):
        if part.isdigit() and parts and parts[-1][-1].isalpha():
            parts[-1] += part
        else:
            parts.append(part)
    return parts

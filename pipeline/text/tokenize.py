"""Tokenisation with NLTK's TweetTokenizer patterns (`pipeline.text.casual`), cached word by word."""

from __future__ import annotations

import re

from pipeline.text.casual import casual_tokens

# Only three kinds of token can contain a space: phone numbers ("021 555 1234": digits and ( ) * - . around the
# space), spaced ellipses (". . .") and emoji sequences with a zero-width joiner or a skin-tone modifier. HTML
# entities ("&#32;") can bring any of these in, so text with "&" is tokenised whole, as is text whose whitespace is
# anything but single spaces between words.
WHOLE_TEXT_ONLY = re.compile("[&\u200d\U0001f3fb-\U0001f3ff]|^\\s|\\s$|\\s\\s|[^\\S ]")
# A space no token can span: one not preceded by a character a spanning token ends its part with, or not followed
# by one it starts its next part with.
_SAFE_SPACE = re.compile(r"(?<![0-9*\-.)]) | (?![0-9*\-.()])")
#: The characters around a space that is not safe: one a word may end with, one the next word may start with.
JOINS_AFTER = frozenset("0123456789*-.)")
JOINS_BEFORE = frozenset("0123456789*-.()")
_ENDS = frozenset(",.!?")
_CACHE: dict[str, tuple[str, ...]] = {}
_CACHE_SIZE = 500_000


def tokenize(text: str) -> list[str]:
    """Split social-media text into tokens; emoji, hashtags and mentions come out as their own tokens.

    The same tokens as TweetTokenizer gives for the whole text. Text of single-space-separated words is cut at the
    spaces no token can span, and each piece is tokenised through a cache: words repeat across posts far more than
    posts do.
    """
    if WHOLE_TEXT_ONLY.search(text):
        return casual_tokens(text)
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.clear()
    out: list[str] = []
    for piece in _SAFE_SPACE.split(text):
        if piece.isascii() and piece.isalpha():
            # A word of ASCII letters alone is always one token (no emoticon, URL or number pattern can start
            # inside it): the commonest case on real text, kept out of the cache.
            out.append(piece)
            continue
        if len(piece) > 1 and piece[-1] in _ENDS and piece[:-1].isascii() and piece[:-1].isalpha():
            # A word of ASCII letters then a comma, full stop, "!" or "?" (a third of the other words in real text)
            # is those two tokens: no pattern before the plain word and the single character can use them.
            out += (piece[:-1], piece[-1])
            continue
        tokens = _CACHE.get(piece)
        if tokens is None:
            tokens = _CACHE[piece] = tuple(casual_tokens(piece))
        out.extend(tokens)
    return out

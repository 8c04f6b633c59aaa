"""Tokenisation with NLTK's TweetTokenizer (regex only: nothing is downloaded), cached word by word."""

from __future__ import annotations

import re
from itertools import pairwise

from nltk.tokenize import TweetTokenizer

_TOKENIZER = TweetTokenizer(preserve_case=True, reduce_len=False, strip_handles=False)

# Only three kinds of token can contain a space: phone numbers ("021 555 1234": digits and ( ) * - . around the
# space), spaced ellipses (". . .") and emoji sequences with a zero-width joiner or a skin-tone modifier. HTML
# entities ("&#32;") can bring any of these in, so text with "&" is tokenised whole.
_WHOLE_TEXT_ONLY = re.compile("[&\u200d\U0001f3fb-\U0001f3ff]")
_ENDS_SPANNABLE = frozenset("0123456789*-.)")
_STARTS_SPANNABLE = frozenset("0123456789*-.)(")
_CACHE: dict[str, tuple[str, ...]] = {}
_CACHE_SIZE = 500_000


def tokenize(text: str) -> list[str]:
    """Split social-media text into tokens; emoji, hashtags and mentions come out as their own tokens.

    The same tokens as TweetTokenizer gives for the whole text. Text of single-space-separated words, where no
    token can span a space, is tokenised word by word through a cache: words repeat across posts far more than
    posts do.
    """
    words = text.split(" ")
    if not _word_by_word(text, words):
        return _TOKENIZER.tokenize(text)
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.clear()
    out: list[str] = []
    for word in words:
        if word.isascii() and word.isalpha():
            # A word of ASCII letters alone is always one token (no emoticon, URL or number pattern can start
            # inside it): the commonest case on real text, kept out of the cache.
            out.append(word)
            continue
        tokens = _CACHE.get(word)
        if tokens is None:
            tokens = _CACHE[word] = tuple(_TOKENIZER.tokenize(word))
        out.extend(tokens)
    return out


def _word_by_word(text: str, words: list[str]) -> bool:
    """Whether no token of `text` can span one of the single spaces between its `words`."""
    if _WHOLE_TEXT_ONLY.search(text) or text != " ".join(text.split()):
        return False
    return not any(before[-1] in _ENDS_SPANNABLE and after[0] in _STARTS_SPANNABLE
                   for before, after in pairwise(words))

"""Tokenisation with NLTK's TweetTokenizer (regex only: nothing is downloaded)."""

from __future__ import annotations

from nltk.tokenize import TweetTokenizer

_TOKENIZER = TweetTokenizer(preserve_case=True, reduce_len=False, strip_handles=False)


def tokenize(text: str) -> list[str]:
    """Split social-media text into tokens; emoji, hashtags and mentions come out as their own tokens."""
    return _TOKENIZER.tokenize(text)

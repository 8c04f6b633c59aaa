"""The casual tokeniser: NLTK's TweetTokenizer (preserve_case=True, reduce_len=False, strip_handles=False,
phone numbers matched), without importing NLTK.

Importing any part of NLTK runs its package's `__init__`, which imports scikit-learn, SciPy's statistics and pandas:
about 1.8 s on every command that reads text. The patterns below are NLTK's own (nltk/tokenize/casual.py, NLTK 3.9,
Copyright (C) 2001-2026 NLTK Project, Apache License 2.0; authors Christopher Potts, Ewan Klein, Pierpaolo Pantone,
Tom Aarsen), unchanged, so the tokens are NLTK's: the test suite compares the two on real posts.
"""

# ruff: noqa: E501

from __future__ import annotations

import html

import regex

EMOTICONS = r"""
    (?:
      [<>]?
      [:;=8]                     # eyes
      [\-o\*\']?                 # optional nose
      [\)\]\(\[dDpP/\:\}\{@\|\\] # mouth
      |
      [\)\]\(\[dDpP/\:\}\{@\|\\] # mouth
      [\-o\*\']?                 # optional nose
      [:;=8]                     # eyes
      [<>]?
      |
      </?3                       # heart
    )"""

# URL pattern due to John Gruber, modified by Tom Winzig. See
# https://gist.github.com/winzig/8894715

URLS = r"""                     # Capture 1: entire matched URL
  (?:
  https?:                               # URL protocol and colon
    (?:
      /{1,3}                            # 1-3 slashes
      |                                 #   or
      [a-z0-9%]                         # Single letter or digit or '%'
                                       # (Trying not to match e.g. "URI::Escape")
    )
    |                                   #   or
                                       # looks like domain name followed by a slash:
    [a-z0-9.\-]+[.]
    (?:[a-z]{2,13})
    /
  )
  (?:                                   # One or more:
    [^\s()<>{}\[\]]+                    # Run of non-space, non-()<>{}[]
    |                                   #   or
    \([^\s()]*?\([^\s()]+\)[^\s()]*?\) # balanced parens, one level deep: (...(...)...)
    |
    \([^\s]+?\)                         # balanced parens, non-recursive: (...)
  )+
  (?:                                   # End with:
    \([^\s()]*?\([^\s()]+\)[^\s()]*?\) # balanced parens, one level deep: (...(...)...)
    |
    \([^\s]+?\)                         # balanced parens, non-recursive: (...)
    |                                   #   or
    [^\s`!()\[\]{};:'".,<>?«»“”‘’]      # not a space or one of these punct chars
  )
  |                                     # OR, the following to match naked domains:
  (?:
        (?<!@)                          # not preceded by a @, avoid matching foo@_gmail.com_
    [a-z0-9]+
    (?:[.\-][a-z0-9]+)*
    [.]
    (?:[a-z]{2,13})
    \b
    /?
    (?!@)                               # not succeeded by a @,
                            # avoid matching "foo.na" in "foo.na@example.com"
  )
"""

# emoji flag sequence
# https://en.wikipedia.org/wiki/Regional_indicator_symbol
# For regex simplicity, include all possible enclosed letter pairs,
# not the ISO subset of two-letter regional indicator symbols.
# See https://en.wikipedia.org/wiki/ISO_3166-1_alpha-2#Current_codes
# Future regional flag support may be handled with the regex for
# U+1F3F4 🏴 followed by emoji tag sequences:
# r'\U0001F3F4[\U000E0000-\U000E007E]{5}\U000E007F'
FLAGS = r"""
  (?:
    [\U0001F1E6-\U0001F1FF]{2}  # all enclosed letter pairs
    |
    # English flag
    \U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006e\U000E0067\U000E007F
    |
    # Scottish flag
    \U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F
    |
    # For Wales? Why Richard, it profit a man nothing to give his soul for the whole world … but for Wales!
    \U0001F3F4\U000E0067\U000E0062\U000E0077\U000E006C\U000E0073\U000E007F
  )
"""

# Regex for recognizing phone numbers:
PHONE_REGEX = r"""
    (?:
      (?:            # (international)
        \+?[01]
        [ *\-.\)]*
      )?
      (?:            # (area code)
        [\(]?
        \d{3}
        [ *\-.\)]*
      )?
      \d{3}          # exchange
      [ *\-.\)]*
      \d{4}          # base
    )"""

# The components of the tokenizer:
REGEXPS = (
    URLS,
    # ASCII Emoticons
    EMOTICONS,
    # HTML tags:
    r"""<[^>\s]+>""",
    # ASCII Arrows
    r"""[\-]+>|<[\-]+""",
    # Twitter username:
    r"""(?:@[\w_]+)""",
    # Twitter hashtags:
    r"""(?:\#+[\w_]+[\w\'_\-]*[\w_]+)""",
    # email addresses
    r"""[\w.+-]+@[\w-]+\.(?:[\w-]\.?)+[\w-]""",
    # Zero-Width-Joiner and Skin tone modifier emojis
    """.(?:
        [\U0001f3fb-\U0001f3ff]?(?:\u200d.[\U0001f3fb-\U0001f3ff]?)+
        |
        [\U0001f3fb-\U0001f3ff]
    )""",
    # flags
    FLAGS,
    # Remaining word types:
    r"""
    (?:[^\W\d_](?:[^\W\d_]|['\-_])+[^\W\d_]) # Words with apostrophes or dashes.
    |
    (?:[+\-]?\d+[,/.:-]\d+[+\-]?)  # Numbers, including fractions, decimals.
    |
    (?:[\w_]+)                     # Words without apostrophes or dashes.
    |
    (?:\.(?:\s*\.){1,})            # Ellipsis dots.
    |
    (?:\S)                         # Everything else that isn't whitespace.
    """,
)

# Take the main components and add a phone regex as the second parameter
REGEXPS_PHONE = (REGEXPS[0], PHONE_REGEX, *REGEXPS[1:])

_WORDS = regex.compile(f"({'|'.join(REGEXPS_PHONE)})", regex.VERBOSE | regex.I | regex.UNICODE)
# Runs of four or more of one character that is not a letter or digit are cut to three ("!!!!!" -> "!!!").
_HANG = regex.compile(r"([^a-zA-Z0-9])\1{3,}")
_ENTITY = regex.compile(r"&(#?(x?))([^&;\s]+);")


def _entity(match: regex.Match[str]) -> str:
    body = match.group(3)
    number: int | None
    if match.group(1):
        try:
            number = int(body, 16) if match.group(2) else int(body, 10)
            # Numeric references in 0x80-0x9F are read as the Windows-1252 characters of those bytes, as browsers do.
            if 0x80 <= number <= 0x9F:
                return bytes((number,)).decode("cp1252")
        except ValueError:
            number = None
    else:
        number = html.entities.name2codepoint.get(body)
    if number is not None:
        try:
            return chr(number)
        except (ValueError, OverflowError):
            pass
    return ""


def replace_html_entities(text: str) -> str:
    """HTML character references (`&amp;`, `&#233;`, `&#xe9;`) replaced by their characters; ones that name no
    character are removed."""
    return _ENTITY.sub(_entity, text)


def casual_tokens(text: str) -> list[str]:
    """The tokens TweetTokenizer gives for `text`."""
    return _WORDS.findall(_HANG.sub(r"\1\1\1", replace_html_entities(text)))

"""Normalisation of Indonesian social-media text.

Handles literal escape sequences left by scrapers (`\\n`, `\\xf0\\x9f\\x98\\x82`), case, URLs, mentions and the `USER`/`URL`
placeholders of anonymised corpora, retweet markers, elongations ("bangeeet"), spelled-out and dotted words used to
dodge filters ("a n j i n g", "b.a.b.i", "ka-fi-r"), digit and symbol substitutions ("k4f1r", "c1na"), and slang or typo forms.
Emoji are kept as tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from itertools import chain, islice
from operator import and_, itemgetter

from pipeline.text import lexicons
from pipeline.text.casual import replace_html_entities
from pipeline.text.hashtags import HashtagSplitter
from pipeline.text.stem import _sastrawi_stemmer
from pipeline.text.tokenize import JOINS_AFTER, JOINS_BEFORE, WHOLE_TEXT_ONLY, tokenize

_ESCAPED_BYTES = re.compile(r"(?:\\x[0-9a-fA-F]{2})+")
_ESCAPED_WHITESPACE = re.compile(r"\\[nrt]")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@\w{1,30}")
_RT = re.compile(r"^\s*rt\b\s*:?|\brt\s+user\s*:", re.IGNORECASE)
_SPACED_LETTERS = re.compile(r"(?<![^\W\d_])(?:[^\W\d_] ){2,}[^\W\d_](?![^\W\d_])")
_DOTTED = re.compile(r"(?<![\w.])(?:\w[.\-_*]){2,}\w(?![\w])")
#: A word split into short hyphenated pieces ("ka-fi-r", "an-jing"); whether it is a disguise depends on the pieces.
_SYLLABLES = re.compile(r"(?<![\w-])[^\W\d_]{1,5}(?:-[^\W\d_]{1,5})+(?![\w-])")
#: Endings a hyphen may set apart without disguising anything ("toraja-nya", "ojol-ku").
_ENDINGS = ("nya", "ku", "mu", "lah", "kah", "pun", "tah", "in", "kan", "an", "i")
#: A letter written three or more times in a row ("bangeeet"); digits ("1999", "Rp 5000") stay as written.
_ELONGATION = re.compile(r"([^\W\d_])\1{2,}")
_REPEATED_PUNCT = re.compile(r"([!?.,])\1+")
_WHITESPACE = re.compile(r"\s+")
# A word with symbols or digits standing in for letters ("k@f!r", "$yiah", "ahmadiy4h", "0nta2"); undone before
# tokenising, since the tokeniser would split it at the symbols.
_DISGUISED = re.compile(r"(?<![\w@$!|+])(?=[\w@$!|+]*[a-z])(?=[\w@$!|+]*[0-9@$!|+])[\w@$!|+]{3,}")
_REDUPLICATED = re.compile(r"\b([^\W\d_]{2,})2(nya|ku|mu|an|lah|kan|in|i)?\b")
_DISGUISES, _DOTS, _PUNCT = frozenset("0123456789@$!|+"), frozenset(".-_*"), frozenset("!?.,")
#: A letter standing alone between spaces: what every spaced-out word ("a n j i n g") has.
_SPACED_LETTER = re.compile(r" [^\W\d_] ")
#: A raw word's normalised tokens (None: they depend on the whole text), whether a token could join it to the word
#: before, to the word after (see `pipeline.text.tokenize`), and its cleaned form.
_Word = tuple[tuple[str, ...] | None, bool, bool, str]
_NO_WORD: _Word = ((), False, False, "")
_JOINS_BEFORE, _JOINS_AFTER = itemgetter(1), itemgetter(2)
#: What, besides an HTML entity, makes a word's tokens depend on the text around it (see `pipeline.text.tokenize`).
_NOT_ALONE = re.compile("[\u200d\U0001f3fb-\U0001f3ff\\s]")


def _decode_escapes(text: str) -> str:
    def decode(match: re.Match[str]) -> str:
        raw = bytes(int(h, 16) for h in match.group(0).split("\\x")[1:])
        return " " + raw.decode("utf-8", errors="ignore") + " "

    return _ESCAPED_WHITESPACE.sub(" ", _ESCAPED_BYTES.sub(decode, text))


@cache
def _hostile_terms() -> frozenset[str]:
    """Single words of the insult, incitement and SARA target lexicons (slurs included): what a writer splits with
    hyphens to get past a filter."""
    words = lexicons.terms("abusive") | lexicons.terms("incitement")
    words |= {term for term, *_ in lexicons.targets()}
    return frozenset(word for word in words if " " not in word and "-" not in word)


@cache
def _vocabulary() -> frozenset[str]:
    words = set(_sastrawi_stemmer().dictionary.words)
    for name in ("abusive", "incitement", "hoax_cues"):
        words |= lexicons.terms(name)
    words |= {term for term, *_ in lexicons.targets() if " " not in term}
    return frozenset(words)


class Normalizer:
    """Turns a raw post into normalised tokens (lowercase, slang resolved, obfuscation undone).

    `slang` maps slang/typo forms to formal forms; it is stored with a trained model so scoring normalises exactly
    as training did, whatever data directory is present at scan time.
    """

    def __init__(self, slang: dict[str, str] | None = None) -> None:
        self.slang = dict(slang) if slang is not None else lexicons.slang_map()
        self._deleet = str.maketrans(lexicons.obfuscation_map())
        self._cache: dict[str, tuple[str, ...]] = {}
        self._words: dict[str, _Word] = {}
        self._hashtags = HashtagSplitter(self._is_known, _hostile_terms())

    def _is_known(self, word: str) -> bool:
        return word in _vocabulary() or word in self.slang

    def __getstate__(self) -> dict[str, object]:
        return {"slang": self.slang}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["slang"])  # type: ignore[misc, arg-type]

    def clean(self, text: str) -> str:
        """Text-level clean-up before tokenising: escapes, URLs, mentions, RT markers, spaced/dotted words, case."""
        return " ".join(self._clean_word(word) for word in self._clean_across_words(text).split())

    def _clean_across_words(self, text: str) -> str:
        """The clean-up steps that may span words (or, like escapes and hashtags, make new word breaks)."""
        # Each pattern runs only when the character it needs is present: most posts need few of them.
        if "\\" in text:
            text = _decode_escapes(text)
        lowered = text.lower()
        if "://" in lowered or "www." in lowered:
            # before hashtags: a "#" in a link is not a tag
            text = _URL.sub(" url ", text)
            lowered = text.lower()
        if "#" in text:
            # hashtags are read as their words ("#UsirMadura": "usir madura"), which needs their case
            text = self._hashtags.replace(text)
            lowered = text.lower()
        text = lowered
        if "@" in text:
            text = _MENTION.sub(" user ", text)
        # _RT needs "rt" at the start or before "user :" (a retweeted mention, after the line above)
        if "rt" in text and (text.lstrip().startswith("rt") or ("user" in text and ":" in text)):
            text = _RT.sub(" ", text)
        text = text.replace("#", " ")
        if _SPACED_LETTER.search(text):
            text = _SPACED_LETTERS.sub(lambda m: m.group(0).replace(" ", ""), text)
        return text

    def _clean_word(self, word: str) -> str:
        """The clean-up steps within one whitespace-free word: none of their patterns spans or makes a space."""
        if not _DISGUISES.isdisjoint(word):
            word = _DISGUISED.sub(self._undisguise, word)
        if not _DOTS.isdisjoint(word):
            word = _DOTTED.sub(_undot, word)
            if "-" in word:
                word = _SYLLABLES.sub(_unhyphen, word)
        if not _PUNCT.isdisjoint(word) and any(c + c in word for c in _PUNCT):
            word = _REPEATED_PUNCT.sub(r"\1", word)
        if "2" in word:
            # "orang2" is the written shorthand of "orang-orang" (and "orang2nya" of "orang-orangnya",
            # "dibesar2kan" of "dibesar-dibesarkan"), not an obfuscated "orangz".
            word = _REDUPLICATED.sub(_reduplicate, word)
        return word

    def _undisguise(self, match: re.Match[str]) -> str:
        """The word behind a symbol-disguised one, when it is a known word; else the text unchanged."""
        word = match.group(0)
        trailing = len(word) - len(word.rstrip("!"))
        core = word[: len(word) - trailing] if trailing else word
        known = _vocabulary()
        for candidate, suffix in ((core, ""), (core[:-1], "-") if core.endswith("2") else (None, "")):
            if not candidate:
                continue
            plain = candidate.translate(self._deleet)
            if plain != candidate and plain.isalpha() and (plain in known or plain in self.slang):
                out = f"{plain}-{plain}" if suffix else plain
                return out + word[len(core):]
        return word

    def tokens(self, text: str) -> list[str]:
        """Normalised tokens of one post.

        The same tokens as tokenising the whole cleaned text and normalising each token, found word by word through
        a cache: words repeat across posts far more than posts do. Words a token may span (a phone number such as
        "021 555 1234", see `pipeline.text.tokenize`) are tokenised together; a post with a word whose tokens depend
        on the whole text ("&" entities, emoji sequences) is tokenised whole.
        """
        words = self._clean_across_words(text).split()
        found = list(map(self._words.get, words))
        if None in found:
            for i in [i for i, entry in enumerate(found) if entry is None]:
                found[i] = self._word_tokens(words[i])
        parts = [entry[0] for entry in found]
        if None in parts:
            return self._text_tokens(" ".join(self._clean_word(w) for w in words))
        if any(map(and_, map(_JOINS_AFTER, found), map(_JOINS_BEFORE, islice(found, 1, None)))):
            return self._joined_tokens(found)
        # the common case: no token spans words, so the post's tokens are its words' tokens in turn
        return list(chain.from_iterable(parts))

    def _joined_tokens(self, found: list[_Word]) -> list[str]:
        """`tokens` of a post whose words (their `_word_tokens`) include some a token may span: such a run of words
        is tokenised together."""
        out: list[str] = []
        run: list[str] | None = None  # the cleaned words of a span of more than one word
        previous = _NO_WORD
        for entry in found:
            if previous[2] and entry[1]:
                if run is None:
                    run = [previous[3]]
                    del out[len(out) - len(previous[0]):]  # type: ignore[arg-type]
                run.append(entry[3])
            else:
                if run is not None:
                    out.extend(self._text_tokens(" ".join(run)))
                    run = None
                out.extend(entry[0])  # type: ignore[arg-type]
            previous = entry
        if run is not None:
            out.extend(self._text_tokens(" ".join(run)))
        return out

    def _word_tokens(self, word: str) -> _Word:
        """What `tokens` needs of one raw word: its normalised tokens (None when they depend on the whole text),
        whether a token could join it to the word before, to the word after, and its cleaned form; cached."""
        if word.isascii() and (word.isalpha() or word[-1] in ",.?" and word[:-1].isalpha()):
            # Letters alone, or then a comma, full stop or question mark (more than half the words a scan meets for
            # the first time): no clean-up step changes them, and they are the one or two tokens `tokenize` makes
            # of them (see there).
            found = (self._normalized((word,) if word[-1].isalpha() else (word[:-1], word[-1])), False,
                     word[-1] in JOINS_AFTER, word)
        else:
            found = self._cleaned_word(word)
        if len(self._words) < 1_000_000:
            self._words[word] = found
        return found

    def _cleaned_word(self, word: str) -> _Word:
        """`_word_tokens` of a word the clean-up steps and the tokenizer may change or split."""
        clean = self._clean_word(word)
        tokens = None
        if not WHOLE_TEXT_ONLY.search(clean):
            tokens = self._normalized(tokenize(clean))
        elif "&" in clean and (replaced := _entities_replaced(clean)) is not None:
            clean = replaced
            tokens = self._normalized(tokenize(clean))
        return (tokens, clean[0] in JOINS_BEFORE, clean[-1] in JOINS_AFTER, clean)

    def _text_tokens(self, clean: str) -> list[str]:
        """Normalised tokens of cleaned text."""
        return list(self._normalized(tokenize(clean)))

    def _normalized(self, tokens: Iterable[str]) -> tuple[str, ...]:
        """The normalised forms of tokens, in turn (a token may give none, one or several); cached per token."""
        out: list[str] = []
        cache_ = self._cache
        for token in tokens:
            mapped = cache_.get(token)
            if mapped is None:
                mapped = self._token(token)
                if len(cache_) < 1_000_000:
                    cache_[token] = mapped
            out.extend(mapped)
        return tuple(out)

    def normalize(self, text: str) -> str:
        """Normalised text: the tokens joined by single spaces."""
        return " ".join(self.tokens(text))

    def _token(self, token: str) -> tuple[str, ...]:
        if not any(c.isalnum() for c in token):
            return (token,)
        if any(c.isalpha() for c in token) and not token.isalpha():
            token = self._undo_obfuscation(token)
        token = self._fold_elongation(token)
        formal = self.slang.get(token)
        if formal is not None:
            return tuple(formal.split())
        return (token,)

    def _undo_obfuscation(self, token: str) -> str:
        candidate = token.translate(self._deleet)
        if candidate == token or not candidate.isalpha():
            return token
        if candidate in _vocabulary() or candidate in self.slang or _has_interior_substitution(token):
            return candidate
        return token

    def _fold_elongation(self, token: str) -> str:
        if not _ELONGATION.search(token):
            return token
        single = _ELONGATION.sub(r"\1", token)
        double = _ELONGATION.sub(r"\1\1", token)
        # "bangeeet" -> "banget", but "maaaaf" -> "maaf": prefer whichever fold is a known word.
        vocab = _vocabulary()
        if single not in vocab and single not in self.slang and (double in vocab or double in self.slang):
            return double
        return single


def _entities_replaced(word: str) -> str | None:
    """A cleaned word with its HTML entities ("&amp;") replaced as the tokeniser replaces them, when the tokeniser
    reads the result alone as it would in its post; else None (the post is then tokenised whole).

    The tokeniser replaces entities in the whole text before anything else, and no entity spans a space, so a word
    can be replaced alone; tokenising the result gives the same tokens as long as replacing it again changes
    nothing and no space, joiner or skin tone appears. About one real post in fifteen has an "&", and tokenising a
    whole post costs as much as scoring it.
    """
    replaced = replace_html_entities(word)
    if replaced and replace_html_entities(replaced) == replaced and not _NOT_ALONE.search(replaced):
        return replaced
    return None


def _reduplicate(match: re.Match[str]) -> str:
    """The reduplicated word a "2" stands for; the colloquial suffix "-in" is written as the "-kan" it stands for
    ("malu2in" -> "malu-malukan"), so the stemmer finds the root of both halves."""
    word, suffix = match.group(1), match.group(2) or ""
    return f"{word}-{word}{'kan' if suffix == 'in' else suffix}"


def _undot(match: re.Match[str]) -> str:
    text = match.group(0)
    joined = re.sub(r"[.\-_*]", "", text)
    return joined if any(c.isalpha() for c in joined) and len(joined) <= 12 else text


def _unhyphen(match: re.Match[str]) -> str:
    """A hostile word split into hyphenated pieces ("ka-fi-r", "an-jing", "ci-nanya") joined again; any other
    hyphenated word ("anak-anak", "toraja-nya", "e-ktp", "al-quran", "wi-fi") unchanged."""
    text = match.group(0)
    pieces = text.split("-")
    if len(set(pieces)) == 1 or pieces[-1] in _ENDINGS:
        return text
    joined, hostile = "".join(pieces), _hostile_terms()
    if text in _vocabulary() or text in hostile:
        return text
    roots = [joined] + [joined[: -len(e)] for e in ("nya", "lah", "ku", "mu") if joined.endswith(e)]
    return joined if any(root in hostile for root in roots) else text


def _has_interior_substitution(token: str) -> bool:
    return any(
        not c.isalpha() and token[i - 1].isalpha() and token[i + 1].isalpha() for i, c in enumerate(token[1:-1], 1)
    )

"""Minimal text normalisation for claim matching (private to `pipeline.claims`).

Separate from `pipeline.text` on purpose: matching strips what forwarded hoaxes pick up (greetings, share
requests) and must treat claims and posts the same way whatever model is loaded. Changing it changes the
similarity scale: re-calibrate the thresholds afterwards.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# A small, conservative map: only unambiguous abbreviations and spellings common in forwarded messages.
SLANG: dict[str, str] = {
    "yg": "yang", "dgn": "dengan", "dg": "dengan", "utk": "untuk", "untk": "untuk", "tdk": "tidak",
    "gak": "tidak", "ga": "tidak", "gk": "tidak", "nggak": "tidak", "ngga": "tidak", "engga": "tidak",
    "enggak": "tidak", "tak": "tidak", "sdh": "sudah", "udah": "sudah", "udh": "sudah", "dah": "sudah",
    "blm": "belum", "krn": "karena", "karna": "karena", "krna": "karena", "bgt": "banget", "org": "orang",
    "jd": "jadi", "jdi": "jadi", "dr": "dari", "dri": "dari", "sm": "sama", "kalo": "kalau", "klo": "kalau",
    "klu": "kalau", "aja": "saja", "aj": "saja", "skrg": "sekarang", "skrang": "sekarang", "tp": "tapi",
    "tpi": "tapi", "bs": "bisa", "bsa": "bisa", "pd": "pada", "sy": "saya", "gw": "saya", "gue": "saya",
    "jgn": "jangan", "hrs": "harus", "sblm": "sebelum", "stlh": "setelah", "kpd": "kepada",
    "thd": "terhadap", "trhdp": "terhadap", "dlm": "dalam", "dl": "dulu", "lg": "lagi", "lgi": "lagi",
    "bener": "benar", "emang": "memang", "mmg": "memang", "kyk": "kayak", "kek": "kayak", "spt": "seperti",
    "sprti": "seperti", "dpt": "dapat", "bnyk": "banyak", "byk": "banyak", "msh": "masih", "msih": "masih",
    "sj": "saja", "jg": "juga", "jga": "juga", "hr": "hari", "th": "tahun", "thn": "tahun", "bln": "bulan",
    "tgl": "tanggal", "kmrn": "kemarin", "bsk": "besok", "pemda": "pemerintah daerah", "pemkot": "pemerintah kota",
    "presidn": "presiden", "indo": "indonesia", "ri": "indonesia", "covid19": "covid 19", "corona": "korona",
    "vaksinasi": "vaksin", "hoaks": "hoax", "hoak": "hoax", "tlg": "tolong", "mhn": "mohon", "sbg": "sebagai",
    "sbgai": "sebagai", "trs": "terus", "trus": "terus", "ttg": "tentang", "ttng": "tentang", "bkn": "bukan",
    "mrk": "mereka", "krg": "kurang", "lbh": "lebih", "sgt": "sangat", "bhw": "bahwa", "wkt": "waktu",
    "sampe": "sampai", "smp": "sampai", "gmn": "bagaimana", "gimana": "bagaimana", "knp": "kenapa",
    "np": "kenapa", "tau": "tahu", "tw": "tahu", "ato": "atau", "atw": "atau", "dn": "dan", "n": "dan",
}

# Greetings, forwarding formulas and calls to share: noise that forwarded hoaxes pick up. Removed from claims
# and posts alike so they neither dilute a true match nor create a false one between unrelated chain messages.
_BOILERPLATE = [
    r"assalamu ?'?alaikum(?: warahmatullahi wabarakatuh| wr\.? ?wb\.?| wr wb)?", r"wa'?alaikumsalam",
    r"salam sejahtera(?: untuk kita semua)?", r"selamat (?:pagi|siang|sore|malam)(?: semua)?",
    r"(?:info|berita|kabar) (?:dari|dr) (?:grup|group|grp|wag) sebelah", r"copas (?:dari|dr) (?:grup|group|wag)(?: sebelah)?",
    r"copas", r"copy paste", r"(?:dari|dr) (?:grup|group|wag) sebelah", r"forwarded(?: many times| as received)?",
    r"fwd", r"(?:mohon|tolong|harap) (?:segera )?di(?:sebarkan|viralkan|bagikan|teruskan|share)",
    r"(?:segera )?(?:sebarkan|viralkan|bagikan|teruskan|share)(?: ke (?:semua )?(?:grup|group|keluarga|teman)\w*)?",
    r"(?:info|informasi) penting", r"info a1", r"berita terkini", r"breaking news", r"waspadalah", r"hati hati",
    r"jangan (?:sampai )?putus di (?:anda|kamu|sini)", r"semoga bermanfaat", r"mohon perhatian",
    r"(?:bapak )?ibu bapak sekalian", r"(?:teman|sahabat|saudara)(?:ku)? (?:semua|sekalian)",
]
_BOILERPLATE_RE = re.compile(r"\b(?:" + "|".join(_BOILERPLATE) + r")\b")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+|\burl\b", re.IGNORECASE)
_MENTION_RE = re.compile(r"@\w+|\buser\b|\brt\b", re.IGNORECASE)
# ibrohim2019-style dumps keep escapes such as "\n" and "\xf0\x9f\x98\x82" as literal text.
_ESCAPE_RE = re.compile(r"\\x[0-9a-fA-F]{2}|\\[nrt]")
_ELONGATION_RE = re.compile(r"([a-z])\1{2,}")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
# After ASCII folding and lowercasing, every character but [a-z0-9] separates words ("_" too).
_NON_WORD = str.maketrans({chr(c): " " for c in range(128) if chr(c) not in _ALNUM})


def normalize_claim_text(text: object) -> str:
    """Lowercase, ASCII-fold, drop URLs/mentions/escapes/boilerplate, fold elongations, expand slang.

    Returns space-separated words (letters and digits only). Missing values give "".
    """
    if not isinstance(text, str):
        return ""
    s = _ESCAPE_RE.sub(" ", text) if "\\" in text else text
    # The case-insensitive patterns run only when the letters they need are present (casefold, not lower: "ſ"
    # matches "s" under IGNORECASE and casefolds to it).
    folded = s.casefold()
    if "http" in folded or "www." in folded or "url" in folded:
        s = _URL_RE.sub(" ", s)
    if "@" in s or "user" in folded or _may_have_rt(folded):
        s = _MENTION_RE.sub(" ", s)
    if not s.isascii():
        s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")
    s = " ".join([_expand(w) for w in s.lower().translate(_NON_WORD).split()])
    s = _BOILERPLATE_RE.sub(" ", s)
    return " ".join(s.split())


def _may_have_rt(folded: str) -> bool:
    """False when the standalone word "rt" cannot be in the text: every "rt" of its casefolded form sits between
    ASCII letters or digits ("pertama", "serta"), which only word characters fold to."""
    at = folded.find("rt")
    while at >= 0:
        if not (at > 0 and folded[at - 1] in _ALNUM and at + 2 < len(folded) and folded[at + 2] in _ALNUM):
            return True
        at = folded.find("rt", at + 1)
    return False



@lru_cache(maxsize=1 << 17)
def _expand(word: str) -> str:
    # Elongations ("bangeeet") never span words: folded word by word, before the slang look-up.
    if len(word) > 2:
        word = _ELONGATION_RE.sub(r"\1", word)
    # "kata2" is Indonesian shorthand for the reduplicated "kata-kata": the stem carries the meaning.
    if len(word) > 2 and word[-1] == "2" and word[:-1].isalpha():
        word = word[:-1]
    return SLANG.get(word, word)

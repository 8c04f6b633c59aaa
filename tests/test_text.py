from __future__ import annotations

import os
import random
import re
import string
from pathlib import Path

import pandas as pd
import pytest
from nltk.tokenize import TweetTokenizer
from nltk.tokenize.casual import _replace_html_entities

from pipeline.text import Analyzer, FastStemmer, Normalizer, lexicons, tokenize
from pipeline.text.casual import casual_tokens, replace_html_entities
from pipeline.text.cues import LexiconMatcher, token_forms
from pipeline.text.stem import SetDictionary

DATA_DIR = Path(os.environ.get("PATROLI_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))
needs_data = pytest.mark.skipif(not (DATA_DIR / "ibrohim2019").exists(), reason=f"no dataset in {DATA_DIR}")
#: The reference the casual tokeniser follows: NLTK's own, with patroli's settings.
_TOKENIZER = TweetTokenizer(preserve_case=True, reduce_len=False, strip_handles=False)


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Dasar k4f1r!!!", "dasar kafir !"),
        ("c1na pulang sana", "cina pulang sana"),
        ("4nj1ng lu", "anjing kamu"),
        ("dasar b.a.b.i", "dasar babi"),
        ("a n j i n g semua", "anjing semua"),
        ("Ka-Fi-R semua, najis", "kafir semua , najis"),
        ("dasar an-jing, usir ci-nanya", "dasar anjing , usir cinanya"),
        ("anak-anak pakai wi-fi dan e-KTP", "anak-anak pakai wi-fi dan e-ktp"),
        ("kopi Toraja-nya, al-quran, ka-fi-lah, kafir-kafir", "kopi toraja-nya , al-quran , ka-fi-lah , kafir-kafir"),
        ("enak bangeeet", "enak banget"),
        ("tahun 1999 dan 2000, Rp 5000, 333", "tahun 1999 dan 2000 , rp 5000 , 333"),
        ("sabarrr, hubungi 08111234567 jam 10.00", "sabar , hubungi 08111234567 jam 10.00"),
        ("RT @budi_s: cek https://t.co/abc ya", "user : cek url ya"),
        ("USER USER gak jelas", "user user tidak jelas"),
        ("orang2 pada datang", "orang-orang pada datang"),
        ("jangan dibesar2kan, malu2in aja", "jangan dibesar-dibesarkan , malu-malukan saja"),
        ("ditakut2i anak2ku", "ditakut-ditakuti anak-anakku"),
        ("Covid19 dan 2019 tetap", "covid 19 dan 2019 tetap"),
        ("Mantap 😂😂", "mantap 😂 😂"),
        ("lucu bgt\\xf0\\x9f\\x98\\x82\\nbaris baru", "lucu banget 😂 baris baru"),
    ],
)
def test_normalize(normalizer: Normalizer, raw: str, expected: str) -> None:
    assert normalizer.normalize(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    # CamelCase: split at case changes; digits before a word set apart, after letters kept with them
    ("Sudah saatnya #UsirMadura #BakarGereja", "sudah saatnya usir madura bakar gereja"),
    ("#2019GantiPresiden #TolakTKA #KPKDilemahkan", "2019 ganti presiden tolak tka kpk dilemahkan"),
    ("#LawanCOVID19 #COVID19", "lawan covid 19 covid 19"),
    # one case: the fewest known words (a prefix or suffix allowed), or the tag unchanged
    ("#usirmadura #USIRMADURA #kamitidaktakut", "usir madura usir madura kami tidak takut"),
    ("#bomgereja #usirpendatang", "bom gereja usir pendatang"),
    ("#pengumuman #kontol", "pengumuman kontol"),
    # a root takes stacked suffixes; a 3-letter one takes none ("jawabannya" is not "jawa bannya")
    ("#Jawabannya #beritanasional", "jawabannya berita nasional"),
    # rare three-letter dictionary words do not cut names and acronyms apart ("pil pres", "jok owi")
    ("#Pilpres_2019 #pilpres #jokowiamin #savemuslimuighur", "pilpres 2019 pilpres jokowiamin savemuslimuighur"),
    # a "#" inside a link is not a tag; a "#" alone or before digits stays a separator
    ("cek https://x.com/a/#BagianDua #InfoLoker", "cek url info loker"),
    ("nomor #1 # dan #_", "nomor 1 dan _"),
])
def test_hashtags_read_as_their_words(normalizer: Normalizer, raw: str, expected: str) -> None:
    assert normalizer.normalize(raw) == expected


def test_a_tag_too_long_to_be_real_is_left_whole(normalizer: Normalizer) -> None:
    # splitting costs time in a tag's length: a 4 MiB line of one tag must not stall a scan
    body = "UsirMadura" * 11
    assert normalizer.normalize(f"#{body} #UsirMadura") == f"{body.lower()} usir madura"


def test_tokenize_keeps_emoji_hashtags_and_mentions() -> None:
    assert tokenize("Ayo #TolakHoax @admin 🙏!") == ["Ayo", "#TolakHoax", "@admin", "🙏", "!"]


@pytest.mark.parametrize("text", [
    "hubungi 021 555 1234 sekarang", "telp (021) 555-1234 ya", "+62 812 3456 7890", "tunggu . . . ya", "a .. b",
    "x 🏻 y", "jempol 👍🏻 ok", "a\u200d b", "&amp; halo &#32;&#32; x", "rp 100.000 123 4567", "", "satu",
    "dua  spasi", " tepi ", "baris\nbaru", "http://t.co/x ok", "harga 10.000. 5.000 lagi", "angka 2- 3",
])
def test_tokenize_word_by_word_gives_the_whole_text_tokens(text: str) -> None:
    assert casual_tokens(text) == _TOKENIZER.tokenize(text)
    assert tokenize(text) == _TOKENIZER.tokenize(text)


def test_tokenize_word_by_word_on_generated_text() -> None:
    rng = random.Random(0)
    pieces = [*"abz09.()-*+:;'\"@#&_!?/,<>=[]{}|%", "👍", "😂", "🏻", "\u200d", "é", "http://", "www.", ".com",
              "@user", "#tag", "021", "555", "1234", ":)", ":-D", "<3", "->", "...", "kata", "rp", "(021)", "+62",
              "XD", "D", "P", "o", "www", "http", "ㅤ"]
    for _ in range(20_000):
        words = ["".join(rng.choices(pieces, k=rng.randint(1, 4))) for _ in range(rng.randint(1, 10))]
        text = " ".join(" ".join(words).split())
        assert tokenize(text) == _TOKENIZER.tokenize(text), text


@needs_data
def test_casual_tokens_are_nltks_on_real_posts() -> None:
    from pipeline.classify.sources import load_ibrohim, load_netifier, load_smsa, load_turnbackhoax

    texts = [text for load in (load_ibrohim, load_netifier, load_smsa, load_turnbackhoax)
             for text in load(DATA_DIR)["text"]]
    # the raw tweets too: the loaders clean some markup, and HTML entities are commonest before that
    texts += list(pd.read_csv(DATA_DIR / "ibrohim2019" / "re_dataset.csv", encoding="latin-1")["Tweet"])
    assert len(texts) > 40_000 and sum("&" in text for text in texts) > 300
    assert [text for text in texts if casual_tokens(text) != _TOKENIZER.tokenize(text)] == []


@pytest.mark.parametrize("text", ["&amp;", "&AMP;", "&#233;", "&#xe9;", "&#x;", "&#150;", "&#9999999999;", "&bogus;",
                                  "&nbsp;x", "a&b;c", "&#;", "&#55296;", "&#x110000;", "&&amp;amp;", "tanpa entitas"])
def test_html_entities_replaced_as_nltk_does(text: str) -> None:
    assert replace_html_entities(text) == _replace_html_entities(text)


def test_tokenize_words_ending_in_punctuation_as_the_tokenizer_does() -> None:
    # one or more ASCII letters, then one of , . ! ? (split without the tokenizer), next to look-alikes that are not
    letters = string.ascii_letters
    rng = random.Random(5)
    pieces = [c + end for c in letters for end in ",.!?:;=8)(/'-"]
    pieces += ["".join(rng.choices(letters, k=rng.randint(2, 8))) + rng.choice(",.!?:;)'-8") for _ in range(5_000)]
    pieces += ["dp.", "xd,", "www.", "http.", "com.", "ok!", "D:", "d8", ".", "!", "a.b", "é.", "ñ,"]
    for text in pieces:
        assert tokenize(text) == _TOKENIZER.tokenize(text), text
        assert tokenize(f"{text} {text}") == _TOKENIZER.tokenize(f"{text} {text}"), text


#: Texts whose tokens a word-by-word reading could get wrong: tokens that span words, and (the second line on) words
#: with HTML entities, which are read alone once their entities are replaced.
_WORD_BY_WORD = [
    "hubungi 021 555 1234 sekarang", "telp (021) 555-1234 ya", "tunggu . . . ya", "jempol 👍🏻 ok",
    "&amp; halo", "a n j i n g 2019 2020", "RT @budi: k4f1r 021 555", "orang2nya (2- 3) x", "",
    "ka-fi-r (ci-na) an-jing2 b.a-bi", "a &amp; b", "a&amp;b &amp;amp; c", "&lt;3 kamu", "x&#32;y z", "satu &#8205; dua", "&bogus; kata", "&#127995; ok",
    "&amp;quot;udah&amp;quot;", "1&#46;2 &#49;23 4", "&#40;021) 555 1234", "&", "& &amp; &&", "&#x41;&#x42; c",
    "jempol 👍&#127995; ya", ":&#41; senyum", "kafir&amp;munafik", "&AMP; &Amp;", "&#150; &#9999999999;",
]
#: Pieces generated texts are made of: awkward characters and words, then HTML entities among a few of them.
_PIECES = [*"abz09.()-*+:;'\"@#&_!?/,|$\\", "👍", "😂", "🏻", "\u200d", "http://", "www.", "@user", "#tag", "021",
           "555", ":)", "...", "kata", "(021)", "+62", "rt", "RT ", "user", ": ", "k4f1r", "orang2", "b.a.b.i",
           "a n j i n g", " ", "  ", "\n", "\\n", "!!", "bgt", "bangeeet"]
_ENTITY_PIECES = ["&amp;", "&", "&amp;amp;", "&#32;", "&#8205;", "&#127995;", "&lt;", "3", "&gt;", "&quot;", "&bogus;",
                  "&#x41;", "&#49;", "&#150;", "&nbsp;", "&#;", "kata", "a", "b", "1", "2", ".", "-", "(", ")", ":",
                  ";", " ", " ", "👍", "021", "555", "1234", "k4f1r", "#tag", "@user", "\\n", "!!", "?"]


@pytest.mark.parametrize("text", _WORD_BY_WORD)
def test_normalizer_word_by_word_gives_the_whole_text_tokens(text: str) -> None:
    normalizer = Normalizer()
    assert normalizer.tokens(text) == normalizer._text_tokens(normalizer.clean(text))


@pytest.mark.parametrize(("seed", "pieces", "longest"), [(1, _PIECES, 25), (2, _ENTITY_PIECES, 20)])
def test_normalizer_word_by_word_on_generated_text(seed: int, pieces: list[str], longest: int) -> None:
    # a word with an entity is read alone once its entities are replaced: only when that leaves the tokens alone
    rng = random.Random(seed)
    normalizer = Normalizer()
    for _ in range(20_000):
        text = "".join(rng.choices(pieces, k=rng.randint(1, longest)))
        assert normalizer.tokens(text) == normalizer._text_tokens(normalizer.clean(text)), text


def test_slang_lexicon_is_used_and_data_dir_extends_it(tmp_path: Path) -> None:
    core = lexicons.slang_map()
    assert core["yg"] == "yang" and core["gak"] == "tidak"
    alay = tmp_path / "ibrohim2019"
    alay.mkdir()
    (alay / "new_kamusalay.csv").write_bytes("zzkata,kata benar\nyg,bukan yang\naseng,asing\nbloon,belum\n"
                                             "gblk,goblok\n".encode("latin-1"))
    extended = lexicons.slang_map(tmp_path)
    assert extended["zzkata"] == "kata benar"
    assert extended["yg"] == "yang"  # the project's own entry wins
    # a slur or an insult of the lexicons is not rewritten out of them ("aseng" is not "asing", foreign) ...
    assert "aseng" not in extended and "bloon" not in extended
    assert Normalizer(extended).tokens("dasar aseng bloon") == ["dasar", "aseng", "bloon"]
    # ... though it may be spelled as another insult
    assert extended["gblk"] == "goblok"


def test_analyzer_stems_cached_and_new_tokens_alike() -> None:
    # stems are read from the cache all at once and only the missing ones stemmed: the same as stemming each token
    rng = random.Random(4)
    words = ["membakar", "sarapan", "kafirnya", "gerejanya", "berlari", "dimakan", "kata", "orang-orang", "2019",
             "😂", "pelit", "usirin", "ngebakar", "pembunuhan", "x"]
    analyzer, plain = Analyzer(), Analyzer()
    for _ in range(2_000):
        text = " ".join(rng.choices(words, k=rng.randint(0, 8)))
        tokens, stems = analyzer.analyze(text)
        assert stems == [plain.stem(token) for token in tokens], text


def test_analyzer_pickles_with_its_cache() -> None:
    import pickle

    analyzer = Analyzer()
    tokens, stems = analyzer.analyze("Mereka menyebarkan berita bohong")
    assert stems == ["mereka", "sebar", "berita", "bohong"]
    clone = pickle.loads(pickle.dumps(analyzer))
    assert clone.stemmer.cache["menyebarkan"] == "sebar"
    assert clone.analyze("menyebarkan") == (["menyebarkan"], ["sebar"])


def _stock_rules_stems(words: list[str]) -> list[str]:
    """Stock Sastrawi 1.0.1's stemming code over its own dictionary held in a set: the very rules patroli's stemmer
    reimplements, at a speed a test can afford (the stock list-backed dictionary scans 30k words per lookup)."""
    from Sastrawi.Stemmer.Stemmer import Stemmer
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    stemmer = Stemmer(SetDictionary(StemmerFactory().get_words()))
    return [stemmer.stem(w) for w in words]


@needs_data
def test_fast_stemmer_matches_stock_sastrawi_on_corpus_words() -> None:
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    tweets = pd.read_csv(DATA_DIR / "ibrohim2019" / "re_dataset.csv", encoding="latin-1")["Tweet"]
    vocabulary = sorted({w for t in tweets for w in re.findall(r"[a-z]+(?:-[a-z]+)?", t.lower())})
    words = random.Random(7).sample(vocabulary, 3000)
    stock = dict(zip(words, _stock_rules_stems(words), strict=True))
    fast = FastStemmer()
    mismatches = [(w, stock[w], fast.stem(w)) for w in words if stock[w] != fast.stem(w)]
    assert mismatches == []
    assert sum(stock[w] != w for w in words) > 750  # the sample really exercises the affix rules
    # The set changes nothing but the speed: the untouched stock stemmer agrees on a couple dozen of the words.
    untouched = StemmerFactory().create_stemmer()
    assert all(untouched.stem(w) == stock[w] for w in words[:25])


def _words_of_own_files() -> list[str]:
    from pipeline.config import CHECKS_DIR, SAMPLES_DIR

    text = " ".join(p.read_text(encoding="utf-8") for p in [*CHECKS_DIR.glob("*.jsonl"), *SAMPLES_DIR.glob("*")])
    return sorted(set(re.findall(r"[a-z]+(?:-[a-z]+)?", text.lower())))


def test_guarded_prefix_rules_stem_as_every_rule_run_in_turn() -> None:
    from Sastrawi.Stemmer.Stemmer import Stemmer
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    from pipeline.text.stem import SetDictionary, _sastrawi_stemmer

    words = _words_of_own_files()
    if (DATA_DIR / "ibrohim2019").exists():
        tweets = pd.read_csv(DATA_DIR / "ibrohim2019" / "re_dataset.csv", encoding="latin-1")["Tweet"]
        words += sorted({w for t in tweets for w in re.findall(r"[a-z]+(?:-[a-z]+)?", t.lower())})
    every_rule = Stemmer(SetDictionary(StemmerFactory().get_words()))
    guarded = _sastrawi_stemmer()
    mismatches = [(w, every_rule.stem_word(w), guarded.stem_word(w)) for w in words
                  if every_rule.stem_word(w) != guarded.stem_word(w)]
    assert mismatches == []
    assert len(words) > 3000 and sum(every_rule.stem_word(w) != w for w in words) > 800


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()




@pytest.mark.parametrize(("text", "expected"), [
    ("Sudah sarapan belum?", {}),
    ("dasar sarap lu", {"abusive": {"sarap"}}),
    ("kafirnya makin banyak", {"sara": {"kafir"}}),
    ("kafilah dagang lewat", {}),
    ("aku cinta kamu", {}),
    ("c1na pulang sana", {"sara": {"cina"}}),
    ("cina-cina itu", {"sara": {"cina"}}),
    ("cina-nya pelit, gereja-mu", {"sara": {"cina", "gereja"}}),
    ("cina-an", {}),
    ("bakar gerejanya", {"sara": {"gereja"}, "incitement": {"bakar"}}),
    ("mereka membakar rumah", {"incitement": {"bakar"}}),
    ("ngusir tetangga", {"incitement": {"usir"}}),
    ("usirin aja", {"incitement": {"usir"}}),
    ("jangan pura-pura", {}),
    ("sampah masyarakatnya", {"abusive": {"sampah masyarakat", "sampah"}}),
])
def test_cues_match_whole_tokens_with_inflection(analyzer: Analyzer, text: str,
                                                 expected: dict[str, set[str]]) -> None:
    lexicon = {"abusive": {"sarap", "sampah", "sampah masyarakat"}, "sara": {"kafir", "cina", "gereja", "pura"},
               "incitement": {"bakar", "usir"}}
    from pipeline.text.cues import LexiconMatcher

    tokens, stems = analyzer.analyze(text)
    matcher = LexiconMatcher(lexicon, exceptions=["pura-pura"])
    found: dict[str, set[str]] = {}
    for name, term, _, _ in matcher.matches(tokens, stems):
        found.setdefault(name, set()).add(term)
    assert found == expected


def _plain_matches(matcher: LexiconMatcher, tokens: list[str], stems: list[str]) -> list[tuple[str, str, int, int]]:
    """What `LexiconMatcher.matches` finds, by the plain method: every token, every phrase compared word by word."""
    phrases: dict[str, list[tuple[str, list[str]]]] = {}
    for name, terms in matcher.lexicons.items():
        for term in sorted(terms):
            if " " in term:
                phrases.setdefault(term.split()[0], []).append((name, term.split()))
    out = []
    for i, token in enumerate(tokens):
        out += [(name, term, i, i + 1) for name, term in matcher.token_hits(token, stems[i])]
        for name, words in phrases.get(token, []):
            end = i + len(words)
            if end <= len(tokens) and tokens[i:end - 1] == words[:-1] and \
                    words[-1] in token_forms(tokens[end - 1], stems[end - 1]):
                out.append((name, " ".join(words), i, end))
    return out


def test_cue_matcher_finds_what_the_plain_method_finds_on_generated_text() -> None:
    # phrases share first words and whole prefixes, differ in length, end in words that inflect (one in an inflected
    # form of another's last word) and contain single-word terms; the matcher looks phrases up instead of comparing
    # them, and must find them in the same order
    lexicon = {"a": {"orang cina", "orang cina kafir", "orang batak", "orang", "kafir", "sampah masyarakat",
                     "anak haram", "anak pki", "bakar gereja"},
               "b": {"orang cina", "orang kafir", "sampah", "bakar", "cina", "gereja", "anak orang cina"},
               "c": {"tidak tahu diri", "tidak tahu malu", "tahu diri", "orang orang", "orang kafirnya"}}
    words = ["orang", "cina", "cinanya", "kafir", "kafirnya", "batak", "bataknya", "sampah", "masyarakat",
             "masyarakatnya", "anak", "haram", "pki", "bakar", "membakar", "gereja", "gerejanya", "tidak", "tahu",
             "diri", "dirinya", "malu", "kata", "cina-cina", "!"]
    rng = random.Random(3)
    matcher = LexiconMatcher(lexicon, exceptions=["kata"])
    full = LexiconMatcher(lexicon, exceptions=["kata"])
    full.LIMIT = 5  # its caches fill up after a few tokens: the others are looked at afresh each time
    for _ in range(5_000):
        tokens = rng.choices(words, k=rng.randint(0, 12))
        stems = [FastStemmer().stem(t) for t in tokens]
        expected = _plain_matches(matcher, tokens, stems)
        assert matcher.matches(tokens, stems) == expected, tokens
        assert full.matches(tokens, stems) == expected, tokens
    assert len(full._cache) == 5


def test_stems_of_lexicon_words_need_inflection(analyzer: Analyzer) -> None:
    # Sastrawi stems "sarapan" to the insult "sarap"; the analyzer keeps the word itself.
    assert analyzer.analyze("sarapan dulu")[1] == ["sarapan", "dulu"]
    assert analyzer.analyze("membakar kafirnya")[1] == ["bakar", "kafir"]
    assert FastStemmer().stem("sarapan") == "sarap"  # the stemmer itself stays Sastrawi's


@pytest.mark.parametrize(("text", "groups"), [
    ("Bakar gerejanya kalau mereka masih berani ibadah", ["umat Kristen (agama)"]),
    ("Dasar k4f1r", ["umat beragama lain (agama)"]),
    ("usir a5eng dari sini", ["etnis Tionghoa (ras)"]),
    ("orang Madura dan orang batak", ["orang Madura (suku)", "orang Batak (suku)"]),
    ("dasar mata sipit", ["etnis Tionghoa (ras)"]),
    ("India2nya pada pelit", ["keturunan India (ras)"]),
    ("Orang Toraja-nya jorok", ["orang Toraja (suku)"]),
    # what a religion holds sacred stands for its believers
    ("Al-Quran itu kitab karangan, Yesus cuma dongeng", ["umat Islam (agama)", "umat Kristen (agama)"]),
    ("umat Advent sok suci", ["umat Kristen (agama)"]),
    ("kaum buruh dan pengungsi", ["kaum buruh (antargolongan)", "pengungsi (antargolongan)"]),
    # groups looked down on for their work or class, named plainly, inflected or reduplicated
    ("ojol-ojolnya pada nyerobot, honorer2 juga", ["pengemudi ojek (antargolongan)", "pegawai honorer (antargolongan)"]),
    ("pedagang kaki limanya diusir", ["pedagang kecil (antargolongan)"]),
    # descendants of former political prisoners are a group; the party alone (a political camp) is not
    ("Keturunan PKI gak boleh jadi PNS", ["keturunan eks tahanan politik (antargolongan)"]),
    # a campaign tag names its target as plain words do
    ("Sudah saatnya #UsirMadura #BakarGereja", ["orang Madura (suku)", "umat Kristen (agama)"]),
    ("#usirpendatang sekarang", ["kaum pendatang (antargolongan)"]),
    ("#Jawabannya ada di sini", []),
    ("PKI dan komunis", []),
    # a phrase naming a belief hides the suku word inside it
    ("penganut Sunda Wiwitan", ["penghayat kepercayaan (agama)"]),
    # words that only contain a new term: studying, homecoming travellers, a perching bird, a house plant
    ("kuliah pagi, pemudik pulang, burung bertengger", []),
    ("Aku cinta kamu, sudah sarapan?", []),
    ("kafilah dagang, pura-pura sibuk", []),
])
def test_target_detector_names_the_groups(analyzer: Analyzer, text: str, groups: list[str]) -> None:
    from pipeline.text.targets import TargetDetector

    tokens, stems = analyzer.analyze(text)
    assert [t.describe() for t in TargetDetector().find(tokens, stems)] == groups


def test_target_lexicon_is_well_formed() -> None:
    from pipeline.labels import SARA_SUBLABELS

    rows = lexicons.targets()
    assert len(rows) > 150
    for term, group, type_, kind in rows:
        assert term == term.lower().strip() and kind in {"name", "slur", "place", "not"}, term
        assert kind == "not" or (group and type_ in SARA_SUBLABELS), term
    assert {type_ for _, _, type_, kind in rows if kind != "not"} == set(SARA_SUBLABELS)
    terms = [term for term, *_ in rows]
    assert len(terms) == len(set(terms)), sorted(t for t in set(terms) if terms.count(t) > 1)


@pytest.mark.parametrize(("text", "negated"), [
    ("orang minang itu tidak pelit", ["pelit"]),
    ("aku sama sekali gak anti cina", ["anti", "cina"]),
    ("bukan salah mereka, tapi salah kita", ["salah", "mereka"]),
    ("jangan beli di toko itu", []),
    ("tidak ada yang jujur", ["ada"]),
])
def test_negation_scope(normalizer: Normalizer, text: str, negated: list[str]) -> None:
    from pipeline.text.negation import NEGATED_PREFIX, mark_negated, negated_positions

    tokens = normalizer.tokens(text)
    assert [t for t, mark in zip(tokens, negated_positions(tokens), strict=True) if mark] == negated
    assert mark_negated(tokens, tokens).count(NEGATED_PREFIX + negated[0]) == 1 if negated else True

"""The third-party datasets, read in place from the data directory and mapped onto patroli's labels.

Each loader returns one row per text with the columns of `COLUMNS`: the text, its source and kind (tweet, post,
news, hoax, chain, debunk, clarification, review), a year when the source dates it, a group id for texts that must
stay in one fold (one fact-checked story), whether the row is held out of training (evaluation only), and one float
column per learned label: 1/0, or NaN where the source does not annotate that label. The mapping is documented in
data/README.md and in the model card.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.datasets import read_hoax_news, read_ibrohim
from pipeline.errors import InputError
from pipeline.labels import BASE_LABELS

COLUMNS: tuple[str, ...] = ("text", "source", "kind", "year", "group", "heldout", *BASE_LABELS)


@dataclass(frozen=True)
class Source:
    """A dataset: its files (relative to the data directory), the labels it annotates and its loader."""

    name: str
    files: tuple[str, ...]
    labels: tuple[str, ...]
    load: Callable[[Path], pd.DataFrame]


def _require(path: Path) -> Path:
    if not path.exists():
        raise InputError(f"training file {path} not found (set --data-dir or PATROLI_DATA_DIR to the data directory)")
    return path


def _frame(text: pd.Series | list[str], source: str, kind: str | pd.Series, **labels: object) -> pd.DataFrame:
    frame = pd.DataFrame({"text": pd.Series(text, dtype=object).astype(str).to_numpy()})
    frame["source"] = source
    frame["kind"] = kind if isinstance(kind, str) else np.asarray(kind, dtype=object)
    frame["year"] = np.nan
    frame["group"] = None
    frame["heldout"] = False
    for label in BASE_LABELS:
        value = labels.get(label, np.nan)
        frame[label] = np.asarray(value, dtype=float) if not np.isscalar(value) else float(value)  # type: ignore[arg-type]
    return frame


# --- ibrohim2019 -------------------------------------------------------------------------------------------------

def load_ibrohim(data_dir: Path) -> pd.DataFrame:
    """Tweets: hate_speech = HS, abusive = Abusive, sara = HS_Religion or HS_Race, provocation = HS_Strong (calls to
    action and incitement); hoax = 0 (ordinary tweets, not hoaxes)."""
    raw = read_ibrohim(data_dir)
    return _frame(raw["Tweet"], "ibrohim2019", "tweet", hoax=0.0, provocation=raw["HS_Strong"],
                  sara=raw["HS_Religion"] | raw["HS_Race"], hate_speech=raw["HS"], abusive=raw["Abusive"])


# --- netifier2018 ------------------------------------------------------------------------------------------------

_KASKUS_TAG = re.compile(r"\[/?(?:quote|img|center|b|i|u|url|spoiler|size|color|font|left|right)[^\]]*\]", re.I)
_KASKUS_IMAGE = re.compile(r"\[img\].*?\[/img\]", re.I | re.S)
_KASKUS_SMILEY = re.compile(r"(?<!\w):[a-z][a-z0-9]+\b")


def _clean_forum(text: str) -> str:
    """Kaskus markup out (quote headers, image links, tags, `:smiley` codes); the quoted words stay."""
    text = _KASKUS_IMAGE.sub(" ", text)
    text = _KASKUS_TAG.sub(" ", text)
    return _KASKUS_SMILEY.sub(" ", text).strip()


def load_netifier(data_dir: Path) -> pd.DataFrame:
    """Twitter, Instagram and Kaskus posts: sara = sara, provocation = radikalisme (radical, violent or anti-state
    calls); hoax = 0. Its other labels (pornografi, pencemaran_nama_baik) have no patroli counterpart."""
    root = Path(data_dir) / "netifier2018"
    raw = pd.concat([pd.read_csv(_require(root / name)) for name in ("train.csv", "test.csv")], ignore_index=True)
    text = raw["original_text"].fillna("").astype(str).map(_clean_forum)
    return _frame(text, "netifier2018", "post", hoax=0.0, sara=raw["sara"], provocation=raw["radikalisme"])


# --- hoax_news2020 -----------------------------------------------------------------------------------------------

_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "mei": 5, "may": 5, "jun": 6, "jul": 7, "agu": 8, "agt": 8,
           "aug": 8, "sep": 9, "okt": 10, "oct": 10, "nov": 11, "des": 12, "dec": 12}
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\W+([a-z]{3})[a-z]*\W+(\d{2,4})", re.I)


def indonesian_year(value: object) -> float:
    """The year of a date like "17-Aug-20", "03-Okt-18" or "5 Mei 2019" (Indonesian or English month), else NaN."""
    match = _DAY_MONTH_YEAR.search(str(value))
    if not match or match.group(2).lower() not in _MONTHS:
        return np.nan
    year = int(match.group(3))
    return float(year + 2000 if year < 100 else year)


def load_hoax_news(data_dir: Path) -> pd.DataFrame:
    """Hoax and valid items (title + narrative), 2015-2020: hoax = label; other labels unknown."""
    raw = read_hoax_news(data_dir)
    text = raw["judul"].fillna("").astype(str).str.strip() + ". " + raw["narasi"].fillna("").astype(str).str.strip()
    frame = _frame(text, "hoax_news2020", np.where(raw["label"] == 1, "hoax", "news"), hoax=raw["label"])
    frame["year"] = raw["tanggal"].map(indonesian_year).to_numpy()
    return frame


# --- turnbackhoax2021 --------------------------------------------------------------------------------------------

_NARRATIVE = re.compile(r"(?:\(\s*narasi\s*\)|\bnarasi\b)\s*(?:\(\s*\d+\s*\))?\s*[:|]?\s*", re.I)
_SECTION = re.compile(r"======|\((?i:penjelasan|fakta|referensi|kesimpulan|sumber|kategori|analisa)\)|"
                      r"\b(?i:penjelasan|fakta|referensi|kesimpulan|sumber|kategori|analisa|hasil cek fakta|"
                      r"link counter|narasi)\b\s*[:&]|\b(?:PENJELASAN|REFERENSI|ANALISA|KESIMPULAN|FAKTA)\b")
_EXPLANATION = re.compile(r"\(?\b(?:penjelasan|fakta|analisa|kesimpulan)\b\)?\s*:?\s*", re.I)
_YEAR = re.compile(r"(?<!\d)(201[0-9]|2020)(?!\d)")
_QUOTES = " \"'“”‘’"


def chain_message(body: str) -> str | None:
    """The circulated message a debunk page quotes: from its NARASI marker to the next section, if it has words."""
    start = _NARRATIVE.search(body)
    if start is None:
        return None
    rest = body[start.end():]
    end = _SECTION.search(rest)
    message = (rest[: end.start()] if end else rest).strip(_QUOTES)
    return message if len(message.split()) >= 5 else None


def debunk_text(body: str) -> str | None:
    """The page's own explanation (its PENJELASAN / FAKTA section, up to the references), if it has words."""
    start = _EXPLANATION.search(body)
    if start is None:
        return None
    rest = body[start.end():]
    end = re.search(r"======|\breferensi\b|\bsumber\s*:|\bnarasi\b", rest, re.I)
    text = (rest[: end.start()] if end else rest).strip(_QUOTES)
    return text if len(text.split()) >= 8 else None


def clarification_text(body: str) -> str | None:
    """A clarification page's opening statement (before its first section marker), if it has words."""
    end = _SECTION.search(body)
    text = (body[: end.start()] if end else body).strip(_QUOTES)
    return text if len(text.split()) >= 8 else None


def _page_year(body: str) -> float:
    years = [int(y) for y in _YEAR.findall(body)]
    return float(max(years)) if years else np.nan


def load_turnbackhoax(data_dir: Path) -> pd.DataFrame:
    """TurnBackHoax debunk pages: each debunked hoax's quoted chain message (hoax = 1) and each page's own
    explanation (hoax = 0: a debunk is not a hoax); clarification pages' own statements (hoax = 0). Headlines are
    left out: many state the claim being checked. Other labels unknown. The file is cp1252 with damaged characters, decoded with replacement."""
    raw_bytes = _require(Path(data_dir) / "turnbackhoax2021" / "scrapping.csv").read_bytes()
    raw = pd.read_csv(io.StringIO(raw_bytes.decode("cp1252", errors="replace")), sep=";", usecols=[0, 1, 2],
                      dtype=str, engine="python").fillna("")
    texts, kinds, hoax, years, groups = [], [], [], [], []
    for i, (label, body) in enumerate(raw[["Label", "Body"]].itertuples(index=False)):
        year = _page_year(body)
        found = []
        if label.strip() == "0":
            found += [(chain_message(body), "chain", 1.0), (debunk_text(body), "debunk", 0.0)]
        elif label.strip() == "1":
            found.append((debunk_text(body) or clarification_text(body), "clarification", 0.0))
        for text, kind, value in found:
            if text:
                texts.append(text)
                kinds.append(kind)
                hoax.append(value)
                years.append(year)
                groups.append(f"turnbackhoax2021:{i}")
    frame = _frame(texts, "turnbackhoax2021", pd.Series(kinds), hoax=hoax)
    frame["year"] = years
    frame["group"] = groups
    return frame


# --- falsenews_tweets2019 ----------------------------------------------------------------------------------------

#: Tweets that report or refute a false story rather than spread it ("[Cek Fakta] ...", "... itu hoaks").
_DEBUNK = re.compile(r"hoaks|hoax|hoks|cek\s*fakta|fakta atau|\[salah\]|klarifikasi|bantah|tidak benar|bukan fakta|"
                     r"disinformasi|misinformasi|turnbackhoax|faktanya|menyesatkan", re.I)
_NOT_DEBUNK = re.compile(r"bukan (?:hoax|hoaks)|(?:hoax|hoaks)\s*\?", re.I)


def is_debunk(text: str) -> bool:
    """Whether a tweet refutes or reports on a false story (a hoax that insists it is "bukan hoax" does not)."""
    return bool(_DEBUNK.search(text)) and not _NOT_DEBUNK.search(text)


def load_falsenews(data_dir: Path) -> pd.DataFrame:
    """Tweets on fact-checked stories of the 2019 campaign: False News = hoax 1, except tweets that debunk or report
    the story (hoax 0, kind debunk); True News = hoax 0; Misleading News and Other are left unknown. Grouped by
    story (`topic`), dated by `date`."""
    root = Path(data_dir) / "falsenews_tweets2019"
    raw = pd.concat([pd.read_csv(_require(root / name), sep="\t", quoting=csv.QUOTE_MINIMAL)
                     for name in ("traindata.tsv", "testdata.tsv")], ignore_index=True)
    text = raw["tweets"].fillna("").astype(str)
    debunk = text.map(is_debunk).to_numpy()
    false_news = (raw["class"] == "False News").to_numpy()
    true_news = (raw["class"] == "True News").to_numpy()
    hoax = np.where(false_news & ~debunk, 1.0, np.where(true_news | (false_news & debunk), 0.0, np.nan))
    kind = np.where(debunk, "debunk", "tweet")
    frame = _frame(text, "falsenews_tweets2019", pd.Series(kind), hoax=hoax)
    frame["year"] = pd.to_datetime(raw["date"], utc=True, errors="coerce").dt.year.to_numpy(dtype=float)
    frame["group"] = ("falsenews_tweets2019:" + raw["topic"].astype(str)).to_numpy()
    return frame


# --- smsa2019 ----------------------------------------------------------------------------------------------------

def load_smsa(data_dir: Path) -> pd.DataFrame:
    """Ordinary comments and reviews: not hoax or hate speech (a complaint that insults a politician is not taken
    for hate). Positive and neutral ones (kind "review") are not provocation or SARA either; negative ones (kind
    "complaint") are left unknown for those two, because some are exactly that (SARA insults and calls to violence
    among the complaints about politicians and products), and a sentiment label does not say which. Abusive
    unknown (complaints swear). valid.tsv and test.tsv are held out of training, to measure how much ordinary text
    gets flagged."""
    root = Path(data_dir) / "smsa2019"
    frames = []
    for name in ("train.tsv", "valid.tsv", "test.tsv"):
        raw = pd.read_csv(_require(root / name), sep="\t", header=None, names=["text", "sentiment"],
                          quoting=csv.QUOTE_NONE, dtype=str)
        complaint = (raw["sentiment"] == "negative").to_numpy()
        quiet = np.where(complaint, np.nan, 0.0)
        frame = _frame(raw["text"].fillna(""), "smsa2019", pd.Series(np.where(complaint, "complaint", "review")),
                       hoax=0.0, provocation=quiet, sara=quiet, hate_speech=0.0)
        frame["heldout"] = name != "train.tsv"
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


SOURCES: dict[str, Source] = {s.name: s for s in (
    Source("ibrohim2019", ("ibrohim2019/re_dataset.csv",), ("hoax", "provocation", "sara", "hate_speech", "abusive"),
           load_ibrohim),
    Source("netifier2018", ("netifier2018/train.csv", "netifier2018/test.csv"), ("hoax", "provocation", "sara"),
           load_netifier),
    Source("hoax_news2020", ("hoax_news2020/data_latih.csv",), ("hoax",), load_hoax_news),
    Source("turnbackhoax2021", ("turnbackhoax2021/scrapping.csv",), ("hoax",), load_turnbackhoax),
    Source("falsenews_tweets2019", ("falsenews_tweets2019/traindata.tsv", "falsenews_tweets2019/testdata.tsv"),
           ("hoax",), load_falsenews),
    Source("smsa2019", ("smsa2019/train.tsv", "smsa2019/valid.tsv", "smsa2019/test.tsv"),
           ("hoax", "provocation", "sara", "hate_speech"), load_smsa),
)}

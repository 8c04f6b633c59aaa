"""Matching posts to known, already-debunked hoax claims: the claim index, match levels, the combined hoax score.

    >>> claims = read_claims("data/samples/claims.csv")          # or ClaimReview JSON-LD, or JSONL
    >>> index = ClaimIndex(claims)                                # picklable; thresholds travel with it
    >>> index.match(["Assalamualaikum, info dari grup sebelah: ..."], k=5, as_frame=True)
    >>> index.best_matches(texts)                                 # Match | None per post (None below `suggest`)
    >>> combine_hoax(classifier_hoax_scores, similarities)        # the hoax score raised by a known-claim match

Similarity is a weighted cosine (0.5 char_wb 3-5-grams + 0.5 word 1-2-grams, sublinear TF-IDF learned from the
claims) between the post and the claim, taking the best of the whole post and of word windows of it, so added
greetings, commentary and truncation do not dilute a copied hoax. Two thresholds on that similarity:
`suggest` (the claim is shown to the analyst as evidence) and `match` (the match alone makes the post a hoax
candidate; chosen so that ordinary tweets almost never reach it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.claims._text import normalize_claim_text
from pipeline.claims._vectors import HashedTfidf, Span, TwoStageSearch, VectorSpec
from pipeline.errors import InputError

# Measured by `evaluate_claim_matching` (benchmarks/bench_claims.py): chosen on a calibration half of the
# ibrohim2019 tweets against the 3,450 hoax_news2020 hoax titles (0.2725 and 0.3986 there), rounded up; on the
# held-out half 0.50% of ordinary tweets reach `match` (33 of 6,585) and 4.3% `suggest`. More claims mean more
# chances of a chance match: re-calibrate with `ClaimIndex.calibrate(ordinary_posts)` for a much larger set.
DEFAULT_SUGGEST = 0.28
DEFAULT_MATCH = 0.40
MATCH_FLOOR = 0.8
SUGGEST_RAISE = 0.25


@dataclass(frozen=True)
class Match:
    """A post's match to a known claim. `level` is "match", "suggest" or "below" (under both thresholds)."""

    claim_id: str
    title: str
    url: str | None
    verdict: str | None
    similarity: float
    rank: int
    level: str

    def as_evidence(self) -> dict[str, Any]:
        """The JSON-able evidence record: claim_id, title, url, verdict, similarity, level."""
        out = asdict(self)
        out.pop("rank")
        out["similarity"] = round(self.similarity, 4)
        return out


def combine_hoax(classifier_score: float | np.ndarray, similarity: float | np.ndarray, *,
                 suggest: float = DEFAULT_SUGGEST, match: float = DEFAULT_MATCH, floor: float = MATCH_FLOOR,
                 mild: float = SUGGEST_RAISE, flag_threshold: float | None = None) -> Any:
    """The hoax score of a post from the classifier's hoax probability and its best claim similarity.

    - similarity < `suggest`: the classifier score, unchanged;
    - `suggest` <= similarity < `match`: a mild raise, p + (1 - p) * `mild` * t, with t going 0 -> 1 across
      the band (at most a quarter of the way to 1 with the default);
    - similarity >= `match`: at least `floor` + (1 - `floor`) * (similarity - match) / (1 - match), i.e. 0.8 at
      the threshold rising to 1.0 at identity, and never less than the mild raise or the classifier score.
      Pass the hoax label's `flag_threshold` to make a match alone flag the post: the floor then becomes
      max(`floor`, `flag_threshold`).

    The result is in [0, 1], never below the classifier score, and non-decreasing in both arguments.
    Accepts scalars or arrays (broadcast); NaN similarity counts as no match. Returns a float for scalars.
    """
    p = np.clip(np.asarray(classifier_score, dtype=float), 0.0, 1.0)
    s = np.nan_to_num(np.asarray(similarity, dtype=float), nan=0.0)
    band = max(match - suggest, 1e-9)
    t = np.clip((s - suggest) / band, 0.0, 1.0)
    raised = p + (1.0 - p) * mild * t
    low = floor if flag_threshold is None else max(floor, min(float(flag_threshold), 1.0))
    strong = np.where(s >= match, low + (1.0 - low) * np.clip((s - match) / max(1.0 - match, 1e-9), 0, 1), 0.0)
    out = np.maximum(raised, strong)
    return float(out) if out.ndim == 0 else out


class ClaimIndex:
    """Matches posts to known claims; build from a claims DataFrame (`read_claims` or `store.frames.claims_frame`).

    Each claim is indexed by its `text`, its `title` when different, and its `narrative` when given (the
    hoax text as it circulated): a post's similarity to a claim is the best over these. Picklable
    (joblib too); memory is about the sparse matrices, see `nbytes()`.

    Parameters: `suggest`/`match` thresholds (default: the module's measured values); `window_words`: posts
    longer than 1.5x this many words are also scored by windows of it (0 disables); `batch_size`: posts per
    sparse product; `n_candidates`: claims rescored exactly per post; `spec`: the n-gram set-up.
    """

    def __init__(self, claims: pd.DataFrame, *, suggest: float | None = None, match: float | None = None,
                 window_words: int = 32, batch_size: int = 1000, n_candidates: int = 20,
                 spec: VectorSpec | None = None) -> None:
        frame = _claims_frame(claims)
        self.spec = spec or VectorSpec()
        self.window_words = window_words
        self.batch_size = batch_size
        self.suggest_threshold = DEFAULT_SUGGEST if suggest is None else float(suggest)
        self.match_threshold = DEFAULT_MATCH if match is None else float(match)
        self.claim_ids = frame["claim_id"].to_numpy(dtype=object)
        self.titles = frame["title"].to_numpy(dtype=object)
        self.urls = frame["url"].to_numpy(dtype=object)
        self.verdicts = frame["verdict"].to_numpy(dtype=object)
        texts, owners = _index_texts(frame)
        self.row_claim = np.asarray(owners, dtype=np.int64)
        self._vectorizer = HashedTfidf(self.spec)
        vectors = self._vectorizer.fit_transform(texts)
        assert self._vectorizer.df_ is not None
        self._search = TwoStageSearch(vectors, self._vectorizer.df_, n_candidates=n_candidates)
        self._vectorizer.df_ = None  # only the search structure needed it: don't hold or pickle 8 MiB more

    def __len__(self) -> int:
        return len(self.claim_ids)

    def __repr__(self) -> str:
        return (f"ClaimIndex({len(self)} claims, suggest={self.suggest_threshold:.3f}, "
                f"match={self.match_threshold:.3f})")

    @property
    def thresholds(self) -> dict[str, float]:
        return {"suggest": self.suggest_threshold, "match": self.match_threshold}

    def nbytes(self) -> int:
        """Bytes held by the index arrays: the sparse claim matrices and the IDF array (not claim metadata)."""
        idf = self._vectorizer.idf_
        assert idf is not None
        return self._search.nbytes() + idf.nbytes + self.row_claim.nbytes

    def search(self, texts: Sequence[str], k: int = 5, floor: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(claim positions, similarities), each (len(texts), k), best first; position -1 / similarity 0 pad.
        With `floor`, claims below that similarity may be left out (faster); all those at or above it are kept."""
        texts = list(texts)
        k = max(1, min(k, len(self)))
        ids_out = np.full((len(texts), k), -1, dtype=np.int64)
        sims_out = np.zeros((len(texts), k))
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start:start + self.batch_size]
            ids, sims = self._search_batch(batch, k, floor)
            ids_out[start:start + len(batch)] = ids
            sims_out[start:start + len(batch)] = sims
        return ids_out, sims_out

    def match(self, texts: Iterable[str], k: int = 5, *, as_frame: bool = False) -> Any:
        """Up to `k` claims per post (similarity > 0), best first.

        Returns a list (one list of Match per post), or with `as_frame=True` a DataFrame with columns post
        (position of the text), rank (1 = best), claim_id, title, url, verdict, similarity, level.
        """
        texts = list(texts)
        ids, sims = self.search(texts, k)
        out = [[self._match(int(c), float(s), r + 1) for r, (c, s) in enumerate(zip(row_ids, row_sims, strict=True))
                if c >= 0 and s > 0] for row_ids, row_sims in zip(ids, sims, strict=True)]
        if not as_frame:
            return out
        records = [{"post": i} | asdict(m) for i, ms in enumerate(out) for m in ms]
        columns = ["post", "rank", "claim_id", "title", "url", "verdict", "similarity", "level"]
        return pd.DataFrame(records, columns=columns).astype({"post": "int64", "rank": "int64",
                                                                "similarity": "float64"})

    def best_matches(self, texts: Iterable[str]) -> list[Match | None]:
        """Per post, its best claim if at or above the `suggest` threshold, else None."""
        ids, sims = self.search(list(texts), 1, floor=self.suggest_threshold)
        return [self._match(int(c), float(s), 1) if c >= 0 and s >= self.suggest_threshold else None
                for c, s in zip(ids[:, 0], sims[:, 0], strict=True)]

    def combine_hoax(self, classifier_score: float | np.ndarray, similarity: float | np.ndarray, *,
                     flag_threshold: float | None = None) -> Any:
        """`combine_hoax` with this index's thresholds (pass the hoax flag threshold so a match alone flags)."""
        return combine_hoax(classifier_score, similarity, suggest=self.suggest_threshold,
                            match=self.match_threshold, flag_threshold=flag_threshold)

    def calibrate(self, ordinary_texts: Sequence[str], *, false_match_rate: float = 0.005,
                  false_suggest_rate: float = 0.05, minimum: float = 0.2) -> dict[str, float]:
        """Set both thresholds from ordinary (non-hoax) posts and return them.

        `match` becomes the lowest similarity that at most `false_match_rate` of these posts reach with their
        best claim, `suggest` likewise for `false_suggest_rate`; neither goes below `minimum`.
        """
        if not ordinary_texts:
            raise InputError("calibration needs ordinary posts")
        best = self.search(list(ordinary_texts), 1)[1][:, 0]
        self.suggest_threshold, self.match_threshold = thresholds_for(best, false_match_rate=false_match_rate,
                                                                      false_suggest_rate=false_suggest_rate,
                                                                      minimum=minimum)
        return self.thresholds

    def level(self, similarity: float) -> str:
        """'match', 'suggest' or 'below' for a similarity, by this index's thresholds."""
        if similarity >= self.match_threshold:
            return "match"
        return "suggest" if similarity >= self.suggest_threshold else "below"

    def _match(self, pos: int, similarity: float, rank: int) -> Match:
        url = self.urls[pos]
        verdict = self.verdicts[pos]
        return Match(claim_id=str(self.claim_ids[pos]), title=str(self.titles[pos]),
                     url=None if _missing(url) else str(url), verdict=None if _missing(verdict) else str(verdict),
                     similarity=round(similarity, 6), rank=rank, level=self.level(similarity))

    def _search_batch(self, texts: Sequence[str], k: int, floor: float | None) -> tuple[np.ndarray, np.ndarray]:
        norms, spans = _query_rows(texts, self.window_words)
        owners = [i for i, _, _ in spans]
        Q = self._vectorizer.transform(norms, spans)
        rows, sims = self._search.top(Q, max(k, self._search.n_candidates), floor)
        claims = np.where(rows >= 0, self.row_claim[rows.clip(0)], -1)
        post = np.repeat(np.asarray(owners, dtype=np.int64), rows.shape[1])
        claim = claims.ravel()
        sim = sims.ravel()
        keep = claim >= 0
        post, claim, sim = post[keep], claim[keep], sim[keep]
        # best similarity per (post, claim) across windows and claim rows, then top k per post
        order = np.lexsort((-sim, claim, post))
        post, claim, sim = post[order], claim[order], sim[order]
        first = np.ones(len(post), dtype=bool)
        first[1:] = (post[1:] != post[:-1]) | (claim[1:] != claim[:-1])
        post, claim, sim = post[first], claim[first], sim[first]
        order = np.lexsort((claim, -sim, post))
        post, claim, sim = post[order], claim[order], sim[order]
        starts = np.searchsorted(post, post, side="left")
        rank = np.arange(len(post)) - starts
        top = rank < k
        ids = np.full((len(texts), k), -1, dtype=np.int64)
        out = np.zeros((len(texts), k))
        ids[post[top], rank[top]] = claim[top]
        out[post[top], rank[top]] = np.clip(sim[top], 0.0, 1.0)
        return ids, out


def threshold_for_rate(best: np.ndarray, rate: float) -> float:
    """The smallest similarity t such that at most `rate` of `best` is >= t."""
    values = np.sort(np.asarray(best, dtype=float))[::-1]
    allowed = int(math.floor(rate * len(values)))
    if allowed >= len(values):
        return 0.0
    return float(np.nextafter(values[allowed], np.inf))


def thresholds_for(best: np.ndarray, *, false_match_rate: float = 0.005, false_suggest_rate: float = 0.05,
                   minimum: float = 0.2) -> tuple[float, float]:
    """(suggest, match) from ordinary posts' best similarities: the lowest similarities that at most
    `false_suggest_rate` / `false_match_rate` of them reach, never below `minimum`, and match >= suggest."""
    suggest = max(threshold_for_rate(best, false_suggest_rate), minimum)
    return suggest, max(threshold_for_rate(best, false_match_rate), suggest)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _claims_frame(claims: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(claims, pd.DataFrame):
        raise InputError("ClaimIndex needs a claims DataFrame (see read_claims)")
    if "claim_id" not in claims.columns or not ({"text", "title"} & set(claims.columns)):
        raise InputError("claims need the columns claim_id and text (or title)")
    frame = claims.reset_index(drop=True).copy()
    for name in ("title", "text", "url", "verdict", "narrative"):
        if name not in frame.columns:
            frame[name] = None
    text = frame["text"].where(frame["text"].map(lambda v: not _missing(v)), frame["title"])
    frame["title"] = frame["title"].where(frame["title"].map(lambda v: not _missing(v)), text)
    frame["text"] = text
    frame = frame[frame["text"].map(lambda v: not _missing(v))]
    if frame.empty:
        raise InputError("no claims with text to index")
    return frame.drop_duplicates("claim_id", keep="last").reset_index(drop=True)


def _index_texts(frame: pd.DataFrame) -> tuple[list[str], list[int]]:
    texts: list[str] = []
    owners: list[int] = []
    for pos, row in enumerate(frame[["text", "title", "narrative"]].itertuples(index=False)):
        seen: set[str] = set()
        for value in row:
            norm = "" if _missing(value) else normalize_claim_text(value)
            if norm and norm not in seen:
                seen.add(norm)
                texts.append(norm)
                owners.append(pos)
        if not seen:  # a claim that is only boilerplate still gets a (non-matching) row
            texts.append("")
            owners.append(pos)
    return texts, owners


def _query_rows(texts: Sequence[str], window: int) -> tuple[list[str], list[Span]]:
    """The normalised texts, and the rows to score them by: each text whole and, when longer than 1.5 windows, its
    windows of `window` words, half a window apart (the last one may be shorter)."""
    norms = [normalize_claim_text(text) for text in texts]
    spans: list[Span] = []
    for i, norm in enumerate(norms):
        n = norm.count(" ") + 1 if norm else 0  # normalised text: words between single spaces
        spans.append((i, 0, n))
        if window > 0 and n > window + window // 2:
            step = window // 2
            spans += [(i, start, min(start + window, n)) for start in range(0, n - window + step, step)]
    return norms, spans

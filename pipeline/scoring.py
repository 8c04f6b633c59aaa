"""Scoring posts into `ScanRecord`s: the model's calibrated scores raised by known-claim matches, the model's flag
rule, evidence for each flag, and the queue priority (risk times reach)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pipeline.claims import ClaimIndex, Match
from pipeline.classify.artifact import Model
from pipeline.classify.explain import explain_row
from pipeline.posts import Post
from pipeline.records import ScanRecord

#: How much each label weighs in the risk: what is likeliest to spark conflict comes first.
RISK_WEIGHTS: dict[str, float] = {"provocation": 1.0, "sara": 1.0, "sara_agama": 1.0, "sara_ras": 1.0,
                                  "hoax": 0.8, "hate_speech": 0.6, "abusive": 0.3}
#: Reach figures: (weight, the count treated as full reach).
REACH_SCALE: dict[str, tuple[float, float]] = {"shares": (0.5, 1e4), "views": (0.3, 1e6),
                                               "followers": (0.2, 1e6)}


def priority(scores: dict[str, float], flags: Iterable[str], shares: int | None = None,
             views: int | None = None, followers: int | None = None) -> float:
    """Queue priority in [0, 100]: risk times reach.

    risk  = 1 - prod over flagged labels l of (1 - w_l * score_l), a noisy-OR, with weights w:
            provocation = sara (and its sub-labels) 1.0 > hoax 0.8 > hate_speech 0.6 > abusive 0.3;
            so the surest, most dangerous flag dominates and each further flag adds a little.
    reach = 0.5 * r(shares, 1e4) + 0.3 * r(views, 1e6) + 0.2 * r(followers, 1e6),
            r(x, full) = min(1, log10(1 + x) / log10(1 + full)); an unknown figure counts 0.
    priority = 100 * risk * (1 + reach) / 2: reach can at most double a post's priority, never
            lift a harmless one, so a viral insult stays below a provocation with modest reach.
    """
    risk = 1.0
    for label in sorted(set(flags)):
        score = min(max(float(scores.get(label, 0.0)), 0.0), 1.0)
        risk *= 1.0 - RISK_WEIGHTS.get(label, 0.5) * score
    risk = 1.0 - risk
    reach = 0.0
    for name, value in (("shares", shares), ("views", views), ("followers", followers)):
        if value is None or (isinstance(value, float) and math.isnan(value)) or value <= 0:
            continue
        weight, full = REACH_SCALE[name]
        reach += weight * min(1.0, math.log10(1.0 + float(value)) / math.log10(1.0 + full))
    return round(100.0 * risk * (1.0 + reach) / 2.0, 4)


def top_label(flags: Iterable[str], scores: dict[str, float]) -> str | None:
    """The flag that weighs most in the priority's risk (risk weight x score; ties: the first flag), or None."""
    return max(flags, key=lambda label: RISK_WEIGHTS.get(label, 0.5) * float(scores.get(label, 0.0)), default=None)


class Scorer:
    """Scores posts with a model (and optionally a known-claims index) into scan records."""

    def __init__(self, model: Model, thresholds: dict[str, float] | None = None, claims: ClaimIndex | None = None,
                 top_terms: int = 5) -> None:
        self.model = model
        self.thresholds = model.resolve_thresholds(thresholds)
        self.claims = claims
        self.top_terms = top_terms

    def score(self, posts: Sequence[Post]) -> list[ScanRecord]:
        """One record per post: scores, flags, evidence, priority, model version and the post's own fields."""
        if not posts:
            return []
        labels = self.model.labels
        clf = self.model.estimator
        M, normalized, stemmed = clf.featurize([p.text for p in posts])
        proba = clf.proba_from_features(M)
        matches: list[Match | None] = [None] * len(posts)
        if self.claims is not None:
            hoax = labels.index("hoax")
            matches = self.claims.best_matches([p.text for p in posts])
            similarity = [m.similarity if m is not None else 0.0 for m in matches]
            # A match raises the hoax score past this model's own hoax threshold, so it flags by itself.
            proba[:, hoax] = self.claims.combine_hoax(proba[:, hoax], similarity,
                                                      flag_threshold=self.thresholds["hoax"])
        flags = self.model.flags(proba, self.thresholds)
        captured = datetime.now(UTC)
        records = []
        for i, (post, row) in enumerate(zip(posts, proba.tolist(), strict=True)):
            scores = {label: round(p, 6) for label, p in zip(labels, row, strict=True)}
            evidence: dict[str, Any] = {}
            if flags[i]:
                evidence.update(explain_row(clf, M[i], normalized[i], stemmed[i], flags[i], self.top_terms))
            if matches[i] is not None:
                evidence["claim"] = matches[i].as_evidence()
            rank = priority(scores, flags[i], post.shares, post.views, post.followers) if flags[i] else 0.0
            records.append(ScanRecord.of(post, scores=scores, flags=flags[i], evidence=evidence, priority=rank,
                                         model_version=self.model.version, captured_at=captured))
        return records

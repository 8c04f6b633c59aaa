"""Scoring posts into `ScanRecord`s: the model's calibrated scores raised by known-claim matches, the model's flag
rule, evidence for each flag, and the queue priority (risk times reach, `pipeline.priority`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipeline import cycles
from pipeline.claims import ClaimIndex, Match
from pipeline.classify.artifact import Model
from pipeline.classify.explain import explain_rows
from pipeline.posts import Post
from pipeline.priority import priority
from pipeline.records import ScanRecord


@dataclass(slots=True)
class Assessment:
    """What scoring found for one text: a score per label, the flags, their evidence and the queue priority."""

    scores: dict[str, float]
    flags: list[str]
    evidence: dict[str, Any]
    priority: float


#: A post's reach figures: (shares, views, followers), None where unknown.
Reach = tuple[int | None, int | None, int | None]


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
        found = self.assess([p.text for p in posts], [(p.shares, p.views, p.followers) for p in posts])
        captured = datetime.now(UTC)
        return [ScanRecord.of(post, scores=a.scores, flags=a.flags, evidence=a.evidence, priority=a.priority,
                              model_version=self.model.version, captured_at=captured)
                for post, a in zip(posts, found, strict=True)]

    def assess(self, texts: Sequence[str], reach: Sequence[Reach]) -> list[Assessment]:
        """One assessment per text (with its post's reach, for the priority): what `score` puts in a record, without
        the post itself, so that worker processes exchange only texts and results."""
        if not texts:
            return []
        # The cycle collector would only re-walk the model and the caches that grow as posts are read.
        with cycles.paused():
            return self._assess(texts, reach)

    def _assess(self, texts: Sequence[str], reach: Sequence[Reach]) -> list[Assessment]:
        labels = self.model.labels
        clf = self.model.estimator
        featurized = clf.featurize(list(texts))
        proba = clf.proba_from_features(featurized.matrix)
        matches: list[Match | None] = [None] * len(texts)
        if self.claims is not None:
            hoax = labels.index("hoax")
            matches = self.claims.best_matches(list(texts))
            similarity = [m.similarity if m is not None else 0.0 for m in matches]
            # A match raises the hoax score past this model's own hoax threshold, so it flags by itself.
            proba[:, hoax] = self.claims.combine_hoax(proba[:, hoax], similarity,
                                                      flag_threshold=self.thresholds["hoax"])
        flags = self.model.flags(proba, self.thresholds)
        explained = explain_rows(clf, featurized.matrix, featurized.normalized, featurized.stemmed, flags,
                                 self.top_terms, featurized.hits, featurized.negated)
        out = []
        for i, row in enumerate(proba.tolist()):
            scores = {label: round(p, 6) for label, p in zip(labels, row, strict=True)}
            evidence: dict[str, Any] = dict(explained[i])
            if matches[i] is not None:
                evidence["claim"] = matches[i].as_evidence()
            rank = priority(scores, flags[i], *reach[i]) if flags[i] else 0.0
            out.append(Assessment(scores, flags[i], evidence, rank))
        return out

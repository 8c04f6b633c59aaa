"""Known, already-debunked hoax claims: reading them, keeping them in the database, matching posts to them.

    >>> claims = read_claims("data/samples/claims.csv")          # or ClaimReview JSON-LD, or JSONL
    >>> index = ClaimIndex(claims)                                # picklable; thresholds travel with it
    >>> index.match(["Assalamualaikum, info dari grup sebelah: ..."], k=5, as_frame=True)
    >>> import_claims("claims.csv", "sqlite:///patroli.db")      # into the database every scan matches against

How well matching works on real data: `pipeline.claims.evaluate` (it trains a TF-IDF baseline with scikit-learn,
which matching itself does not import).
"""

from __future__ import annotations

from pipeline.claims.db import claim_index, import_claims, list_claims, search_claims
from pipeline.claims.index import DEFAULT_MATCH, DEFAULT_SUGGEST, ClaimIndex, Match, combine_hoax
from pipeline.claims.io import CLAIM_COLUMNS, read_claims

__all__ = ["CLAIM_COLUMNS", "DEFAULT_MATCH", "DEFAULT_SUGGEST", "ClaimIndex", "Match", "claim_index", "combine_hoax",
           "import_claims", "list_claims", "read_claims", "search_claims"]

"""patroli: Indonesian social-media patrol — hoax, provocation and SARA hate-speech scoring with a review queue.

Notebook use::

    import pipeline
    model = pipeline.load_model()              # the shipped default, checked against its card
    model.score(["teks postingan ..."])        # DataFrame: one float column per label
    results = pipeline.scan("posts.csv")       # DataFrame: scores, flags, evidence per post
    pipeline.review.queue_frame("sqlite:///patroli.db")   # the review queue as a DataFrame
    pipeline.run_checks(model)                 # the functional test suite: expected vs given flags per case
"""

from __future__ import annotations

__version__ = "0.1.0"

from pipeline import report, review
from pipeline.claims import ClaimIndex, read_claims
from pipeline.classify.artifact import Model, load_model
from pipeline.classify.checks import run_checks
from pipeline.classify.estimator import PatroliClassifier
from pipeline.errors import ConfigError, InputError, ModelError, PatroliError, StoreError
from pipeline.labels import FLAG_LABELS, LABELS
from pipeline.posts import Post
from pipeline.scan import ScanSummary, scan
from pipeline.store import Store

__all__ = [
    "ClaimIndex",
    "FLAG_LABELS",
    "LABELS",
    "ConfigError",
    "InputError",
    "Model",
    "ModelError",
    "PatroliClassifier",
    "PatroliError",
    "Post",
    "ScanSummary",
    "Store",
    "StoreError",
    "__version__",
    "load_model",
    "read_claims",
    "report",
    "review",
    "run_checks",
    "scan",
]

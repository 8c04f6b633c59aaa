"""patroli: Indonesian social-media patrol — hoax, provocation and SARA hate-speech scoring with a review queue.

Notebook use::

    import pipeline
    model = pipeline.load_model()              # the shipped default, checked against its card
    model.score(["teks postingan ..."])        # DataFrame: one float column per label
    results = pipeline.scan("posts.csv")       # DataFrame: scores, flags, evidence per post
    pipeline.review.queue_frame("sqlite:///patroli.db")   # the review queue as a DataFrame
    pipeline.run_checks(model)                 # the functional test suite: expected vs given flags per case

The names below are loaded on first use, so `import pipeline` (and every `patroli` command) starts without
loading scikit-learn until something needs it.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name -> the module that defines it (a module itself when the name is the module's).
_EXPORTS = {
    "ClaimIndex": "pipeline.claims", "read_claims": "pipeline.claims",
    "Model": "pipeline.classify", "load_model": "pipeline.classify",
    "PatroliClassifier": "pipeline.classify.estimator",
    "run_checks": "pipeline.classify.checks",
    "ConfigError": "pipeline.errors", "InputError": "pipeline.errors", "ModelError": "pipeline.errors",
    "PatroliError": "pipeline.errors", "StoreError": "pipeline.errors",
    "FLAG_LABELS": "pipeline.labels", "LABELS": "pipeline.labels", "Post": "pipeline.posts",
    "ScanSummary": "pipeline.scanner", "scan": "pipeline.scanner", "Store": "pipeline.store",
    "report": "pipeline.report", "review": "pipeline.review",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    loaded = importlib.import_module(module)
    value = loaded if module == f"pipeline.{name}" else getattr(loaded, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

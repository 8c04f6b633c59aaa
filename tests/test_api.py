from __future__ import annotations

import pipeline


def test_public_api_is_curated_and_importable() -> None:
    assert sorted(pipeline.__all__) == sorted(set(pipeline.__all__))
    for name in pipeline.__all__:
        assert hasattr(pipeline, name), name
    assert {"load_model", "scan", "Post", "PatroliClassifier", "PatroliError", "LABELS", "Store",
            "review", "report"} <= set(pipeline.__all__)
    assert len(pipeline.__all__) <= 25


def test_errors_share_one_base_with_distinct_exit_codes() -> None:
    errors = [pipeline.ConfigError, pipeline.InputError, pipeline.ModelError, pipeline.StoreError]
    assert all(issubclass(e, pipeline.PatroliError) for e in errors)
    assert len({e.exit_code for e in errors}) == len(errors) and all(e.exit_code > 0 for e in errors)


def test_review_names_resolve_including_those_loaded_on_first_use() -> None:
    review = pipeline.review
    assert sorted(review.__all__) == sorted(set(review.__all__))
    for name in review.__all__:
        assert hasattr(review, name), name
    # Functions: a submodule of the same name would shadow a name loaded on first use.
    assert all(callable(getattr(review, name)) for name in ("export", "stats", "check", "verify", "queue_frame"))

"""`ScanRecord.row`: the checked posts-table row, and errors that name the post and the field at fault."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from pipeline.errors import InputError
from pipeline.values import to_json

WIB = timezone(timedelta(hours=7))


def test_row_has_utc_times_whole_reach_and_float_scores(make_record):
    record = make_record(5, created_at=datetime(2024, 5, 1, 7, tzinfo=WIB), shares=12.0, views=None,
                         followers=float("nan"), scores={"hoax": 1}, priority=2)
    row = record.row()
    assert row["created_at"] == datetime(2024, 5, 1, tzinfo=UTC) and row["created_at"].tzinfo is UTC
    assert row["captured_at"].tzinfo is UTC
    assert (row["shares"], row["views"], row["followers"]) == (12, None, None) and type(row["shares"]) is int
    assert row["scores"] == {"hoax": 1.0} and type(row["scores"]["hoax"]) is float
    assert type(row["priority"]) is float and row["flags"] == ["hoax"] and row["flags"] is not record.flags


@pytest.mark.parametrize(("overrides", "message"), [
    ({"created_at": datetime(2024, 5, 1)}, "post twitter:5: created_at must be timezone-aware, got 2024-05-01T00:00:00"),
    ({"captured_at": datetime(2024, 6, 1)}, "post twitter:5: captured_at must be timezone-aware"),
    ({"views": "banyak"}, "post twitter:5: views must be a whole number, got 'banyak'"),
    ({"flags": ["hoax", "gosip", "fitnah"]}, "post twitter:5: unknown flag label\\(s\\) fitnah, gosip"),
    ({"content_sha256": "0" * 64}, "post twitter:5: content_sha256 does not match"),
])
def test_row_errors_name_the_post_and_the_field(make_record, overrides, message):
    with pytest.raises(InputError, match=message):
        make_record(5, **overrides).row()


def test_jsonl_is_the_json_of_the_output_form(make_record):
    record = make_record(7, text="Ujaran 😡 \"kutip\" \u200b", scores={"hoax": np.float32(0.25), "sara": float("nan")},
                         evidence={"hoax": [("kata", np.float64(0.5))], "claim": {"claim_id": "K-1",
                                                                                  "date": datetime(2024, 1, 1).date(),
                                                                                  "similarity": np.float32(0.75)}},
                         duplicate_of=("twitter", "3"))
    line = record.jsonl()
    assert line == to_json(record.output()) + "\n" and line.endswith("}\n") and "😡" in line

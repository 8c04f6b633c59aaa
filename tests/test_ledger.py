"""The evidence chain's hashes are a fixed format: the fast paths that compute them give exactly the hash of their
definition (canonical JSON of the normalised columns), so databases written before them still verify."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import sqlalchemy as sa

from pipeline.store import audit, ledger
from pipeline.store._types import UTCDateTime
from pipeline.store.schema import posts, queue_items

JAKARTA = ZoneInfo("Asia/Jakarta")
T0 = datetime(2024, 5, 1, 19, 30, 15, 123456, tzinfo=JAKARTA)


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _defined_payload(table: sa.Table, row: dict) -> str:
    """The payload hash as the ledger defines it, column by column."""
    fields = {}
    for column in table.columns:
        value = row.get(column.name)
        if value is None:
            continue
        if isinstance(column.type, UTCDateTime):
            value = value.astimezone(UTC).isoformat(timespec="microseconds")
        elif isinstance(column.type, sa.Float):
            value = float(value)
        elif isinstance(column.type, sa.Integer):
            value = int(value)
        elif not isinstance(column.type, sa.JSON):
            value = str(value)
        fields[column.name] = value
    return hashlib.sha256(_canonical(fields).encode("utf-8")).hexdigest()


class _Text(str):
    def __str__(self) -> str:
        return "ditulis ulang"


def _post_rows() -> list[dict]:
    rows = []
    for i in range(6):
        rows.append({
            "id": i + 1, "platform": "twitter", "post_id": str(i) if i % 2 else i, "content_sha256": "ab" * 32,
            "text": "Ujaran 😡 \u200b\r\n\"kutip\" \\", "author": None if i == 3 else f"akun{i}", "url": None,
            # Equal instants in other zones, distinct instants, and a naive-looking UTC one.
            "created_at": T0 + timedelta(microseconds=i) if i < 4 else T0.astimezone(UTC),
            "captured_at": datetime(2024, 6, 1, tzinfo=UTC) if i % 3 else datetime(2024, 6, 1, 7, tzinfo=JAKARTA),
            "shares": [None, 3, True, np.int64(7), 2.0, 10**15][i], "views": 5, "followers": None,
            "source": _Text("x") if i == 5 else "tes", "raw": {"b": [1, 2.5, None], "a": {"z": 1, "y": "ü"}},
            "scores": {"sara": 0.1 + 0.2, "hoax": 1}, "flags": ["hoax"], "evidence": {"hoax": [["kata", 0.5]]},
            "model_version": "m-1", "priority": [3, 0.5, np.float64(0.25), True, 7.0, 1][i],
        })
    return rows


def test_payloads_are_the_hash_of_their_definition():
    rows = _post_rows()
    times: dict = {}
    for row in rows:
        expected = _defined_payload(posts, row)
        assert ledger.payload(posts, row) == expected
        # The same with the chunk's remembered times, shared across rows.
        assert ledger.payload(posts, row, times) == expected
        # The same with the JSON columns' texts made beforehand, as a scan's save stores them.
        texts = {name: ledger.canonical_json(row[name]) for name in ("raw", "scores", "flags", "evidence")}
        assert ledger.payload(posts, row, times, texts) == expected
    now = datetime(2024, 6, 1, 9, tzinfo=JAKARTA)
    item = {"id": 4, "status": "pending", "priority": 2, "verdicts": {}, "enqueued_at": now, "updated_at": now,
            "copies": 0, "authors": True, "platforms": 1, "top_score": np.float32(0.5), "label_bits": 5}
    assert ledger.payload(queue_items, item, times) == _defined_payload(queue_items, item)


@pytest.mark.parametrize("number", [float("nan"), float("inf"), -float("inf"), -0.0, 1e300, 5e-324,
                                    np.float32(0.1), np.float64("nan"), 2**63, np.int8(-3), "0.5"])
def test_numbers_are_written_as_the_definition_writes_them(number):
    row = _post_rows()[1] | {"priority": number, "scores": {"sara": number if not isinstance(number, str) else 0}}
    assert ledger.payload(posts, row) == _defined_payload(posts, row)


@pytest.mark.parametrize("later", [timedelta(0), timedelta(microseconds=1), timedelta(hours=7)])
def test_remembered_times_never_stand_in_for_another_instant(later):
    times: dict = {}
    first = {"id": 1, "status": "pending", "priority": 1.0, "verdicts": {}, "enqueued_at": T0, "updated_at": T0}
    second = first | {"enqueued_at": T0.astimezone(UTC) + later}
    for row in (first, second):
        assert ledger.payload(queue_items, row, times) == _defined_payload(queue_items, row)


def test_audit_digest_is_the_hash_of_its_definition():
    entry = {"item_id": 3, "at": T0, "actor": "ani", "action": "decide", "from_status": "in_review",
             "to_status": "confirmed", "note": "ü \"x\"", "verdicts": {"sara": True, "hoax": False},
             "content_sha256": "cd" * 32}
    fields = [T0.isoformat(timespec="microseconds") if name == "at" else entry.get(name) for name in audit.HASHED]
    expected = hashlib.sha256(_canonical(["0" * 64, fields]).encode("utf-8")).hexdigest()
    assert audit.entry_digest("0" * 64, entry) == expected

"""Plain values: the JSON-able form of anything patroli stores or prints, spreadsheet-safe CSV cells, aware UTC
times, and times shown in WIB, where the analysts are."""

from __future__ import annotations

import base64
import json
import math
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.errors import InputError

#: Western Indonesian Time: reports count days and the CLI shows times in it.
WIB = ZoneInfo("Asia/Jakarta")
# Spreadsheet programs run cells starting with these as formulas; post text is adversarial (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def jsonable(value: Any) -> Any:
    """`value` made JSON-serialisable, recursively: datetimes and dates as ISO 8601, NaN, NaT and infinities as
    None, numpy scalars as Python numbers, bytes as base64, mappings as dicts with text keys, sequences as lists,
    anything else as its text."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        # NaT is a datetime that is not equal to itself.
        return None if value != value else value.isoformat()
    if isinstance(value, time.struct_time):
        return list(value)[:6]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return jsonable(value.item())
    return str(value)


def to_json(value: Any, *, indent: int | None = None, sort_keys: bool = False) -> str:
    """`value` as JSON text (UTF-8 characters kept), with `jsonable` applied to what JSON cannot hold."""
    return json.dumps(value, ensure_ascii=False, default=jsonable, indent=indent, sort_keys=sort_keys)


def cell(value: Any) -> str:
    """A CSV cell: lists of strings `;`-joined, other containers as JSON, None as empty; a cell a spreadsheet would
    run as a formula gets a leading ' (the exact value belongs in a JSON output beside the CSV)."""
    value = jsonable(value)
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = ";".join(value)
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def as_utc(value: datetime | None, name: str = "time") -> datetime | None:
    """`value` converted to UTC; a naive datetime is an InputError (its zone would be a guess)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise InputError(f"{name} must be timezone-aware, got {value.isoformat()}")
    return value.astimezone(UTC)


def wib(value: datetime | None) -> str:
    """An aware time as "2026-11-29 20:05 WIB" (minutes: what an analyst reads); "" for None or NaT."""
    if value is None or value != value:
        return ""
    return value.astimezone(WIB).strftime("%Y-%m-%d %H:%M WIB")

"""Small helpers shared by the review modules: the acting analyst's name and "now"."""

from __future__ import annotations

from datetime import datetime

from pipeline.errors import InputError
from pipeline.store._types import utcnow
from pipeline.values import as_utc


def analyst_name(name: str) -> str:
    """`name` stripped; InputError unless it is 1-128 characters."""
    name = (name or "").strip()
    if not name or len(name) > 128:
        raise InputError("analyst name must be 1-128 characters")
    return name


def now_utc(now: datetime | None) -> datetime:
    """`now` in UTC (it must be timezone-aware), or the current time."""
    return as_utc(now, "now") if now is not None else utcnow()

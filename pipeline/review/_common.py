"""Small helpers shared by the review modules: the acting analyst's name, "now", UTC time columns."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

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


def utc_columns(frame: pd.DataFrame, *names: str) -> pd.DataFrame:
    """`frame` with the named columns as tz-aware UTC datetimes."""
    for name in names:
        frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame

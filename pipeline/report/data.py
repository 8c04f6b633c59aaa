"""The report's data: the tables of a period read from the store (see `report_data`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from pipeline.errors import InputError
from pipeline.report.tables import REPORT_TZ, tables
from pipeline.store import StoreLike, opened
from pipeline.store.frames import claims_frame, posts_frame

BY = ("captured_at", "created_at")


def parse_when(value: str | date | datetime | None, name: str = "time", *, end: bool = False) -> datetime | None:
    """A timezone-aware bound from a date (YYYY-MM-DD), an ISO 8601 time, a `date` or a `datetime`.

    Dates and times without an offset are in Asia/Jakarta (WIB). A bare date means its midnight, or with
    `end=True` (an "until" bound, exclusive) the midnight after it, so `until=2026-11-30` includes that day.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise InputError(f"{name}: {value!r} is not a date (YYYY-MM-DD) or an ISO 8601 time") from None
    if not isinstance(value, datetime):
        value = datetime.combine(value, datetime.min.time()) + (timedelta(days=1) if end else timedelta(0))
    return value.replace(tzinfo=REPORT_TZ) if value.tzinfo is None else value


def report_data(store_or_url: StoreLike = None, since: str | date | datetime | None = None,
                until: str | date | datetime | None = None, *, by: str = "captured_at",
                top: int = 20) -> dict[str, pd.DataFrame]:
    """The report's tables for posts with `since <= <by> < until` (`by`: captured_at, when patroli stored them,
    or created_at, when they were posted). Times are tz-aware; counts int64; shares and scores float64.

    - summary (one row): since, until, by, posts, flagged_posts, flagged_share, enqueued, claim_matches, first,
      last (of `by`), model_versions, generated_at, database
    - labels: label, flagged, flagged_share, mean_score, max_score (one row per flagging label)
    - by_platform / by_source: platform|source, posts, flagged, flagged_share, one flagged count per label
    - daily: day (midnight WIB), posts, flagged, one count per label; every day from first to last
    - top_flagged: the `top` flagged posts by priority: rank, item_id, platform, post_id, author, url, source,
      created_at, captured_at, queue_status, priority, flags, scores {label: score}, evidence {label: [(term,
      weight)]}, claim_id, claim_title, text
    - claims: known hoaxes matched, most first: claim_id, title, url, posts, flagged_hoax, max_similarity,
      mean_similarity, first_seen, last_seen (empty without claim matches)
    - queue: status, items: the review-queue state of the period's flagged posts
    """
    if by not in BY:
        raise InputError(f"by must be one of {', '.join(BY)}, not {by!r}")
    if top < 0:
        raise InputError("top must be 0 or more")
    start, stop = parse_when(since, "since"), parse_when(until, "until", end=True)
    if start is not None and stop is not None and start >= stop:
        raise InputError(f"since ({start.isoformat()}) must be before until ({stop.isoformat()})")
    with opened(store_or_url, must_exist=True) as store:
        posts = posts_frame(store, start, stop, by=by)
        known = claims_frame(store)
        database = store.url
    data = tables(posts, by=by, top=top, known_claims=known)
    data["summary"] = data["summary"].assign(
        since=pd.Timestamp(start) if start else pd.NaT, until=pd.Timestamp(stop) if stop else pd.NaT, by=by,
        generated_at=pd.Timestamp.now(tz="UTC"), database=database)
    for name in ("since", "until"):
        data["summary"][name] = pd.to_datetime(data["summary"][name], utc=True)
    return data

"""The review queue: analysts claim flagged posts, decide per label, escalate, and keep evidence.

Statuses: `pending` -> `in_review` (claimed, with a lease; an expired lease makes the item claimable again)
-> `confirmed` (any label confirmed) or `dismissed`; `confirmed` -> `escalated`. `undo` reverts the last decision
with a new audit entry. Every function takes a `Store` (or a database URL, or None for the default database)
and returns a DataFrame, a dict or a plain value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.datasets import sha256_file
from pipeline.errors import InputError, StoreError
from pipeline.labels import LABELS
from pipeline.store import Store, audit, evidence, opened, queue
from pipeline.store import export as files
from pipeline.store._types import as_utc, utcnow

StoreLike = Store | str | None
DEFAULT_LEASE = timedelta(minutes=30)

#: How much each label weighs in the risk: what is likeliest to spark conflict comes first.
RISK_WEIGHTS: dict[str, float] = {"provocation": 1.0, "sara": 1.0, "sara_agama": 1.0, "sara_ras": 1.0,
                                  "hoax": 0.8, "hate_speech": 0.6, "abusive": 0.3}
#: Reach figures: (weight, the count treated as full reach).
REACH_SCALE: dict[str, tuple[float, float]] = {"shares": (0.5, 1e4), "views": (0.3, 1e6),
                                               "followers": (0.2, 1e6)}


def priority(scores: dict[str, float], flags: Iterable[str], shares: int | None = None,
             views: int | None = None, followers: int | None = None) -> float:
    """Queue priority in [0, 100]: risk times reach.

    risk  = 1 - prod over flagged labels l of (1 - w_l * score_l), a noisy-OR, with weights w:
            provocation = sara (and its sub-labels) 1.0 > hoax 0.8 > hate_speech 0.6 > abusive 0.3;
            so the surest, most dangerous flag dominates and each further flag adds a little.
    reach = 0.5 * r(shares, 1e4) + 0.3 * r(views, 1e6) + 0.2 * r(followers, 1e6),
            r(x, full) = min(1, log10(1 + x) / log10(1 + full)); an unknown figure counts 0.
    priority = 100 * risk * (1 + reach) / 2: reach can at most double a post's priority, never
            lift a harmless one, so a viral insult stays below a provocation with modest reach.
    """
    risk = 1.0
    for label in sorted(set(flags)):
        score = min(max(float(scores.get(label, 0.0)), 0.0), 1.0)
        risk *= 1.0 - RISK_WEIGHTS.get(label, 0.5) * score
    risk = 1.0 - risk
    reach = 0.0
    for name, value in (("shares", shares), ("views", views), ("followers", followers)):
        if value is None or (isinstance(value, float) and math.isnan(value)) or value <= 0:
            continue
        weight, full = REACH_SCALE[name]
        reach += weight * min(1.0, math.log10(1.0 + float(value)) / math.log10(1.0 + full))
    return round(100.0 * risk * (1.0 + reach) / 2.0, 4)


def _analyst(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 128:
        raise InputError("analyst name must be 1-128 characters")
    return name


def _now(now: datetime | None) -> datetime:
    return as_utc(now, "now") if now is not None else utcnow()


def _times(frame: pd.DataFrame, *names: str) -> pd.DataFrame:
    for name in names:
        frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame


LIST_COLUMNS = ("item_id", "status", "priority", "flags", "top_label", "top_score", "claimed_by",
                "lease_expires_at", "platform", "post_id", "author", "text", "enqueued_at", "decided_by",
                "decided_at", "verdicts", "model_version", "content_sha256", "url")


def queue_frame(store: StoreLike = None, status: str | Iterable[str] | None = None, label: str | None = None,
                limit: int | None = None) -> pd.DataFrame:
    """Queue items, highest priority first, optionally only some statuses / items flagged with `label`.

    Columns: item_id, status, priority, flags (list), top_label/top_score (the highest-scoring flag),
    claimed_by, lease_expires_at, platform, post_id, author, text, enqueued_at, decided_by, decided_at,
    verdicts (dict label -> bool), model_version, content_sha256, url. Times tz-aware UTC.
    """
    statuses = [status] if isinstance(status, str) else list(status or [])
    if label is not None and label not in LABELS:
        raise InputError(f"unknown label {label!r}; labels: {', '.join(LABELS)}")
    with opened(store) as st, st.transaction("cannot read the queue") as conn:
        rows = queue.items(conn, statuses=statuses, limit=None if label else limit)
    if label is not None:
        rows = [r for r in rows if label in r["flags"]][:limit]
    for row in rows:
        top = max(row["flags"], key=lambda lab: row["scores"].get(lab, 0.0), default=None)
        row.update(top_label=top, top_score=row["scores"].get(top) if top else None)
    out = pd.DataFrame(rows, columns=list(LIST_COLUMNS))
    return _times(out, "lease_expires_at", "enqueued_at", "decided_at")


def item(store: StoreLike, item_id: int) -> dict[str, Any]:
    """One item: its post (text, raw record, scores, flags, evidence, hash), state, verdicts and `audit` trail."""
    with opened(store) as st, st.transaction("cannot read the queue") as conn:
        found = queue.get(conn, item_id)
        found["audit"] = audit.entries(conn, [item_id])
    return found


def audit_frame(store: StoreLike = None, item_id: int | None = None) -> pd.DataFrame:
    """The audit log (all of it, or one item's), oldest first: id, item_id, at, actor, action, from_status,
    to_status, note, reason_code, model_version, verdicts, content_sha256, entry_sha256."""
    with opened(store) as st, st.transaction("cannot read the audit log") as conn:
        return audit.frame(audit.entries(conn, None if item_id is None else [item_id]))


def claim(store: StoreLike, analyst: str, item_id: int | None = None, *, lease: timedelta = DEFAULT_LEASE,
          note: str | None = None, now: datetime | None = None) -> dict[str, Any] | None:
    """Claim the highest-priority claimable item (or item `item_id`) for `analyst` until now + `lease`.

    Atomic across processes: no two analysts get the same item. Returns the item, or None if nothing is
    claimable. Claiming an item you already hold renews its lease; one someone else holds is a StoreError.
    """
    analyst, now = _analyst(analyst), _now(now)
    if lease <= timedelta(0):
        raise InputError("lease must be positive")
    with opened(store) as st, st.transaction("cannot claim", write=True) as conn:
        if item_id is None:
            found = queue.next_claimable(conn, now)
            if found is None:
                return None
        else:
            found = queue.get(conn, item_id, lock=True)
            _check_free(found, analyst, now, "claim")
        if found["status"] == "in_review" and found["claimed_by"] != analyst and note is None:
            note = f"lease of {found['claimed_by']} expired {found['lease_expires_at']:%Y-%m-%d %H:%M} UTC"
        return queue.apply(conn, found, action="claim", actor=analyst, to_status="in_review", now=now,
                           note=note, lease=lease)


def _check_free(found: dict[str, Any], analyst: str, now: datetime, doing: str) -> None:
    """Refuse unless the item is pending, held by `analyst`, or its holder's lease has expired."""
    status, holder = found["status"], found["claimed_by"]
    if status not in ("pending", "in_review"):
        hint = "; use undo to change a decision" if status in ("confirmed", "dismissed") else ""
        raise StoreError(f"queue item {found['item_id']} is already {status}; cannot {doing} it{hint}")
    if status == "in_review" and holder != analyst and found["lease_expires_at"] > now:
        raise StoreError(f"queue item {found['item_id']} is held by {holder} until "
                         f"{found['lease_expires_at']:%Y-%m-%d %H:%M} UTC")


def release(store: StoreLike, item_id: int, analyst: str, *, note: str | None = None,
            now: datetime | None = None) -> dict[str, Any]:
    """Give an item you hold back to the pending pool."""
    analyst, now = _analyst(analyst), _now(now)
    with opened(store) as st, st.transaction("cannot release", write=True) as conn:
        found = queue.get(conn, item_id, lock=True)
        if found["status"] != "in_review" or found["claimed_by"] != analyst:
            raise StoreError(f"queue item {item_id} is not held by {analyst}")
        return queue.apply(conn, found, action="release", actor=analyst, to_status="pending", now=now, note=note)


def decide(store: StoreLike, item_id: int, analyst: str, *, confirm: Iterable[str] = (),
           dismiss: Iterable[str] = (), note: str | None = None, reason: str | None = None,
           now: datetime | None = None) -> dict[str, Any]:
    """Record per-label verdicts on an item you hold (or a pending one, claimed in the same step).

    Only the labels named get a verdict: a flagged label you do not name keeps none (it is neither counted as
    confirmed nor as dismissed in field precision or training feedback). You may also confirm or dismiss labels
    the model did not flag. The item becomes `confirmed` if any label is confirmed, else `dismissed`.
    """
    analyst, now = _analyst(analyst), _now(now)
    confirm, dismiss = set(confirm), set(dismiss)
    if not confirm and not dismiss:
        raise InputError("give at least one label to confirm or dismiss")
    for label in sorted(confirm | dismiss):
        if label not in LABELS:
            raise InputError(f"unknown label {label!r}; labels: {', '.join(LABELS)}")
    if confirm & dismiss:
        raise InputError(f"label(s) both confirmed and dismissed: {', '.join(sorted(confirm & dismiss))}")
    with opened(store) as st, st.transaction("cannot record the decision", write=True) as conn:
        found = queue.get(conn, item_id, lock=True)
        _check_free(found, analyst, now, "decide")
        verdicts = {label: False for label in dismiss} | {label: True for label in confirm}
        return queue.apply(conn, found, action="decide", actor=analyst, now=now, note=note, reason=reason,
                           to_status="confirmed" if confirm else "dismissed", verdicts=verdicts)


def escalate(store: StoreLike, item_id: int, analyst: str, *, note: str | None = None,
             reason: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Mark a confirmed item as reported onward."""
    analyst, now = _analyst(analyst), _now(now)
    with opened(store) as st, st.transaction("cannot escalate", write=True) as conn:
        found = queue.get(conn, item_id, lock=True)
        if found["status"] != "confirmed":
            raise StoreError(f"queue item {item_id} is {found['status']}; only confirmed items can be escalated")
        return queue.apply(conn, found, action="escalate", actor=analyst, to_status="escalated", now=now,
                           note=note, reason=reason)


def undo(store: StoreLike, item_id: int, analyst: str, *, note: str | None = None,
         lease: timedelta = DEFAULT_LEASE, now: datetime | None = None) -> dict[str, Any]:
    """Revert the last decision with a new audit entry: escalated -> confirmed; confirmed or dismissed ->
    in_review, held by `analyst` (verdicts cleared) so they can decide again. History is never rewritten."""
    analyst, now = _analyst(analyst), _now(now)
    with opened(store) as st, st.transaction("cannot undo", write=True) as conn:
        found = queue.get(conn, item_id, lock=True)
        if found["status"] == "escalated":
            return queue.apply(conn, found, action="undo", actor=analyst, to_status="confirmed", now=now,
                               note=note)
        if found["status"] in ("confirmed", "dismissed"):
            return queue.apply(conn, found, action="undo", actor=analyst, to_status="in_review", now=now,
                               note=note, lease=lease)
        raise StoreError(f"queue item {item_id} is {found['status']}; there is no decision to undo")


EXPORT_COLUMNS = ("format", "path", "items", "sha256")


def export(store: StoreLike, out_dir: str | Path, *, formats: Iterable[str] = files.FORMATS,
           analyst: str = "patroli", now: datetime | None = None) -> pd.DataFrame:
    """Write the evidence report of confirmed and escalated items to `out_dir`: evidence.csv, evidence.jsonl,
    evidence.html (any of them) and evidence.sha256 (a `sha256sum -c` manifest of the files written).

    Each item carries its post, recorded and recomputed SHA-256, decisions and audit trail. Returns
    DataFrame(format, path, items, sha256), one row per file.
    """
    formats = list(dict.fromkeys(formats))
    bad = sorted(set(formats) - set(files.FORMATS))
    if bad or not formats:
        raise InputError(f"unknown export format {', '.join(bad) or '(none)'}; formats: {', '.join(files.FORMATS)}")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create {out}: {err.strerror}") from err
    now = _now(now)
    with opened(store) as st:
        with st.transaction("cannot read evidence") as conn:
            records = evidence.records(conn)
        rows = []
        for fmt in formats:
            path = out / f"evidence.{fmt}"
            if fmt == "csv":
                files.write_csv(path, records)
            elif fmt == "jsonl":
                files.write_jsonl(path, records)
            else:
                files.write_html(path, records, generated_at=now, generated_by=analyst, database=st.url)
            rows.append({"format": fmt, "path": str(path), "items": len(records), "sha256": sha256_file(path)})
    manifest = "".join(f"{r['sha256']}  {Path(r['path']).name}\n" for r in rows)
    (out / "evidence.sha256").write_text(manifest, encoding="utf-8")
    return pd.DataFrame(rows, columns=list(EXPORT_COLUMNS))


def verify(store: StoreLike = None) -> pd.DataFrame:
    """Re-check evidence integrity; one row per problem found (empty: all intact).

    Checks every post's text against its recorded SHA-256, each queue item's audit trail (hash chain, the
    post hash each entry recorded, the last entry agreeing with the status). Columns: post, item_id
    (None for posts never enqueued), platform, post_id, problem, expected, found.
    """
    with opened(store) as st, st.transaction("cannot verify") as conn:
        problems = evidence.verify(conn)
    return pd.DataFrame(problems, columns=list(evidence.PROBLEM_COLUMNS))


STATS_COLUMNS = ("label", "flagged", "pending", "in_review", "decided", "confirmed", "dismissed", "precision",
                 "confirmed_unflagged", "escalated", "median_minutes_to_decision")


def stats(store: StoreLike = None) -> pd.DataFrame:
    """Per label, how the model fares with analysts, plus an `(all)` row for whole items.

    flagged: items the model flagged with the label; pending / in_review: their backlog; decided, confirmed,
    dismissed: flagged items with a verdict on the label; precision = confirmed / decided (NaN if none);
    confirmed_unflagged: analysts confirmed it though the model did not flag it; escalated: confirmed items
    later escalated; median_minutes_to_decision: enqueue to decision, over the decided flagged items.
    """
    with opened(store) as st, st.transaction("cannot read the queue") as conn:
        rows = queue.items(conn)
    out = []
    for label in (*LABELS, None):
        flagged = [r for r in rows if label is None or label in r["flags"]]
        decided = [r for r in flagged if r["decided_at"] is not None
                   and (label is None or label in (r["verdicts"] or {}))]
        confirmed = [r for r in decided if (r["status"] in ("confirmed", "escalated") if label is None
                                            else r["verdicts"][label])]
        minutes = [(r["decided_at"] - r["enqueued_at"]).total_seconds() / 60 for r in decided]
        out.append({
            "label": label or "(all)", "flagged": len(flagged),
            "pending": sum(r["status"] == "pending" for r in flagged),
            "in_review": sum(r["status"] == "in_review" for r in flagged),
            "decided": len(decided), "confirmed": len(confirmed), "dismissed": len(decided) - len(confirmed),
            "precision": len(confirmed) / len(decided) if decided else math.nan,
            "confirmed_unflagged": 0 if label is None else sum(
                1 for r in rows if label not in r["flags"] and (r["verdicts"] or {}).get(label) is True),
            "escalated": sum(r["status"] == "escalated" for r in confirmed),
            "median_minutes_to_decision": float(pd.Series(minutes).median()) if minutes else math.nan,
        })
    return pd.DataFrame(out, columns=list(STATS_COLUMNS))


def feedback_frame(store: StoreLike = None) -> pd.DataFrame:
    """Reviewer verdicts as labelled data for `patroli train --with-feedback`, one row per decided item.

    Columns: item_id, text, one 0/1 column per label (1 = an analyst confirmed it; 0 = dismissed, or not
    confirmed by an analyst who judged the post), judged (list of labels with an explicit verdict, for
    trainers that prefer to mask the rest), decided_by, decided_at, model_version.
    """
    with opened(store) as st, st.transaction("cannot read the queue") as conn:
        rows = queue.items(conn, statuses=["confirmed", "dismissed", "escalated"])
    rows.sort(key=lambda r: r["item_id"])
    def column(values: list[Any], dtype: str = "object") -> pd.Series:
        return pd.Series(values, dtype=dtype)

    out = pd.DataFrame({
        "item_id": column([r["item_id"] for r in rows], "int64"), "text": column([r["text"] for r in rows]),
        **{label: column([int(bool((r["verdicts"] or {}).get(label))) for r in rows], "int8")
           for label in LABELS},
        "judged": column([sorted(r["verdicts"] or {}) for r in rows]),
        "decided_by": column([r["decided_by"] for r in rows]), "decided_at": [r["decided_at"] for r in rows],
        "model_version": column([r["model_version"] for r in rows]),
    })
    return _times(out, "decided_at")

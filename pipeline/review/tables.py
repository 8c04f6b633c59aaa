"""The review queue seen from the analysts' side: field precision per label, backlog, decisions per analyst, time
to decision, and analysts' verdicts as labelled data for retraining."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from pipeline.labels import LABELS
from pipeline.review.frames import audit_frame, queue_frame
from pipeline.store import STATUSES, Store, StoreLike, opened, queue
from pipeline.store.frames import utc_columns

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
    return utc_columns(out, "decided_at")


ANALYST_COLUMNS = ("analyst", "decisions", "confirmed", "dismissed", "escalations", "undos",
                   "median_minutes_to_decision")


def review_tables(store: StoreLike = None) -> dict[str, pd.DataFrame]:
    """The whole queue's state as DataFrames (a `Store`, a database URL, or None for the default database).

    - backlog: status, items (every status, in workflow order)
    - analysts: analyst, decisions (decide actions in the audit log, re-decisions after undo included),
      confirmed, dismissed, escalations, undos, median_minutes_to_decision (enqueue to final decision of the
      items they decided)
    - labels: `pipeline.review.stats` (per label flagged, backlog, confirmed, dismissed, field precision =
      confirmed / decided, median minutes to decision)
    - decisions: one row per decided item: item_id, decided_by, status, flags, enqueued_at, decided_at,
      minutes_to_decision (float)
    """
    if not isinstance(store, Store):
        with opened(store) as fresh:
            return review_tables(fresh)
    queue = queue_frame(store)
    audit = audit_frame(store)
    backlog = pd.DataFrame({"status": list(STATUSES),
                            "items": [int((queue["status"] == s).sum()) for s in STATUSES]})
    decided = queue[queue["decided_at"].notna()].copy()
    decided["minutes_to_decision"] = (decided["decided_at"] - decided["enqueued_at"]).dt.total_seconds() / 60
    decisions = decided[["item_id", "decided_by", "status", "flags", "enqueued_at", "decided_at",
                         "minutes_to_decision"]].sort_values("decided_at", ignore_index=True)
    rows = []
    for actor in sorted(set(audit.loc[audit["action"].isin(["decide", "escalate", "undo"]), "actor"])):
        mine = audit[audit["actor"] == actor]
        decides = mine[mine["action"] == "decide"]
        minutes = decisions.loc[decisions["decided_by"] == actor, "minutes_to_decision"]
        rows.append({"analyst": actor, "decisions": len(decides),
                     "confirmed": int((decides["to_status"] == "confirmed").sum()),
                     "dismissed": int((decides["to_status"] == "dismissed").sum()),
                     "escalations": int((mine["action"] == "escalate").sum()),
                     "undos": int((mine["action"] == "undo").sum()),
                     "median_minutes_to_decision": float(minutes.median()) if len(minutes) else float("nan")})
    analysts = pd.DataFrame(rows, columns=list(ANALYST_COLUMNS))
    return {"backlog": backlog, "analysts": analysts, "labels": stats(store), "decisions": decisions}

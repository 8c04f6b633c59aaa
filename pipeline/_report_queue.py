"""The review queue seen from the analysts' side: backlog, decisions per analyst, field precision, time to decision."""

from __future__ import annotations

import pandas as pd

from pipeline import review
from pipeline.store import STATUSES, Store

ANALYST_COLUMNS = ("analyst", "decisions", "confirmed", "dismissed", "escalations", "undos",
                   "median_minutes_to_decision")


def review_tables(store: Store | str | None = None) -> dict[str, pd.DataFrame]:
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
        with Store.open(store) as opened:
            return review_tables(opened)
    queue = review.queue_frame(store)
    audit = review.audit_frame(store)
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
    return {"backlog": backlog, "analysts": analysts, "labels": review.stats(store), "decisions": decisions}

"""The report's tables, computed from one frame of posts (a scan result or `store.frames.posts_frame`)."""

from __future__ import annotations

import math
from datetime import tzinfo
from typing import Any

import pandas as pd

from pipeline.labels import FLAG_LABELS, LABELS
from pipeline.store import STATUSES
from pipeline.values import WIB

#: Reports count days in Western Indonesian Time, where the analysts are.
REPORT_TZ: tzinfo = WIB

TABLES = ("summary", "labels", "by_platform", "by_source", "daily", "top_flagged", "claims", "queue")
TOP_COLUMNS = ("rank", "item_id", "platform", "post_id", "author", "url", "source", "created_at", "captured_at",
               "queue_status", "priority", "flags", "scores", "evidence", "claim_id", "claim_title", "text")
CLAIM_COLUMNS = ("claim_id", "title", "url", "posts", "flagged_hoax", "max_similarity", "mean_similarity",
                 "first_seen", "last_seen")


def posts_view(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with store-style columns: score_<label>, captured_at, queue_status, id (scan frames lack some)."""
    out = frame.copy()
    for label in LABELS:
        if f"score_{label}" not in out.columns:
            out[f"score_{label}"] = out[label].astype("float64") if label in out.columns else math.nan
    for name in ("created_at", "captured_at"):
        out[name] = pd.to_datetime(out[name], utc=True) if name in out.columns else pd.Series(
            pd.NaT, index=out.index, dtype="datetime64[us, UTC]")
    for name in ("id", "queue_status", "source", "author", "url"):
        if name not in out.columns:
            out[name] = None
    out["flags"] = out["flags"].map(lambda v: list(v) if isinstance(v, list | tuple) else [])
    out["evidence"] = out["evidence"].map(lambda v: v if isinstance(v, dict) else {})
    out["priority"] = out["priority"].astype("float64")
    return out


def _counts(posts: pd.DataFrame, key: str) -> pd.DataFrame:
    """posts, flagged, flagged_share and one flagged count per label, for each value of column `key`."""
    keyed = posts.assign(**{key: posts[key].fillna("(none)").astype(str)})
    rows = []
    for value, group in keyed.groupby(key, sort=True):
        flagged = group["flags"].map(bool)
        rows.append({key: value, "posts": len(group), "flagged": int(flagged.sum()),
                     "flagged_share": float(flagged.mean()),
                     **{label: int(group["flags"].map(lambda f, lab=label: lab in f).sum()) for label in FLAG_LABELS}})
    columns = [key, "posts", "flagged", "flagged_share", *FLAG_LABELS]
    return pd.DataFrame(rows, columns=columns).astype({c: "int64" for c in columns if c not in (key, "flagged_share")})


def label_table(posts: pd.DataFrame) -> pd.DataFrame:
    """Per flagging label: posts flagged, their share of all posts, mean and max score."""
    rows = []
    for label in FLAG_LABELS:
        scores = posts[f"score_{label}"]
        flagged = int(posts["flags"].map(lambda f, lab=label: lab in f).sum())
        rows.append({"label": label, "flagged": flagged, "flagged_share": flagged / len(posts) if len(posts) else 0.0,
                     "mean_score": float(scores.mean()) if scores.notna().any() else math.nan,
                     "max_score": float(scores.max()) if scores.notna().any() else math.nan})
    return pd.DataFrame(rows, columns=["label", "flagged", "flagged_share", "mean_score", "max_score"]).astype(
        {"flagged": "int64", "flagged_share": "float64", "mean_score": "float64", "max_score": "float64"})


def daily_table(posts: pd.DataFrame, by: str) -> pd.DataFrame:
    """Posts and flags per day (midnight Asia/Jakarta, tz-aware) of column `by`; days without posts count 0."""
    columns = ["day", "posts", "flagged", *FLAG_LABELS]
    dated = posts[posts[by].notna()]
    if dated.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in columns}).astype(
            {"day": "datetime64[us, Asia/Jakarta]"})
    day = dated[by].dt.tz_convert(REPORT_TZ).dt.normalize()
    frame = pd.DataFrame({"day": day, "posts": 1, "flagged": dated["flags"].map(bool).astype(int)})
    for label in FLAG_LABELS:
        frame[label] = dated["flags"].map(lambda f, lab=label: lab in f).astype(int)
    out = frame.groupby("day").sum()
    full = pd.date_range(out.index.min(), out.index.max(), freq="D")
    out = out.reindex(full, fill_value=0).rename_axis("day").reset_index()
    return out[columns].astype({c: "int64" for c in columns[1:]})


def _terms(evidence: dict[str, Any], flags: list[str]) -> dict[str, list[tuple[str, float]]]:
    return {label: [(str(t), float(w)) for t, w in evidence.get(label) or []] for label in flags}


def top_table(posts: pd.DataFrame, top: int, claim_titles: dict[str, str]) -> pd.DataFrame:
    """The `top` flagged posts by priority (ties: newest first) with their flagged labels' scores and evidence."""
    flagged = posts.loc[posts["flags"].map(bool).astype(bool)]
    flagged = flagged.sort_values(["priority", "created_at"], ascending=[False, False], na_position="last").head(top)
    rows = []
    for rank, (_, row) in enumerate(flagged.iterrows(), start=1):
        claim = row["evidence"].get("claim") or {}
        claim_id = claim.get("claim_id")
        rows.append({
            "rank": rank, "item_id": row["id"], "platform": row["platform"], "post_id": row["post_id"],
            "author": row["author"], "url": row["url"], "source": row["source"], "created_at": row["created_at"],
            "captured_at": row["captured_at"], "queue_status": row["queue_status"], "priority": row["priority"],
            "flags": row["flags"], "scores": {lab: float(row[f"score_{lab}"]) for lab in row["flags"]},
            "evidence": _terms(row["evidence"], row["flags"]), "claim_id": claim_id,
            "claim_title": claim.get("title") or claim_titles.get(str(claim_id)) if claim_id else None,
            "text": row["text"],
        })
    out = pd.DataFrame(rows, columns=list(TOP_COLUMNS))
    for name in ("created_at", "captured_at"):
        out[name] = pd.to_datetime(out[name], utc=True)
    return out.astype({"rank": "int64", "priority": "float64"})


def claim_table(posts: pd.DataFrame, known: pd.DataFrame | None = None) -> pd.DataFrame:
    """Known hoax claims the posts matched, most-matched first (empty when nothing matched or no claims exist)."""
    info = {} if known is None or known.empty else known.set_index("claim_id")[["title", "url"]].to_dict("index")
    matches: dict[str, list[dict[str, Any]]] = {}
    for _, row in posts.iterrows():
        claim = row["evidence"].get("claim")
        if claim and claim.get("claim_id") is not None:
            matches.setdefault(str(claim["claim_id"]), []).append({
                "claim": claim, "hoax": "hoax" in row["flags"],
                "seen": row["created_at"] if pd.notna(row["created_at"]) else row["captured_at"]})
    rows = []
    for claim_id, hits in matches.items():
        similarity = pd.Series([float(h["claim"].get("similarity") or math.nan) for h in hits], dtype="float64")
        seen = pd.Series([h["seen"] for h in hits], dtype="datetime64[us, UTC]")
        latest = hits[-1]["claim"]
        rows.append({
            "claim_id": claim_id, "title": latest.get("title") or info.get(claim_id, {}).get("title"),
            "url": latest.get("url") or info.get(claim_id, {}).get("url"), "posts": len(hits),
            "flagged_hoax": sum(h["hoax"] for h in hits), "max_similarity": similarity.max(),
            "mean_similarity": similarity.mean(), "first_seen": seen.min(), "last_seen": seen.max()})
    out = pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))
    out = out.sort_values(["posts", "max_similarity", "claim_id"], ascending=[False, False, True], ignore_index=True)
    for name in ("first_seen", "last_seen"):
        out[name] = pd.to_datetime(out[name], utc=True)
    return out.astype({"posts": "int64", "flagged_hoax": "int64", "max_similarity": "float64",
                       "mean_similarity": "float64"})


def queue_table(posts: pd.DataFrame) -> pd.DataFrame:
    """Review-queue items of these posts per status (every status listed, in workflow order)."""
    counts = posts["queue_status"].value_counts()
    return pd.DataFrame({"status": list(STATUSES), "items": [int(counts.get(s, 0)) for s in STATUSES]}).astype(
        {"items": "int64"})


def tables(frame: pd.DataFrame, *, by: str = "created_at", top: int = 20,
           known_claims: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every report table (see `pipeline.report.report_data`) computed from a frame of posts."""
    posts = posts_view(frame)
    flagged = posts["flags"].map(bool).astype(bool)
    times = posts[by].dropna()
    titles = {} if known_claims is None or known_claims.empty else dict(
        zip(known_claims["claim_id"].astype(str), known_claims["title"], strict=True))
    summary = pd.DataFrame([{
        "posts": len(posts), "flagged_posts": int(flagged.sum()),
        "flagged_share": float(flagged.mean()) if len(posts) else 0.0,
        "enqueued": int(posts["queue_status"].notna().sum()),
        "claim_matches": int(posts["evidence"].map(lambda e: bool(e.get("claim"))).sum()),
        "first": times.min() if len(times) else pd.NaT, "last": times.max() if len(times) else pd.NaT,
        "model_versions": ", ".join(sorted({str(v) for v in posts.get("model_version", pd.Series()).dropna()})),
    }])
    for name in ("first", "last"):
        summary[name] = pd.to_datetime(summary[name], utc=True)
    return {
        "summary": summary, "labels": label_table(posts), "by_platform": _counts(posts, "platform"),
        "by_source": _counts(posts, "source"), "daily": daily_table(posts, by),
        "top_flagged": top_table(posts, top, titles), "claims": claim_table(posts, known_claims),
        "queue": queue_table(posts),
    }


def evidence_terms(frame: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The terms that drove the flags in these posts: per flagging label, its `top` terms by total contribution
    (summed evidence weight over the flagged posts citing them). Columns: label, term, posts, total_weight,
    mean_weight."""
    posts = posts_view(frame)
    rows = []
    for evidence, flags in zip(posts["evidence"], posts["flags"], strict=True):
        for label in flags:
            rows.extend({"label": label, "term": str(t), "weight": float(w)} for t, w in evidence.get(label) or [])
    columns = ["label", "term", "posts", "total_weight", "mean_weight"]
    if not rows:
        return pd.DataFrame(columns=columns)
    out = (pd.DataFrame(rows).groupby(["label", "term"])["weight"].agg(["size", "sum", "mean"]).reset_index()
           .set_axis(columns, axis=1))
    out["label"] = pd.Categorical(out["label"], categories=list(FLAG_LABELS), ordered=True)
    out = out.sort_values(["label", "total_weight", "posts"], ascending=[True, False, False])
    return out.groupby("label", observed=True).head(top).astype({"label": str}).reset_index(drop=True)

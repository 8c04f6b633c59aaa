"""The report's charts as base64 PNGs.

Figures are drawn on their own Agg canvas, never through pyplot, so writing a report from a notebook neither
changes the notebook's backend nor leaves figures open.
"""

from __future__ import annotations

import base64
import io

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

FLAGGED_COLOR = "#c0392b"
SCANNED_COLOR = "#aab7b8"
LABEL_COLOR = "#2c3e50"


def _png(fig: Figure) -> str:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def labels_chart(labels: pd.DataFrame) -> str | None:
    """Horizontal bars: posts flagged per label."""
    if labels["flagged"].sum() == 0:
        return None
    fig = Figure(figsize=(7.5, 2.8), layout="constrained")
    ax = fig.add_subplot()
    order = labels.iloc[::-1]
    bars = ax.barh(order["label"], order["flagged"], color=FLAGGED_COLOR)
    ax.bar_label(bars, padding=3)
    ax.set_xlabel("posts flagged")
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def daily_chart(daily: pd.DataFrame) -> str | None:
    """Posts scanned and flagged per day (WIB)."""
    if daily.empty:
        return None
    fig = Figure(figsize=(7.5, 3.0), layout="constrained")
    ax = fig.add_subplot()
    days = daily["day"].dt.tz_localize(None)
    ax.bar(days, daily["posts"], width=0.8, color=SCANNED_COLOR, label="scanned")
    ax.bar(days, daily["flagged"], width=0.8, color=FLAGGED_COLOR, label="flagged")
    ax.set_ylabel("posts per day (WIB)")
    ax.legend(fontsize=8, loc="upper right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.autofmt_xdate()
    return _png(fig)


def platform_chart(by_platform: pd.DataFrame) -> str | None:
    """Stacked horizontal bars per platform: flagged and not flagged posts."""
    if by_platform.empty:
        return None
    fig = Figure(figsize=(7.5, 0.6 + 0.45 * len(by_platform)), layout="constrained")
    ax = fig.add_subplot()
    order = by_platform.iloc[::-1]
    ax.barh(order["platform"], order["flagged"], color=FLAGGED_COLOR, label="flagged")
    ax.barh(order["platform"], order["posts"] - order["flagged"], left=order["flagged"], color=SCANNED_COLOR,
            label="not flagged")
    ax.set_xlabel("posts")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def charts(data: dict[str, pd.DataFrame]) -> dict[str, str | None]:
    """Every report chart (None where there is nothing to draw)."""
    return {"labels": labels_chart(data["labels"]), "daily": daily_chart(data["daily"]),
            "platform": platform_chart(data["by_platform"])}

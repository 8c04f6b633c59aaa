"""Template filters: times in WIB, numbers, scores, safe links, and post text with evidence terms highlighted.

Everything a template prints is escaped by Jinja's autoescape; the only markup produced here is `highlight`,
which escapes the text around and inside each match itself, and `safe_url`, which lets only http(s) links
through (a `javascript:` link in a post becomes plain text).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment
from markupsafe import Markup

from pipeline.report import REPORT_TZ
from pipeline.report.html import highlight


def wib(value: datetime | None, seconds: bool = False) -> str:
    if value is None or value != value:  # None, NaT
        return "—"
    return value.astimezone(REPORT_TZ).strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else "") + " WIB")


def num(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{int(value):,}".replace(",", ".")


def score(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):.2f}"


def percent(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{100 * float(value):.0f}%"


def safe_url(value: Any) -> str | None:
    """`value` if it is an absolute http(s) URL, else None (so templates show it as text, not a link)."""
    if not isinstance(value, str):
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def highlighted(text: str, evidence: dict[str, Any] | None, flags: list[str] | None = None) -> Markup:
    """The post text, escaped, with the evidence terms of its flagged labels in <mark>."""
    evidence = evidence or {}
    terms = {label: [str(term) for term, _weight in evidence.get(label) or []]
             for label in (flags or [k for k in evidence if k != "claim"])}
    return Markup(highlight(text or "", terms))


def install(env: Environment) -> None:
    env.filters.update(wib=wib, num=num, score=score, percent=percent, safe_url=safe_url, highlighted=highlighted)

"""The queue page's filters: read from a query string (or the hidden fields of a bulk form) into a QueueQuery,
and back into a query string for links. Bad values are InputErrors with a one-line reason."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pipeline.errors import InputError
from pipeline.report import parse_when
from pipeline.store.queue_search import QueueQuery

#: The filter fields, in the order the form shows them.
FIELDS = ("status", "label", "platform", "source", "score_min", "score_max", "since", "until", "claim",
          "assignee", "q", "sort")
PER_PAGE = 50
MAX_TEXT = 200


@dataclass(frozen=True)
class Filters:
    """The filter form's raw values (for redisplay and links) and the query they mean."""

    values: dict[str, Any]
    query: QueueQuery
    page: int

    def link(self, **changes: Any) -> str:
        """Query string of these filters with some values changed (None removes one)."""
        merged = {**self.values, "page": self.page, **changes}
        pairs = []
        for key in (*FIELDS, "page"):
            value = merged.get(key)
            if key == "page" and value in (1, "1"):
                continue
            for item in value if isinstance(value, list | tuple) else [value]:
                if item not in (None, ""):
                    pairs.append((key, item))
        return urlencode(pairs)

    def hidden(self) -> list[tuple[str, str]]:
        """(name, value) pairs for hidden form fields carrying these filters."""
        return [(k, str(v)) for k in FIELDS for v in (self.values[k] if isinstance(self.values[k], list)
                                                       else [self.values[k]]) if v not in (None, "")]


def _score(raw: str, name: str) -> float | None:
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{name}: {raw[:40]!r} is not a number between 0 and 1") from None
    if math.isnan(value) or not 0 <= value <= 1:
        raise InputError(f"{name}: {raw[:40]!r} is not a number between 0 and 1")
    return value


def _text(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name) or ""
    value = value.strip() if isinstance(value, str) else ""
    if len(value) > MAX_TEXT:
        raise InputError(f"{name}: at most {MAX_TEXT} characters")
    return value


def parse(params: Any) -> Filters:
    """Filters from query parameters or form data (a multi-dict: `status` may repeat)."""
    statuses = [s for s in params.getlist("status") if isinstance(s, str) and s]
    values: dict[str, Any] = {"status": statuses}
    for name in FIELDS[1:]:
        values[name] = _text(params, name)
    values["sort"] = values["sort"] or "priority"
    try:
        page = max(1, min(int(params.get("page") or 1), 1_000_000))
    except (TypeError, ValueError):
        raise InputError(f"page: {str(params.get('page'))[:40]!r} is not a page number") from None
    query = QueueQuery(
        statuses=tuple(statuses), label=values["label"] or None, platform=values["platform"] or None,
        source=values["source"] or None, score_min=_score(values["score_min"], "score_min"),
        score_max=_score(values["score_max"], "score_max"), since=parse_when(values["since"] or None, "since"),
        until=parse_when(values["until"] or None, "until", end=True), claim_id=values["claim"] or None,
        assignee=values["assignee"] or None, text=values["q"] or None, sort=values["sort"])
    return Filters(values, query, page)

"""Small field helpers shared by the ingestors: dotted lookups, reach counts, HTML to text, JSON-safe raw records."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

_MISSING = object()
_GROUPED = re.compile(r"^\d{1,3}([.,\s]\d{3})+$")
_SUFFIXED = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(rb|ribu|k|jt|juta|million)\.?$", re.IGNORECASE)
# A bare "M" is left out on purpose: Indonesian UIs use it for miliar (1e9), English ones for million.
_MULTIPLIER = {
    "rb": 1_000,
    "ribu": 1_000,
    "k": 1_000,
    "jt": 1_000_000,
    "juta": 1_000_000,
    "million": 1_000_000,
}


def get_path(record: Any, path: str, default: Any = None) -> Any:
    """`record[path]` if that key exists, else follow the dots ("user.name", "data.items", "media.0.url")."""
    if isinstance(record, Mapping) and path in record:
        return record[path]
    current = record
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif (
            isinstance(current, list | tuple)
            and part.lstrip("-").isdigit()
            and -len(current) <= int(part) < len(current)
        ):
            current = current[int(part)]
        else:
            return default
    return current


def parse_count(value: Any) -> int | None:
    """A reach figure as int: 1234, "1.234" / "1,234" (grouped), "12rb", "1,2 jt", "3.4K"; None if absent or odd."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float | Decimal):
        return int(value) if math.isfinite(value) and value >= 0 else None
    text = str(value).strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if _GROUPED.match(text):
        return int(re.sub(r"[.,\s]", "", text))
    match = _SUFFIXED.match(text)
    if match:
        return int(float(match.group(1).replace(",", ".")) * _MULTIPLIER[match.group(2).lower()])
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number >= 0 else None


def as_text(value: Any) -> str | None:
    """A field value as stripped text, None when absent or blank."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip()
    return text or None


class _TextExtractor(HTMLParser):
    _BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment (feed summaries), with paragraph breaks kept as newlines."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)

"""The dashboard's daily trend as inline SVG: drawn on the server, no script, styled by the site's CSS."""

from __future__ import annotations

import html
from typing import Any

from markupsafe import Markup

WIDTH, HEIGHT, PAD = 640, 180, 28


def _points(values: list[int], top: int) -> str:
    step = (WIDTH - 2 * PAD) / max(1, len(values) - 1)
    return " ".join(f"{PAD + i * step:.1f},{HEIGHT - PAD - (HEIGHT - 2 * PAD) * v / top:.1f}"
                    for i, v in enumerate(values))


def trend(days: list[dict[str, Any]], posts_label: str, flagged_label: str) -> Markup:
    """Posts and flagged posts per day as two polylines with the first/last day and the maximum marked."""
    if not days:
        return Markup("")
    posts = [int(d["posts"]) for d in days]
    flagged = [int(d["flagged"]) for d in days]
    top = max(1, *posts)
    first, last = html.escape(str(days[0]["day"])), html.escape(str(days[-1]["day"]))
    return Markup(
        f'<svg class="trend" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{html.escape(posts_label)} / {html.escape(flagged_label)}">'
        f'<line class="axis" x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}"/>'
        f'<polyline class="posts" points="{_points(posts, top)}"/>'
        f'<polyline class="flagged" points="{_points(flagged, top)}"/>'
        f'<text x="{PAD}" y="{HEIGHT - 8}">{first}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 8}" text-anchor="end">{last}</text>'
        f'<text x="{PAD}" y="{PAD - 10}">max {top}</text>'
        f'<text class="posts" x="{WIDTH - PAD}" y="{PAD - 10}" text-anchor="end">— {html.escape(posts_label)}</text>'
        f'<text class="flagged" x="{WIDTH - PAD}" y="{PAD + 6}" text-anchor="end">— {html.escape(flagged_label)}</text>'
        "</svg>")

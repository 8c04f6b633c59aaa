"""The dashboard, the period report download, and the evidence export."""

from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

from starlette.responses import Response

from pipeline import review
from pipeline.labels import LABELS
from pipeline.report import REPORT_TZ, parse_when, write_report
from pipeline.store import queue_stats
from pipeline.store._types import utcnow
from pipeline.web import charts
from pipeline.web._context import Page, route

TREND_DAYS = 30


@route("/dashboard")
def dashboard(page: Page) -> Response:
    now = utcnow()
    midnight = now.astimezone(REPORT_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    week = midnight - timedelta(days=6)
    with page.store.transaction("cannot read the dashboard") as conn:
        today = {"scanned": queue_stats.scanned(conn, midnight, now + timedelta(seconds=1)),
                 "flagged": queue_stats.flagged_by_label(conn, midnight, now + timedelta(seconds=1))}
        backlog = queue_stats.backlog(conn, now)
        analysts = queue_stats.decisions(conn, week)
        precision = queue_stats.precision(conn)
        daily = queue_stats.daily(conn, midnight - timedelta(days=TREND_DAYS - 1))
        top = queue_stats.top_claims(conn)
    return page.render("dashboard.html", today=today, backlog=backlog, analysts=analysts, precision=precision,
                       trend=charts.trend(daily, page.t("chart_posts"), page.t("chart_flagged")), daily=daily,
                       top=top, labels=LABELS, week_start=week, today_date=midnight.date().isoformat(),
                       ages=[name for _bound, name in queue_stats.AGES])


@route("/report")
def report(page: Page) -> Response:
    since, until = page.query.get("since") or None, page.query.get("until") or None
    parse_when(since, "since"), parse_when(until, "until", end=True)
    with tempfile.TemporaryDirectory(prefix="patroli-report-") as tmp:
        path = Path(tmp) / "report.html"
        write_report(path, page.store, since, until, "html", title=page.t("report_title"))
        body = path.read_bytes()
    stamp = datetime.now(REPORT_TZ).strftime("%Y%m%d-%H%M")
    return Response(body, media_type="text/html; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="patroli-report-{stamp}.html"'})


@route("/export", role="supervisor")
def export(page: Page) -> Response:
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="patroli-evidence-") as tmp:
        written = review.export(page.store, tmp, analyst=page.user)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(Path(tmp).iterdir()):
                archive.write(path, path.name)
    stamp = datetime.now(REPORT_TZ).strftime("%Y%m%d-%H%M")
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="patroli-evidence-{stamp}.zip"',
                             "X-Patroli-Items": str(int(written["items"].iloc[0]) if len(written) else 0)})

"""The queue page (filters, counts, pages), bulk actions after a confirmation, and "next"."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.responses import RedirectResponse, Response

from pipeline import review
from pipeline.errors import InputError
from pipeline.labels import LABELS
from pipeline.store import STATUSES, queue_search
from pipeline.web import bulk
from pipeline.web._context import Page, route
from pipeline.web.filters import PER_PAGE, Filters, parse

NOTICES = ("bulk_done", "nothing_to_claim", "bulk_changed")


@route("/")
def home(page: Page) -> Response:
    return page.redirect("/queue")


def _queue_page(page: Page, filters: Filters, status: int = 200, message: str | None = None) -> Response:
    q = filters.query
    with page.store.transaction("cannot read the queue") as conn:
        counts = queue_search.counts(conn, q)
        total = counts["total"]
        pages = max(1, math.ceil(total / PER_PAGE))
        current = min(filters.page, pages)
        rows = queue_search.page(conn, q, (current - 1) * PER_PAGE, PER_PAGE)
    choices = page.ws.choices()
    notice = page.query.get("notice")
    counts_args = {k: int(page.query.get(k, "0")) if page.query.get(k, "0").isdigit() else 0
                   for k in ("done", "skipped")}
    return page.render("queue.html", status=status, filters=filters, rows=rows, total=total, pages=pages,
                       current=current, counts=counts, choices=choices, statuses=STATUSES, labels=LABELS,
                       notice=notice if notice in NOTICES else None, notice_args=counts_args, message=message,
                       actions=bulk.ACTIONS, nobody=queue_search.NOBODY, per_page=PER_PAGE)


@route("/queue")
def queue_list(page: Page) -> Response:
    try:
        filters = parse(page.query)
    except InputError as err:
        return _queue_page(page, parse(QueryParams("")), 400, str(err))
    return _queue_page(page, filters)


@route("/queue/bulk", methods=("POST",), role="analyst")
def queue_bulk(page: Page) -> Response:
    filters = parse(page.form)
    action, label, assignee = page.field("action"), page.field("label_arg") or None, page.field("assignee_arg") or None
    if action in bulk.ROLES and page.session is not None and not page.session.may(bulk.ROLES[action]):
        return page.error(403, page.t("error_forbidden", role=page.t(f"role_{bulk.ROLES[action]}")))
    bulk.check(page.store, action, label, assignee)
    with page.store.transaction("cannot read the queue") as conn:
        total = queue_search.count(conn, filters.query)
    expected = page.field("expected")
    if page.field("confirm") != "yes" or expected != str(total):
        changed = page.field("confirm") == "yes"
        return page.render("bulk_confirm.html", filters=filters, action=action, label=label, assignee=assignee,
                           total=total, changed=changed)
    result = bulk.run(page.store, filters.query, action, page.user, label=label, assignee=assignee)
    notice = urlencode({"notice": "bulk_done", "done": result.done, "skipped": result.skipped})
    return RedirectResponse(f"/queue?{filters.link(page=1)}&{notice}", status_code=303)


@route("/next", methods=("POST",), role="analyst")
def claim_next(page: Page) -> Response:
    found = review.claim(page.store, page.user)
    if found is None:
        return page.redirect("/queue", notice="nothing_to_claim")
    return page.redirect(f"/items/{found['item_id']}")

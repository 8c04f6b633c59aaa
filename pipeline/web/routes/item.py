"""One queue item: the post with its evidence, and the review actions on it."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams
from starlette.responses import Response

from pipeline import review
from pipeline.errors import InputError
from pipeline.labels import FLAG_LABELS, LABELS, SARA_TARGETS, sara_target
from pipeline.store import queue_search, queue_stats
from pipeline.store._types import utcnow
from pipeline.web import bulk
from pipeline.web._context import Page, route
from pipeline.web.filters import parse
from pipeline.web.formatting import wib

#: Reason codes an analyst can give with a decision (shown translated, stored as the code).
REASONS = ("news_report", "counter_speech", "neutral_mention", "satire", "debunk", "duplicate", "other")
#: Labels in keyboard order: 1-5 the labels that flag, then the SARA target sub-labels.
KEY_ORDER = (*FLAG_LABELS, *SARA_TARGETS)
NOTICES = ("claimed", "decided", "released", "escalated", "undone", "assigned")


def _item_id(page: Page) -> int:
    return int(page.request.path_params["item_id"])


def _back(page: Page) -> str:
    """The queue filters the analyst came from (a query string), carried from page to page."""
    raw = page.query.get("back") if page.form is None else page.field("back")
    return raw if isinstance(raw, str) and len(raw) <= 2000 else ""


def _held_by_other(page: Page, found: dict[str, Any]) -> str | None:
    """A translated refusal when someone else holds the item under a live lease."""
    if found["status"] == "in_review" and found["claimed_by"] != page.user and found["lease_expires_at"] > utcnow():
        return page.t("error_held", holder=found["claimed_by"],
                      until=wib(found["lease_expires_at"]))
    return None


@route("/items/{item_id:int}")
def show(page: Page) -> Response:
    item_id = _item_id(page)
    found = review.item(page.store, item_id)
    back = _back(page)
    try:
        filters = parse(QueryParams(back))
    except InputError:
        filters, back = parse(QueryParams("")), ""
    with page.store.transaction("cannot read the queue") as conn:
        facets = queue_search.facets_of(conn, item_id)
        similar = queue_search.copies(conn, item_id, facets.get("copy_key") or "")
        known = queue_stats.claim(conn, facets["claim_id"]) if facets.get("claim_id") else None
        prev_id, next_id = queue_search.neighbours(conn, filters.query, item_id)
    evidence = found.get("evidence") or {}
    scores = found.get("scores") or {}
    notice = page.query.get("notice")
    mine = found["status"] == "in_review" and found["claimed_by"] == page.user
    return page.render(
        "item.html", item=found, facets=facets, similar=similar, known=known, claim=evidence.get("claim"),
        scores=[(label, scores.get(label)) for label in LABELS], flags=found["flags"] or [],
        target=sara_target(scores) if "sara" in (found["flags"] or []) else None, key_order=KEY_ORDER,
        reasons=REASONS, prev_id=prev_id, next_id=next_id, back=back, mine=mine,
        held_by_other=_held_by_other(page, found) if page.session else None,
        can_decide=found["status"] in ("pending", "in_review"), notice=notice if notice in NOTICES else None,
        lease_left=int((found["lease_expires_at"] - utcnow()).total_seconds()) if mine else None)


def _note(page: Page) -> str | None:
    return page.field("note").strip()[:2000] or None


def _if_free(page: Page) -> tuple[int, dict[str, Any], str | None]:
    """(the item id, the item, why another analyst's lease forbids acting on it or None)."""
    item_id = _item_id(page)
    found = review.item(page.store, item_id)
    return item_id, found, _held_by_other(page, found)


def _after(page: Page, item_id: int, notice: str) -> Response:
    return page.redirect(f"/items/{item_id}", notice=notice, back=_back(page) or None)


@route("/items/{item_id:int}/claim", methods=("POST",), role="analyst")
def claim(page: Page) -> Response:
    item_id, _, refusal = _if_free(page)
    if refusal:
        return page.error(409, refusal)
    review.claim(page.store, page.user, item_id)
    return _after(page, item_id, "claimed")


@route("/items/{item_id:int}/release", methods=("POST",), role="analyst")
def release(page: Page) -> Response:
    item_id = _item_id(page)
    review.release(page.store, item_id, page.user)
    return _after(page, item_id, "released")


def verdicts_from(page: Page, flags: list[str]) -> tuple[list[str], list[str]]:
    """(confirm, dismiss) from the form: only the labels the analyst set; an untouched form means the action
    (confirm or dismiss) applies to every label the model flagged."""
    confirm = [label for label in LABELS if page.field(f"verdict_{label}") == "yes"]
    dismiss = [label for label in LABELS if page.field(f"verdict_{label}") == "no"]
    if not confirm and not dismiss:
        action = page.field("action")
        if action == "confirm":
            confirm = list(flags)
        elif action == "dismiss":
            dismiss = list(flags)
    return confirm, dismiss


@route("/items/{item_id:int}/decide", methods=("POST",), role="analyst")
def decide(page: Page) -> Response:
    item_id, found, refusal = _if_free(page)
    if refusal:
        return page.error(409, refusal)
    confirm, dismiss = verdicts_from(page, found["flags"] or [])
    reason = page.field("reason") or None
    if reason is not None and reason not in REASONS:
        raise InputError(f"unknown reason code {reason[:40]!r}")
    review.decide(page.store, item_id, page.user, confirm=confirm, dismiss=dismiss,
                  note=_note(page), reason=reason)
    return _after(page, item_id, "decided")


@route("/items/{item_id:int}/escalate", methods=("POST",), role="supervisor")
def escalate(page: Page) -> Response:
    item_id = _item_id(page)
    review.escalate(page.store, item_id, page.user, note=_note(page))
    return _after(page, item_id, "escalated")


@route("/items/{item_id:int}/undo", methods=("POST",), role="supervisor")
def undo(page: Page) -> Response:
    item_id = _item_id(page)
    review.undo(page.store, item_id, page.user, note=_note(page))
    return _after(page, item_id, "undone")


@route("/items/{item_id:int}/assign", methods=("POST",), role="supervisor")
def assign(page: Page) -> Response:
    item_id = _item_id(page)
    review.item(page.store, item_id)
    result = bulk.run(page.store, queue_search.QueueQuery(ids=(item_id,)), "assign", page.user,
                      assignee=page.field("assignee").strip())
    if not result.done:
        return page.error(409, page.t("error_not_assignable"))
    return _after(page, item_id, "assigned")

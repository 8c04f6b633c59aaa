"""The known-claims library: list, search, import, and the queue items each claim matched."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from starlette.responses import Response

from pipeline.claims import import_claims
from pipeline.errors import InputError
from pipeline.store import queue_search, queue_stats
from pipeline.web._context import MAX_UPLOAD, Page, route

PER_PAGE = 50
SUFFIXES = (".csv", ".jsonl", ".json", ".jsonld", ".gz")


@route("/claims")
def claims_list(page: Page) -> Response:
    search = (page.query.get("q") or "").strip()[:200]
    try:
        number = max(1, int(page.query.get("page") or 1))
    except ValueError:
        number = 1
    with page.store.transaction("cannot read claims") as conn:
        total, rows = queue_stats.claims_page(conn, search or None, (number - 1) * PER_PAGE, PER_PAGE)
    notice = page.query.get("notice")
    counts = {k: int(page.query.get(k, "0")) if page.query.get(k, "0").isdigit() else 0
              for k in ("read", "new", "updated", "skipped")}
    return page.render("claims.html", rows=rows, total=total, search=search, current=number,
                       pages=max(1, math.ceil(total / PER_PAGE)), notice=notice == "imported", counts=counts)


@route("/claims/{claim_id:path}")
def claim_detail(page: Page) -> Response:
    claim_id = page.request.path_params["claim_id"]
    with page.store.transaction("cannot read claims") as conn:
        known = queue_stats.claim(conn, claim_id)
        if known is None:
            return page.error(404, page.t("error_no_claim"))
        items = queue_search.by_claim(conn, claim_id)
    return page.render("claim.html", known=known, items=items)


@route("/claims-import", methods=("POST",), role="supervisor", upload=True)
def claims_import(page: Page) -> Response:
    if "file" not in page.files:
        raise InputError("choose a claims file (CSV, JSONL or JSON-LD ClaimReview)")
    name, body = page.files["file"]
    if len(body) > MAX_UPLOAD:
        raise InputError(f"claims file larger than {MAX_UPLOAD // (1024 * 1024)} MiB")
    suffix = "".join(Path(name).suffixes[-2:]).lower()
    if not suffix or not any(suffix.endswith(s) for s in SUFFIXES):
        raise InputError(f"claims file must end in {', '.join(SUFFIXES)}")
    with tempfile.TemporaryDirectory(prefix="patroli-claims-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(body)
        counts = import_claims(path, page.store)
    return page.redirect("/claims", notice="imported", **counts)

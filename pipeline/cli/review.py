"""`patroli review ...`: the review-queue commands. Each parses, calls one `pipeline.review` function, renders.

Only `stats` and `verify` load pandas (their results are DataFrames); the others work with rows. `export`, which
signs the evidence chain's head, is in `review_export` and loads with the signing library only when it runs.
"""

from __future__ import annotations

import shutil
import textwrap
from datetime import timedelta
from typing import Any

import click

from pipeline import review as rv
from pipeline.cli._common import (
    ANALYST_OPTION,
    DB_OPTION,
    FORMAT_OPTION,
    NOTE_OPTION,
    REASON_OPTION,
    LazyGroup,
    echo_json,
)
from pipeline.cli._render import render, render_rows
from pipeline.labels import LABELS
from pipeline.priority import top_label
from pipeline.review import LIST_COLUMNS
from pipeline.store import STATUSES
from pipeline.values import wib

LABEL = click.Choice(LABELS)
SUMMARY = ("item_id", "status", "priority", "flags", "verdicts", "claimed_by", "lease_expires_at", "decided_by",
           "decided_at", "platform", "post_id", "text")
#: What `list` shows in a table (JSON gives every LIST_COLUMNS).
LIST_TABLE = ("item_id", "status", "priority", "top_label", "top_score", "claimed_by", "platform", "post_id", "text")
COPY_TABLE = ("platform", "post_id", "author", "created_at", "shares", "views", "followers", "source")
AUDIT_TABLE = ("at", "actor", "action", "status", "note", "reason_code", "verdicts")


def _item_out(found: dict[str, Any] | None, fmt: str) -> None:
    if found is None:
        if fmt == "json":
            echo_json(None)
        else:
            click.echo("nothing to claim: the queue has no pending items")
        return
    if fmt == "json":
        echo_json({name: found[name] for name in SUMMARY})
    else:
        _show_item(found)


def _show_item(found: dict[str, Any]) -> None:
    """One item as an analyst reads it: state, post, reach, flags with their evidence, the matched known claim,
    verdicts, the text, and (when loaded) the audit trail; times in WIB."""
    scores, evidence = found["scores"] or {}, found["evidence"] or {}
    top = top_label(found["flags"], scores)
    driven = f" (driven by {top} {scores[top]:.2f})" if top else ""
    click.echo(f"Item {found['item_id']} · {found['status']} · priority {found['priority']:.1f}{driven}")
    posted = f" · posted {wib(found['created_at'])}" if found["created_at"] else ""
    author = f" by {found['author']}" if found["author"] else ""
    lines = [("post", f"{found['platform']}:{found['post_id']}{author}{posted} · captured {wib(found['captured_at'])}")]
    if found["url"]:
        lines.append(("url", found["url"]))
    reach = [f"{name} {found[name]:,}" for name in ("shares", "views", "followers") if found[name] is not None]
    if reach:
        lines.append(("reach", " · ".join(reach)))
    if found.get("copies"):
        summed = [f"{name} {found[f'reach_{name}']:,}" for name in ("shares", "views", "followers")
                  if found.get(f"reach_{name}") is not None]
        lines.append(("spread", f"{found['copies']:,} copies · {found['authors']:,} authors · {found['platforms']} "
                                f"platforms" + (f" · together {' · '.join(summed)}" if summed else "")))
    lines.append(("flags", " · ".join(f"{label} {scores.get(label, 0.0):.2f}" for label in found["flags"]) or "none"))
    for label in found["flags"]:
        terms = ", ".join(f"{term} ({weight:+.2f})" for term, weight in evidence.get(label) or [])
        if terms:
            lines.append((f"  {label}", terms))
    claim = evidence.get("claim")
    if claim:
        link = f" {claim['url']}" if claim.get("url") else ""
        lines.append(("known claim", f"{claim['claim_id']} ({claim['similarity']:.2f}, {claim.get('level', '')}): "
                                     f"{claim['title']}{link}"))
    verdicts = found["verdicts"] or {}
    if verdicts:
        decided = " · ".join(f"{label} {'confirmed' if v else 'dismissed'}" for label, v in sorted(verdicts.items()))
        lines.append(("verdicts", f"{decided} (by {found['decided_by']}, {wib(found['decided_at'])})"))
    if found["status"] == "in_review":
        lines.append(("held by", f"{found['claimed_by']} until {wib(found['lease_expires_at'])}"))
    lines.append(("model", f"{found['model_version']} · text SHA-256 {found['content_sha256']}"))
    for name, value in lines:
        click.echo(f"  {name:<12} {value}")
    click.echo("")
    width = shutil.get_terminal_size((120, 24)).columns
    for paragraph in found["text"].splitlines() or [""]:
        click.echo(textwrap.fill(paragraph, width=max(40, width - 4), initial_indent="    ",
                                 subsequent_indent="    ") or "    ")
    if found.get("copy_posts"):
        click.echo(f"\ncopies of the same post ({len(found['copy_posts'])}):")
        render_rows(found["copy_posts"], COPY_TABLE, "table")
    if found.get("audit"):
        click.echo("")
        trail = [{**entry, "status": f"{entry['from_status'] or ''} → {entry['to_status']}"}
                 for entry in found["audit"]]
        render_rows(trail, AUDIT_TABLE, "table")


#: subcommands defined in their own modules -> "module:attribute".
LAZY = {"export": "pipeline.cli.review_export:export"}


@click.group(cls=LazyGroup, lazy_commands=LAZY)
def review() -> None:
    """Work the review queue: claim flagged posts, decide per label, escalate, export evidence."""


@review.command("list")
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES), help="Only these statuses.")
@click.option("--label", type=LABEL, default=None, help="Only items flagged with this label.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many items.")
@DB_OPTION
@FORMAT_OPTION
def list_(statuses: tuple[str, ...], label: str | None, limit: int | None, db: str | None, fmt: str) -> None:
    """List queue items, highest priority first.

    \b
    Examples:
      patroli review list --status pending --label sara --limit 20
      patroli review list --format json > queue.json
    """
    rows = rv.queue_rows(db, status=statuses, label=label, limit=limit)
    render_rows(rows, LIST_COLUMNS if fmt == "json" else LIST_TABLE, fmt)


@review.command()
@click.argument("item_id", type=int)
@DB_OPTION
@FORMAT_OPTION
def show(item_id: int, db: str | None, fmt: str) -> None:
    """Show one item: post, scores, evidence, hash, verdicts and audit trail.

    \b
    Example:
      patroli review show 12
    """
    found = rv.item(db, item_id)
    if fmt == "json":
        echo_json(found)
        return
    _show_item(found)


@review.command()
@click.argument("item_id", type=int, required=False)
@click.option("--lease", "lease_minutes", type=click.IntRange(min=1), default=30, show_default=True,
              help="Minutes you hold the item before others may claim it.")
@NOTE_OPTION
@ANALYST_OPTION
@DB_OPTION
@FORMAT_OPTION
def claim(item_id: int | None, lease_minutes: int, note: str | None, analyst: str, db: str | None,
          fmt: str) -> None:
    """Claim the highest-priority pending item (or ITEM_ID) for review.

    \b
    Examples:
      patroli review claim
      patroli review claim 12 --lease 60 --analyst ani
    """
    _item_out(rv.claim(db, analyst, item_id, lease=timedelta(minutes=lease_minutes), note=note), fmt)


@review.command()
@click.argument("item_id", type=int)
@click.option("--confirm", "confirm", multiple=True, type=LABEL, help="Label the post does carry (repeatable).")
@click.option("--dismiss", "dismiss", multiple=True, type=LABEL,
              help="Label the post does not carry (repeatable).")
@NOTE_OPTION
@REASON_OPTION
@ANALYST_OPTION
@DB_OPTION
@FORMAT_OPTION
def decide(item_id: int, confirm: tuple[str, ...], dismiss: tuple[str, ...], note: str | None,
           reason: str | None, analyst: str, db: str | None, fmt: str) -> None:
    """Record per-label verdicts on ITEM_ID: only the labels named change (a flagged label you do not name
    keeps no verdict); the item is confirmed if any label is confirmed, else dismissed.

    \b
    Example:
      patroli review decide 12 --confirm sara --dismiss hoax --note "menyerang etnis" --reason SARA-01
    """
    _item_out(rv.decide(db, item_id, analyst, confirm=confirm, dismiss=dismiss, note=note, reason=reason), fmt)


@review.command()
@click.argument("item_id", type=int)
@NOTE_OPTION
@REASON_OPTION
@ANALYST_OPTION
@DB_OPTION
@FORMAT_OPTION
def escalate(item_id: int, note: str | None, reason: str | None, analyst: str, db: str | None, fmt: str) -> None:
    """Mark confirmed ITEM_ID as reported onward.

    \b
    Example:
      patroli review escalate 12 --note "dilaporkan ke Siber" --reason LAPOR
    """
    _item_out(rv.escalate(db, item_id, analyst, note=note, reason=reason), fmt)


@review.command()
@click.argument("item_id", type=int)
@NOTE_OPTION
@ANALYST_OPTION
@DB_OPTION
@FORMAT_OPTION
def undo(item_id: int, note: str | None, analyst: str, db: str | None, fmt: str) -> None:
    """Revert the last decision on ITEM_ID (a new audit entry; history is kept).

    \b
    Example:
      patroli review undo 12 --note "salah pilih label"
    """
    _item_out(rv.undo(db, item_id, analyst, note=note), fmt)


@review.command()
@click.argument("item_id", type=int)
@NOTE_OPTION
@ANALYST_OPTION
@DB_OPTION
@FORMAT_OPTION
def release(item_id: int, note: str | None, analyst: str, db: str | None, fmt: str) -> None:
    """Give ITEM_ID, which you hold, back to the pending pool.

    \b
    Example:
      patroli review release 12
    """
    _item_out(rv.release(db, item_id, analyst, note=note), fmt)


@review.command()
@click.option("--against", "against", multiple=True, metavar="FILE",
              help="An evidence export (directory or file), report or patrol log whose signed chain head the "
                   "database must still contain (repeatable).")
@click.option("--key", default=None, metavar="PATH",
              help="Public (.pub) or private key to check signatures with  [default: the signing key]")
@DB_OPTION
@FORMAT_OPTION
@click.pass_context
def verify(ctx: click.Context, against: tuple[str, ...], key: str | None, db: str | None, fmt: str) -> None:
    """Re-check the evidence chain, post hashes and audit trails, and the signed heads given with --against;
    exit 1 if anything was changed or removed.

    \b
    Examples:
      patroli review verify
      patroli review verify --against evidence/ --against patrol.log
    """
    result = rv.check(db, against, key)
    problems = result.problems.astype(object).where(result.problems.notna(), None).to_dict(orient="records")
    if fmt == "json":
        echo_json({"intact": result.intact, "rewrite_ruled_out": result.rewrite_ruled_out, "length": result.length,
                   "sha256": result.sha256, "key_id": result.key_id,
                   "heads": result.heads.to_dict(orient="records"), "problems": problems})
    else:
        for row in problems:
            where = f"post {row['post']} ({row['platform']}:{row['post_id']})" if row["platform"] is not None else ""
            item = f"queue item {row['item_id']}" if row["item_id"] is not None else ""
            place = ", ".join(part for part in (where, item) if part)
            detail = f" (expected {row['expected']}, found {row['found']})" if row["expected"] is not None else ""
            click.echo(f"{place + ': ' if place else ''}{row['problem']}{detail}")
        for line in result.lines():
            click.echo(line)
    if not result.intact:
        click.echo(f"patroli: {len(result.problems)} integrity problem(s) found", err=True)
        ctx.exit(1)


@review.command()
@DB_OPTION
@FORMAT_OPTION
def stats(db: str | None, fmt: str) -> None:
    """Per label: field precision (confirmed / decided), time to decision, backlog.

    \b
    Example:
      patroli review stats --format json
    """
    render(rv.stats(db), fmt)


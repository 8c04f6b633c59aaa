"""`patroli review ...`: the review-queue commands. Each parses, calls one `pipeline.review` function, renders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click
import pandas as pd

from pipeline import review as rv
from pipeline.cli._common import (
    ANALYST_OPTION,
    DB_OPTION,
    FORMAT_OPTION,
    NOTE_OPTION,
    REASON_OPTION,
    PatroliGroup,
    echo_json,
)
from pipeline.cli._render import render
from pipeline.labels import LABELS
from pipeline.review import FORMATS
from pipeline.store import STATUSES

LABEL = click.Choice(LABELS)
SUMMARY = ("item_id", "status", "priority", "flags", "verdicts", "claimed_by", "lease_expires_at", "decided_by",
           "decided_at", "platform", "post_id", "text")


def _item_out(found: dict[str, Any] | None, fmt: str) -> None:
    if found is None:
        if fmt == "json":
            echo_json(None)
        else:
            click.echo("nothing to claim: the queue has no pending items")
        return
    summary = {name: found[name] for name in SUMMARY}
    if fmt == "json":
        echo_json(summary)
    else:
        render(pd.DataFrame([summary]), fmt)


@click.group(cls=PatroliGroup)
def review() -> None:
    """Work the review queue: claim flagged posts, decide per label, escalate, export evidence."""


@review.command("list")
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES), help="Only these statuses.")
@click.option("--label", type=LABEL, default=None, help="Only items flagged with this label.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many items.")
@DB_OPTION
@FORMAT_OPTION
def list_(statuses: tuple[str, ...], label: str | None, limit: int | None, db: str | None, fmt: str) -> None:
    """List queue items, highest priority first."""
    frame = rv.queue_frame(db, status=statuses, label=label, limit=limit)
    if fmt == "table":
        frame = frame[["item_id", "status", "priority", "top_label", "top_score", "claimed_by", "platform",
                       "post_id", "text"]]
    render(frame, fmt)


@review.command()
@click.argument("item_id", type=int)
@DB_OPTION
@FORMAT_OPTION
def show(item_id: int, db: str | None, fmt: str) -> None:
    """Show one item: post, scores, evidence, hash, verdicts and audit trail."""
    found = rv.item(db, item_id)
    if fmt == "json":
        echo_json(found)
        return
    for name, value in found.items():
        if name not in ("audit", "text", "raw", "copy_posts"):
            click.echo(f"{name:>17}: {value}")
    click.echo(f"\n{found['text']}\n")
    render(pd.DataFrame(found["audit"])[["at", "actor", "action", "from_status", "to_status", "note",
                                          "reason_code", "verdicts"]], fmt)
    if found["copy_posts"]:
        click.echo(f"\ncopies of the same post ({len(found['copy_posts'])}):")
        render(pd.DataFrame(found["copy_posts"])[["platform", "post_id", "author", "created_at", "shares", "views",
                                                   "followers", "source"]], fmt)


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
    """Claim the highest-priority pending item (or ITEM_ID) for review."""
    _item_out(rv.claim(db, analyst, item_id, lease=timedelta(minutes=lease_minutes), note=note), fmt)


@review.command()
@click.argument("item_id", type=int)
@click.option("--confirm", "confirm", multiple=True, type=LABEL, help="Label the post does carry (repeatable).")
@click.option("--dismiss", "dismiss", multiple=True, type=LABEL,
              help="Label the post does not carry (repeatable); unnamed flagged labels are dismissed too.")
@NOTE_OPTION
@REASON_OPTION
@ANALYST_OPTION
@DB_OPTION
@FORMAT_OPTION
def decide(item_id: int, confirm: tuple[str, ...], dismiss: tuple[str, ...], note: str | None,
           reason: str | None, analyst: str, db: str | None, fmt: str) -> None:
    """Record per-label verdicts on ITEM_ID: confirmed if any label is confirmed, else dismissed."""
    _item_out(rv.decide(db, item_id, analyst, confirm=confirm, dismiss=dismiss, note=note, reason=reason), fmt)


@review.command()
@click.argument("item_id", type=int)
@NOTE_OPTION
@REASON_OPTION
@ANALYST_OPTION
@DB_OPTION
@FORMAT_OPTION
def escalate(item_id: int, note: str | None, reason: str | None, analyst: str, db: str | None, fmt: str) -> None:
    """Mark confirmed ITEM_ID as reported onward."""
    _item_out(rv.escalate(db, item_id, analyst, note=note, reason=reason), fmt)


@review.command()
@click.argument("item_id", type=int)
@NOTE_OPTION
@ANALYST_OPTION
@DB_OPTION
@FORMAT_OPTION
def undo(item_id: int, note: str | None, analyst: str, db: str | None, fmt: str) -> None:
    """Revert the last decision on ITEM_ID (a new audit entry; history is kept)."""
    _item_out(rv.undo(db, item_id, analyst, note=note), fmt)


@review.command()
@click.argument("item_id", type=int)
@NOTE_OPTION
@ANALYST_OPTION
@DB_OPTION
@FORMAT_OPTION
def release(item_id: int, note: str | None, analyst: str, db: str | None, fmt: str) -> None:
    """Give ITEM_ID, which you hold, back to the pending pool."""
    _item_out(rv.release(db, item_id, analyst, note=note), fmt)


@review.command()
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--only", "formats", multiple=True, type=click.Choice(FORMATS),
              help="Write only these formats (repeatable)  [default: all]")
@ANALYST_OPTION
@DB_OPTION
@FORMAT_OPTION
def export(out_dir: str, formats: tuple[str, ...], analyst: str, db: str | None, fmt: str) -> None:
    """Write the evidence report of confirmed/escalated items to OUT_DIR (CSV, JSONL, HTML, SHA-256 manifest)."""
    render(rv.export(db, out_dir, formats=formats or FORMATS, analyst=analyst), fmt)


@review.command()
@DB_OPTION
@FORMAT_OPTION
@click.pass_context
def verify(ctx: click.Context, db: str | None, fmt: str) -> None:
    """Re-check post hashes and audit trails; exit 1 if anything was tampered with."""
    problems = rv.verify(db)
    if problems.empty and fmt == "table":
        click.echo("intact: every post hash and audit trail checks out")
        return
    render(problems, fmt)
    if not problems.empty:
        click.echo(f"patroli: {len(problems)} integrity problem(s) found", err=True)
        ctx.exit(1)


@review.command()
@DB_OPTION
@FORMAT_OPTION
def stats(db: str | None, fmt: str) -> None:
    """Per label: field precision (confirmed / decided), time to decision, backlog."""
    render(rv.stats(db), fmt)


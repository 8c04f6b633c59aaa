"""The tables. Bump `SCHEMA_VERSION` and add a step to `migrate.STEPS` whenever they change."""

from __future__ import annotations

import sqlalchemy as sa

from pipeline.store._types import UTCDateTime

#: The schema version this patroli writes; a database with a higher one is refused.
SCHEMA_VERSION = 4

#: Queue statuses, in workflow order.
STATUSES: tuple[str, ...] = ("pending", "in_review", "confirmed", "dismissed", "escalated")

metadata = sa.MetaData()


def _post_facts() -> list[sa.Column]:
    """The columns a stored post and a stored copy both have: who, where, when, reach, source and the raw record
    (new Column objects each call: a Column belongs to one table)."""
    return [sa.Column("author", sa.Text), sa.Column("url", sa.Text), sa.Column("created_at", UTCDateTime),
            sa.Column("captured_at", UTCDateTime, nullable=False), sa.Column("shares", sa.BigInteger),
            sa.Column("views", sa.BigInteger), sa.Column("followers", sa.BigInteger), sa.Column("source", sa.Text),
            sa.Column("raw", sa.JSON)]

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)

posts = sa.Table(
    "posts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("platform", sa.String(64), nullable=False),
    sa.Column("post_id", sa.String(256), nullable=False),
    # Unique, not just indexed: content de-duplication must hold when two scans insert at once.
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    *_post_facts(),
    sa.Column("scores", sa.JSON, nullable=False),
    sa.Column("flags", sa.JSON, nullable=False),
    sa.Column("evidence", sa.JSON),
    sa.Column("model_version", sa.String(128)),
    sa.Column("priority", sa.Float, nullable=False, server_default="0"),
    sa.UniqueConstraint("platform", "post_id", name="uq_posts_key"),
    sa.Index("ix_posts_content_sha256", "content_sha256", unique=True),
    sa.Index("ix_posts_captured_at", "captured_at"),
    sa.Index("ix_posts_created_at", "created_at"),
)

# One row per flagged post; the item id is the post id so `review show 12` and the post agree.
queue_items = sa.Table(
    "queue_items",
    metadata,
    sa.Column("id", sa.Integer, sa.ForeignKey("posts.id"), primary_key=True, autoincrement=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("priority", sa.Float, nullable=False),
    sa.Column("claimed_by", sa.String(128)),
    sa.Column("lease_expires_at", UTCDateTime),
    sa.Column("verdicts", sa.JSON, nullable=False),
    sa.Column("enqueued_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("decided_by", sa.String(128)),
    sa.Column("decided_at", UTCDateTime),
    # Facts of the post copied here at enqueue (see queue_facets.py), so the queue can be filtered, sorted and
    # counted without reading the wide posts rows or their JSON.
    sa.Column("platform", sa.String(64)),
    sa.Column("source", sa.Text),
    sa.Column("posted_at", UTCDateTime),
    sa.Column("top_label", sa.String(32)),
    sa.Column("top_score", sa.Float),
    sa.Column("claim_id", sa.String(256)),
    sa.Column("copy_key", sa.String(64)),
    # Bit i set: the item is flagged with LABELS[i] (for a SARA sub-label: its SARA flag targets that group).
    sa.Column("label_bits", sa.Integer),
    # How far the post spread: its copies (same content, other posts; see `copies`), the distinct authors and
    # platforms of the post and its copies, and their reach summed. The priority is computed from that reach.
    sa.Column("copies", sa.Integer, nullable=False, server_default="0"),
    sa.Column("authors", sa.Integer, nullable=False, server_default="0"),
    sa.Column("platforms", sa.Integer, nullable=False, server_default="1"),
    sa.Column("reach_shares", sa.BigInteger),
    sa.Column("reach_views", sa.BigInteger),
    sa.Column("reach_followers", sa.BigInteger),
    sa.CheckConstraint(f"status IN ({', '.join(repr(s) for s in STATUSES)})", name="ck_queue_status"),
    sa.Index("ix_queue_claim_order", "status", "priority"),
    sa.Index("ix_queue_priority", "priority"),
    sa.Index("ix_queue_posted_at", "posted_at"),
    sa.Index("ix_queue_claim_id", "claim_id"),
    sa.Index("ix_queue_copy_key", "copy_key"),
    sa.Index("ix_queue_claimed_by", "claimed_by"),
    sa.Index("ix_queue_platform", "platform"),
    sa.Index("ix_queue_source", "source"),
    # Covers every facet filter: the queue page's counts scan this index, never the table.
    sa.Index("ix_queue_facets", "status", "label_bits", "platform", "source", "posted_at", "top_score", "claim_id",
             "claimed_by"),
)

# One row per flagged label of a queue item (and the SARA target sub-label), with its score: the filter on a
# label's score range.
queue_labels = sa.Table(
    "queue_labels",
    metadata,
    sa.Column("item_id", sa.Integer, sa.ForeignKey("queue_items.id"), primary_key=True, autoincrement=False),
    sa.Column("label", sa.String(32), primary_key=True),
    sa.Column("score", sa.Float, nullable=False),
    sa.Index("ix_queue_labels_label", "label", "score", "item_id"),
)

# Copies: posts whose text is that of an earlier stored post (forwarded, reposted). A copy is not scored again and
# not enqueued; it keeps its own identity, author, time and reach, points at the first post (original_id), and its
# reach counts towards the first post's queue item. `content_sha256` is the shared text's hash, kept for evidence.
copies = sa.Table(
    "copies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("original_id", sa.Integer, sa.ForeignKey("posts.id"), nullable=False),
    sa.Column("platform", sa.String(64), nullable=False),
    sa.Column("post_id", sa.String(256), nullable=False),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    *_post_facts(),
    sa.UniqueConstraint("platform", "post_id", name="uq_copies_key"),
    sa.Index("ix_copies_original", "original_id", "id"),
)

# Append-only: triggers (see migrate.py) refuse UPDATE and DELETE, and each row chains the SHA-256 of the
# item's previous row, so a rewritten history is detectable even by someone who drops the triggers.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("queue_items.id"), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("from_status", sa.String(16)),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("reason_code", sa.String(64)),
    sa.Column("model_version", sa.String(128)),
    sa.Column("verdicts", sa.JSON),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("entry_sha256", sa.String(64), nullable=False),
    sa.Index("ix_audit_item", "item_id", "id"),
)

# The one global hash chain over every stored fact (see store/ledger.py). Append-only like audit_log; `seq` is
# gapless (1, 2, ...) and given by the writer, so a removed entry shows as a gap or a broken link.
ledger = sa.Table(
    "ledger",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("ref", sa.BigInteger, nullable=False),
    sa.Column("payload_sha256", sa.String(64), nullable=False),
    sa.Column("entry_sha256", sa.String(64), nullable=False),
    sa.Index("ix_ledger_fact", "kind", "ref", "seq"),
)

cursors = sa.Table(
    "cursors",
    metadata,
    sa.Column("source", sa.String(256), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

claims = sa.Table(
    "claims",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("claim_id", sa.String(256), nullable=False, unique=True),
    sa.Column("title", sa.Text),
    sa.Column("text", sa.Text),
    sa.Column("verdict", sa.Text),
    sa.Column("url", sa.Text),
    sa.Column("date", sa.Text),
    sa.Column("narrative", sa.Text),
    sa.Column("source", sa.Text),
    sa.Column("imported_at", UTCDateTime, nullable=False),
)

#: Web workspace roles, least to most rights.
ROLES: tuple[str, ...] = ("viewer", "analyst", "supervisor", "admin")

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False),
    sa.Column("locked_until", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("last_login_at", UTCDateTime),
    sa.CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="ck_users_role"),
)

# Only a hash of the session token is stored: a leaked database does not log anyone in.
web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("token_sha256", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Index("ix_web_sessions_user", "user_id"),
)

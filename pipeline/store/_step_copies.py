"""Schema step to version 3: copies of posts, and how far each queued post spread.

Adds the `copies` table and the queue item columns copies, authors, platforms and reach_shares/views/followers,
filled for existing items from their own post (no copies were stored before this version).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.store.schema import copies, posts, queue_items

#: The queue item columns this step adds, in order.
SPREAD_COLUMNS = ("copies", "authors", "platforms", "reach_shares", "reach_views", "reach_followers")


def upgrade(conn: Connection) -> None:
    copies.create(conn)  # with its indexes
    quote = conn.dialect.identifier_preparer.quote
    for name in SPREAD_COLUMNS:
        column = queue_items.c[name]
        ddl = f"ALTER TABLE queue_items ADD COLUMN {quote(name)} {column.type.compile(conn.dialect)}"
        if column.server_default is not None:
            ddl += f" NOT NULL DEFAULT {column.server_default.arg}"
        conn.exec_driver_sql(ddl)

    def own(value: sa.ColumnElement[object]) -> sa.ScalarSelect[object]:
        return sa.select(value).where(posts.c.id == queue_items.c.id).scalar_subquery()

    conn.execute(queue_items.update().values(
        authors=own(sa.case((posts.c.author.is_(None), 0), else_=1)), reach_shares=own(posts.c.shares),
        reach_views=own(posts.c.views), reach_followers=own(posts.c.followers)))

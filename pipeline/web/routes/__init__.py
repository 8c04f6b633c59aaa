"""The workspace's pages, one module per area; importing this package registers every route."""

from __future__ import annotations

from pipeline.web.routes import auth, claims, dashboard, item, queue, users

__all__ = ["auth", "claims", "dashboard", "item", "queue", "users"]

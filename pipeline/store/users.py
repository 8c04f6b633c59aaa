"""Workspace accounts and login sessions at the SQL level. Password hashing and policy live in `pipeline.web`;
this module only stores what it is given (a hash, never a password; a token's SHA-256, never the token)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.errors import InputError
from pipeline.store.schema import ROLES, users, web_sessions

USER_COLUMNS = ("id", "name", "role", "active", "failed_logins", "locked_until", "created_at", "updated_at",
                "last_login_at")


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    return role


def add(conn: Connection, name: str, role: str, password_hash: str, now: datetime) -> dict[str, Any]:
    """Insert an active account; InputError if the name is taken."""
    if get(conn, name) is not None:
        raise InputError(f"user {name!r} already exists")
    conn.execute(users.insert().values(name=name, role=check_role(role), password_hash=password_hash, active=True,
                                       failed_logins=0, created_at=now, updated_at=now))
    return get(conn, name) or {}


def get(conn: Connection, name: str, *, with_hash: bool = False) -> dict[str, Any] | None:
    """The account called `name` (exact match), or None."""
    columns = [users.c[n] for n in USER_COLUMNS] + ([users.c.password_hash] if with_hash else [])
    row = conn.execute(sa.select(*columns).where(users.c.name == name)).first()
    return None if row is None else dict(row._mapping)


def all_users(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(sa.select(*(users.c[n] for n in USER_COLUMNS))
                                                   .order_by(users.c.name))]


def update(conn: Connection, name: str, now: datetime, **values: Any) -> dict[str, Any]:
    """Change an account's columns (role, password_hash, active, failed_logins, locked_until, last_login_at)."""
    if "role" in values:
        check_role(values["role"])
    done = conn.execute(users.update().where(users.c.name == name).values(updated_at=now, **values))
    if done.rowcount != 1:
        raise InputError(f"no user {name!r}")
    if values.get("active") is False or "password_hash" in values:
        # A disabled account or a changed password ends every open session of that account.
        user_id = sa.select(users.c.id).where(users.c.name == name).scalar_subquery()
        conn.execute(web_sessions.delete().where(web_sessions.c.user_id == user_id))
    return get(conn, name) or {}


def add_session(conn: Connection, token_sha256: str, user_id: int, csrf: str, now: datetime,
                expires_at: datetime) -> None:
    # Expired sessions are removed whenever someone logs in, so the table stays small without a cron job.
    conn.execute(web_sessions.delete().where(web_sessions.c.expires_at < now))
    conn.execute(web_sessions.insert().values(token_sha256=token_sha256, user_id=user_id, csrf=csrf,
                                              created_at=now, expires_at=expires_at))


def session(conn: Connection, token_sha256: str, now: datetime) -> dict[str, Any] | None:
    """The live session with this token hash and its active account: user_id, name, role, csrf, expires_at."""
    query = (sa.select(users.c.id.label("user_id"), users.c.name, users.c.role, web_sessions.c.csrf,
                       web_sessions.c.expires_at)
             .join(users, users.c.id == web_sessions.c.user_id)
             .where(web_sessions.c.token_sha256 == token_sha256, web_sessions.c.expires_at > now,
                    users.c.active.is_(True)))
    row = conn.execute(query).first()
    return None if row is None else dict(row._mapping)


def end_session(conn: Connection, token_sha256: str) -> None:
    conn.execute(web_sessions.delete().where(web_sessions.c.token_sha256 == token_sha256))

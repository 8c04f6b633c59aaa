"""Workspace accounts: argon2 password hashes, roles, login with throttling, sessions.

Roles, least to most rights: viewer (reads), analyst (claims and decides), supervisor (also escalates, assigns,
undoes, bulk-acts, imports claims and exports evidence), admin (also manages accounts).

Notebook and CLI use::

    from pipeline.web import accounts
    accounts.add_user("sqlite:///patroli.db", "ani", "a long passphrase", "analyst")
    accounts.users_frame("sqlite:///patroli.db")
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pipeline.errors import InputError
from pipeline.store import Store, opened, users
from pipeline.store._types import utcnow
from pipeline.store.schema import ROLES

StoreLike = Store | str | None
MIN_PASSWORD = 10
SESSION_LIFETIME = timedelta(hours=12)
#: Consecutive failed logins after which an account is locked, and the first lock's length (doubling after).
LOCK_AFTER = 5
FIRST_LOCK = timedelta(seconds=30)
MAX_LOCK = timedelta(minutes=15)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: Names the audit log already uses for patroli itself.
RESERVED = frozenset({"patroli"})

_hasher = PasswordHasher()
# Verified against when the name is unknown, so a login takes as long whether or not the account exists.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def set_hash_cost(time_cost: int, memory_cost: int, parallelism: int) -> None:
    """Use other argon2 parameters for new hashes (argon2-cffi's defaults, RFC 9106's low-memory profile,
    otherwise). Existing hashes keep verifying, and are re-hashed with the new parameters at their next login.
    Meant for a small machine or for tests; lowering it makes stolen hashes cheaper to attack."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    _DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def rank(role: str) -> int:
    """A role's place in ROLES: a user may do what any role of lower or equal rank may."""
    return ROLES.index(role)


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name or "") or name in RESERVED:
        raise InputError(f"invalid user name {name!r}: 1-64 letters, digits, '.', '_' or '-', not {', '.join(RESERVED)}")
    return name


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise InputError(f"password too short: at least {MIN_PASSWORD} characters")
    return password


def add_user(store: StoreLike, name: str, password: str, role: str, *, now: datetime | None = None) -> dict[str, Any]:
    """Create an active account; InputError for a taken or invalid name, a short password or an unknown role."""
    check_name(name)
    users.check_role(role)
    digest = _hasher.hash(check_password(password))
    with opened(store) as st, st.transaction("cannot add user", write=True) as conn:
        return users.add(conn, name, role, digest, now or utcnow())


def users_frame(store: StoreLike = None) -> pd.DataFrame:
    """Accounts: name, role, active, failed_logins, locked_until, created_at, last_login_at (no hashes)."""
    with opened(store) as st, st.transaction("cannot read users") as conn:
        rows = users.all_users(conn)
    columns = ["name", "role", "active", "failed_logins", "locked_until", "created_at", "last_login_at"]
    return pd.DataFrame(rows, columns=["id", *columns, "updated_at"])[columns]


def _update(store: StoreLike, name: str, what: str, **values: Any) -> dict[str, Any]:
    with opened(store) as st, st.transaction(f"cannot {what}", write=True) as conn:
        return users.update(conn, name, utcnow(), **values)


def set_active(store: StoreLike, name: str, active: bool) -> dict[str, Any]:
    """Disable (ending its sessions) or re-enable an account."""
    return _update(store, name, "change user", active=active, failed_logins=0, locked_until=None)


def set_password(store: StoreLike, name: str, password: str) -> dict[str, Any]:
    """Replace an account's password (ending its sessions) and lift a login lock."""
    digest = _hasher.hash(check_password(password))
    return _update(store, name, "change password", password_hash=digest, failed_logins=0, locked_until=None)


def set_role(store: StoreLike, name: str, role: str) -> dict[str, Any]:
    return _update(store, name, "change role", role=users.check_role(role))


@dataclass(frozen=True)
class Session:
    """A logged-in user: who, with which role, and the CSRF token every state change must carry."""

    user_id: int
    name: str
    role: str
    csrf: str
    expires_at: datetime

    def may(self, role: str) -> bool:
        return rank(self.role) >= rank(role)


class LoginRefused(InputError):
    """A login that did not succeed; `locked_for` is set when the account is locked for a while."""

    def __init__(self, message: str, locked_for: timedelta | None = None) -> None:
        super().__init__(message)
        self.locked_for = locked_for


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def login(store: StoreLike, name: str, password: str, *, now: datetime | None = None) -> tuple[str, Session]:
    """Check a password; return (session token for the cookie, Session). LoginRefused when the name or
    password is wrong (the same message for both), the account is disabled, or it is locked after
    LOCK_AFTER failures in a row (the lock doubles with each further failure, up to MAX_LOCK)."""
    now = now or utcnow()
    with opened(store) as st:
        with st.transaction("cannot log in") as conn:
            user = users.get(conn, name, with_hash=True)
        if user is not None and user["locked_until"] is not None and user["locked_until"] > now:
            raise LoginRefused("account locked after repeated failed logins", user["locked_until"] - now)
        # Hashing is slow on purpose: it runs outside any transaction so it holds no database lock.
        try:
            ok = _hasher.verify(user["password_hash"] if user else _DUMMY_HASH, password) and user is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            if user is not None:
                with st.transaction("cannot log in", write=True) as conn:
                    _count_failure(conn, name, now)
            raise LoginRefused("wrong user name or password")
        if not user["active"]:
            raise LoginRefused("account disabled")
        with st.transaction("cannot log in", write=True) as conn:
            return _open_session(conn, user, password, now)


def _count_failure(conn: Any, name: str, now: datetime) -> None:
    failures = (users.get(conn, name) or {}).get("failed_logins", 0) + 1
    lock = now + min(MAX_LOCK, FIRST_LOCK * 2 ** (failures - LOCK_AFTER)) if failures >= LOCK_AFTER else None
    users.update(conn, name, now, failed_logins=failures, locked_until=lock)


def _open_session(conn: Any, user: dict[str, Any], password: str, now: datetime) -> tuple[str, Session]:
    name = user["name"]
    changes: dict[str, Any] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if _hasher.check_needs_rehash(user["password_hash"]):
        changes["password_hash"] = _hasher.hash(password)
    users.update(conn, name, now, **changes)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + SESSION_LIFETIME
    users.add_session(conn, token_digest(token), user["id"], csrf, now, expires)
    return token, Session(user["id"], user["name"], user["role"], csrf, expires)


def session(store: StoreLike, token: str | None, *, now: datetime | None = None) -> Session | None:
    """The live session of a cookie token (None if absent, expired, logged out or its account disabled)."""
    if not token or len(token) > 200:
        return None
    with opened(store) as st, st.transaction("cannot read session") as conn:
        found = users.session(conn, token_digest(token), now or utcnow())
    return None if found is None else Session(found["user_id"], found["name"], found["role"], found["csrf"],
                                              found["expires_at"])


def logout(store: StoreLike, token: str | None) -> None:
    if token:
        with opened(store) as st, st.transaction("cannot log out", write=True) as conn:
            users.end_session(conn, token_digest(token))

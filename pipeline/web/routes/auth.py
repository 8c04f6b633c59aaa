"""Login, logout and the language switch."""

from __future__ import annotations

import time
from collections import deque
from threading import Lock
from urllib.parse import urlsplit

from starlette.responses import Response

from pipeline.web import accounts
from pipeline.web._context import LANG_COOKIE, SESSION_COOKIE, Page, route, set_cookie
from pipeline.web.i18n import LANGUAGES

#: Failed logins one client address may make in WINDOW seconds before it must wait (on top of the per-account
#: lock, this stops one client from trying a password against many accounts).
CLIENT_FAILURES = 20
WINDOW = 600.0
_failures: dict[str, deque[float]] = {}
_lock = Lock()


def local_path(target: str | None) -> str:
    """`target` if it is a path on this site ("/queue?x=1"), else "/": never redirect elsewhere after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return "/"
    return target


def _client_blocked(client: str) -> bool:
    now = time.monotonic()
    with _lock:
        recent = _failures.setdefault(client, deque())
        while recent and recent[0] < now - WINDOW:
            recent.popleft()
        return len(recent) >= CLIENT_FAILURES


def _client_failed(client: str) -> None:
    with _lock:
        _failures.setdefault(client, deque()).append(time.monotonic())


def reset_client_throttle() -> None:
    """Forget every client's failed logins (for tests and a restarted server)."""
    with _lock:
        _failures.clear()


@route("/login", role=None)
def login_form(page: Page) -> Response:
    if page.session is not None:
        return page.redirect(local_path(page.query.get("next")))
    return page.render("login.html", next=local_path(page.query.get("next")), message=None, name="")


@route("/login", methods=("POST",), role=None)
def login(page: Page) -> Response:
    name, target = page.field("name").strip(), local_path(page.field("next"))
    client = page.request.client.host if page.request.client else "?"
    if _client_blocked(client):
        return page.render("login.html", status=429, next=target, message=page.t("login_throttled_client"),
                           name=name)
    try:
        token, session = accounts.login(page.store, name, page.field("password"))
    except accounts.LoginRefused as err:
        _client_failed(client)
        if err.locked_for is not None:
            message = page.t("login_locked", minutes=max(1, round(err.locked_for.total_seconds() / 60)))
            return page.render("login.html", status=429, next=target, message=message, name=name)
        key = "login_disabled" if str(err) == "account disabled" else "login_failed"
        return page.render("login.html", status=401, next=target, message=page.t(key), name=name)
    response = page.redirect(target)
    set_cookie(page, response, SESSION_COOKIE, token, max_age=int(accounts.SESSION_LIFETIME.total_seconds()))
    return response


@route("/logout", methods=("POST",))
def logout(page: Page) -> Response:
    accounts.logout(page.store, page.request.cookies.get(SESSION_COOKIE))
    response = page.redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@route("/lang", methods=("POST",), role=None)
def switch_language(page: Page) -> Response:
    lang = page.field("lang")
    response = page.redirect(local_path(page.field("next")))
    if lang in LANGUAGES:
        set_cookie(page, response, LANG_COOKIE, lang, max_age=365 * 86400)
    return response

"""The Starlette application: routes, static files, security headers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.store import Store
from pipeline.store.engine import SQLITE_LARGE_CACHE_KIB
from pipeline.web import routes  # noqa: F401  (registers the pages)
from pipeline.web._context import ROUTES, Workspace
from pipeline.web.i18n import Translator

#: No inline script, no inline style, nothing from another origin, no framing, forms post only here.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "content-security-policy": CSP, "x-content-type-options": "nosniff", "x-frame-options": "DENY",
    "referrer-policy": "same-origin", "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """Adds HEADERS to every response (pages, static files, errors); pages are not cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.decode().lower() not in HEADERS]
                headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
                if not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _not_found(request: Request, exc: Exception) -> Response:
    t = Translator(request.cookies.get("patroli_lang") or "id")
    code = getattr(exc, "status_code", 404)
    key = "error_not_found" if code == 404 else "error_method"
    return HTMLResponse(f"<!DOCTYPE html><title>{code}</title><p>{t(key)}</p><p><a href=\"/queue\">patroli</a></p>",
                        status_code=code)


def _sqlite_cache(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA cache_size = -{SQLITE_LARGE_CACHE_KIB}")
    cursor.close()


def create_app(store: Store | str | None = None, *, https: bool = False) -> Starlette:
    """The workspace app on `store` (a Store, a database URL, or None for the default database).

    `https=True` marks cookies Secure even when a proxy in front terminates TLS (requests arriving over https
    get Secure cookies anyway).
    """
    opened = store if isinstance(store, Store) else Store.open(store)
    if opened.dialect == "sqlite":
        # The queue page reads indexes over the whole queue on every view: keep them in memory (per connection).
        event.listen(opened.engine, "connect", _sqlite_cache)
        opened.engine.dispose()
    app = Starlette(routes=[*ROUTES, Mount("/static", StaticFiles(packages=[("pipeline.web", "static")]),
                                           name="static")],
                    exception_handlers={404: _not_found, 405: _not_found})
    app.state.workspace = Workspace(opened, https=https)
    app.add_middleware(SecurityHeaders)
    return app

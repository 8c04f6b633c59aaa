"""The request pipeline every page goes through: session, role check, CSRF check, rendering, errors.

Handlers are plain functions `handler(page: Page) -> Response` registered with `@route(path, role=...)`; they run
in a worker thread (the store is synchronous). Every route names the least role it needs (None: anyone, for the
login page only); every POST must carry the session's CSRF token (before login: the double-submit cookie).
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, QueryParams, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from pipeline.errors import InputError, PatroliError, StoreError
from pipeline.store import Store, queue_search
from pipeline.web import accounts, formatting
from pipeline.web.i18n import LANGUAGES, Translator, language

SESSION_COOKIE = "patroli_session"
CSRF_COOKIE = "patroli_csrf"
LANG_COOKIE = "patroli_lang"
CHOICES_TTL = 30.0
#: Largest upload accepted (a claims file).
MAX_UPLOAD = 20 * 1024 * 1024


@dataclass
class Workspace:
    """What every request shares: the store, the templates, and whether cookies must be Secure."""

    store: Store
    https: bool = False
    env: Environment = field(init=False)
    _choices: tuple[float, dict[str, list[str]]] = field(init=False, default=(0.0, {}))

    def __post_init__(self) -> None:
        self.env = Environment(loader=PackageLoader("pipeline.web", "templates"), autoescape=True,
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        formatting.install(self.env)

    def choices(self) -> dict[str, list[str]]:
        """The filter form's platform, source and assignee values; read at most every CHOICES_TTL seconds
        (each is a scan of an index over the whole queue, and they rarely change)."""
        at, values = self._choices
        if time.monotonic() - at > CHOICES_TTL:
            with self.store.transaction("cannot read the queue") as conn:
                values = queue_search.choices(conn)
            self._choices = (time.monotonic(), values)
        return values


@dataclass
class Page:
    """One request as a handler sees it."""

    request: Request
    ws: Workspace
    session: accounts.Session | None
    lang: str
    form: FormData | None
    files: dict[str, tuple[str, bytes]]
    anon_csrf: str

    @property
    def store(self) -> Store:
        return self.ws.store

    @property
    def query(self) -> QueryParams:
        return self.request.query_params

    @property
    def t(self) -> Translator:
        return Translator(self.lang)

    @property
    def user(self) -> str:
        """The logged-in user's name: the actor of every audit entry written from the web."""
        assert self.session is not None
        return self.session.name

    @property
    def csrf(self) -> str:
        return self.session.csrf if self.session else self.anon_csrf

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, str) else default

    def fields(self, name: str) -> list[str]:
        return [v for v in self.form.getlist(name) if isinstance(v, str)] if self.form is not None else []

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        body = self.ws.env.get_template(template).render(
            t=self.t, lang=self.lang, languages=LANGUAGES, session=self.session, csrf=self.csrf,
            path=self.request.url.path, query=self.request.url.query, **context)
        response = HTMLResponse(body, status_code=status)
        if self.session is None and self.request.cookies.get(CSRF_COOKIE) != self.anon_csrf:
            set_cookie(self, response, CSRF_COOKIE, self.anon_csrf, max_age=None)
        return response

    def error(self, status: int, message: str) -> HTMLResponse:
        return self.render("error.html", status=status, status_code=status, message=message)

    def redirect(self, path: str, **params: Any) -> RedirectResponse:
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        return RedirectResponse(path + ("?" + urlencode(clean, doseq=True) if clean else ""), status_code=303)


def set_cookie(page: Page, response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict" if name == CSRF_COOKIE
                        else "lax", secure=page.ws.https or page.request.url.scheme == "https", path="/")


Handler = Callable[[Page], Response]
ROUTES: list[Route] = []
#: path -> (methods, least role) of every registered route; the authorisation tests walk it.
RULES: dict[tuple[str, str], str | None] = {}


def route(path: str, *, methods: tuple[str, ...] = ("GET",), role: str | None = "viewer",
          upload: bool = False) -> Callable[[Handler], Handler]:
    """Register `handler` for `path`. `role`: the least role allowed (None only for pages anyone may see);
    POST requests are refused unless they carry a valid CSRF token; GET handlers must not change state."""

    def register(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            ws: Workspace = request.app.state.workspace
            form, files = None, {}
            if request.method == "POST":
                form = await request.form(max_files=1 if upload else 0, max_fields=200,
                                          max_part_size=MAX_UPLOAD if upload else 64 * 1024)
                for key, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        files[key] = (value.filename or "upload", await value.read(MAX_UPLOAD + 1))
            return await run_in_threadpool(_handle, handler, role, request, ws, form, files)

        for method in methods:
            RULES[(path, method)] = role
        ROUTES.append(Route(path, endpoint, methods=list(methods), name=handler.__name__))
        return handler

    return register


def _handle(handler: Handler, role: str | None, request: Request, ws: Workspace, form: FormData | None,
            files: dict[str, tuple[str, bytes]]) -> Response:
    session = accounts.session(ws.store, request.cookies.get(SESSION_COOKIE))
    anon = request.cookies.get(CSRF_COOKIE) or ""
    page = Page(request, ws, session, language(request.cookies.get(LANG_COOKIE)), form, files,
                anon if len(anon) == 43 else secrets.token_urlsafe(32))
    t = page.t
    if role is not None:
        if session is None:
            if request.method == "GET":
                return page.redirect("/login", next=request.url.path + (f"?{request.url.query}"
                                                                         if request.url.query else ""))
            return page.error(401, t("error_login_required"))
        if not session.may(role):
            return page.error(403, t("error_forbidden", role=t(f"role_{role}")))
    if request.method == "POST":
        sent = page.field("csrf")
        expected = session.csrf if session else request.cookies.get(CSRF_COOKIE, "")
        if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
            return page.error(403, t("error_csrf"))
    try:
        return handler(page)
    except accounts.LoginRefused:
        raise
    except InputError as err:
        return page.error(404 if str(err).startswith("no queue item") else 400, str(err))
    except StoreError as err:
        return page.error(409, str(err))
    except PatroliError as err:
        return page.error(400, str(err))

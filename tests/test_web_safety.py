"""Workspace safety, each test failing without its protection: CSRF, no state change on GET, escaping, CSP,
authorisation on every route, no open redirect, bound SQL parameters, lease exclusivity."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from html.parser import HTMLParser

import _web
import pytest
import sqlalchemy as sa
from _web import XSS, Browser

from pipeline import review
from pipeline.store import Store
from pipeline.store._types import utcnow
from pipeline.store.schema import ROLES
from pipeline.web._context import RULES
from pipeline.web.app import create_app
from pipeline.web.routes.auth import local_path


@pytest.fixture
def ws(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'web.db'}") as store:
        ids = _web.seed(store)
        yield store, ids, create_app(store)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One seeded workspace with every user logged in, for tests that only check refusals (nothing changes)."""
    with Store.open(f"sqlite:///{tmp_path_factory.mktemp('site') / 'web.db'}") as store:
        ids = _web.seed(store)
        app = create_app(store)
        yield store, ids, app, {name: Browser(app, name) for name in _web.USERS}


def snapshot(store: Store) -> dict[str, list]:
    """Every table a request could change (session rows only counted: logging in is not under test here)."""
    out = {}
    with store.engine.connect() as conn:
        for table in ("queue_items", "audit_log", "claims", "posts"):
            out[table] = [tuple(map(str, r)) for r in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1"))]
        # Logging in stamps last_login_at; the account itself must not change.
        out["users"] = [tuple(map(str, r)) for r in conn.execute(
            sa.text("SELECT id, name, role, password_hash, active FROM users ORDER BY 1"))]
        out["sessions"] = conn.execute(sa.text("SELECT count(*) FROM web_sessions")).scalar()
    return out


def concrete(path: str, ids: dict[str, int]) -> str:
    return (path.replace("{item_id:int}", str(ids["3"])).replace("{name}", "budi")
            .replace("{claim_id:path}", "cek-2"))


def lowest_user(role: str) -> str:
    return next(name for name, r in _web.USERS.items() if r == role)


POSTS = sorted(path for path, method in RULES if method == "POST")
GETS = sorted(path for path, method in RULES if method == "GET")


def test_every_route_declares_a_role():
    assert POSTS and GETS
    anonymous = {key for key, role in RULES.items() if role is None}
    assert anonymous == {("/login", "GET"), ("/login", "POST"), ("/lang", "POST")}


@pytest.mark.parametrize("path", POSTS)
def test_post_without_or_with_wrong_csrf_is_refused(site, path):
    store, ids, _app, users = site
    admin = users["root"]
    before = snapshot(store)
    for token in ("", "x" * 43, admin.csrf[:-1] + ("A" if admin.csrf[-1] != "A" else "B")):
        response = admin.post(concrete(path, ids), {"csrf": token, "name": "baru", "password": "p" * 12,
                                                    "role": "viewer", "action": "confirm", "lang": "en"})
        assert response.status_code == 403, (path, token, response.status_code)
        assert "CSRF" in response.text
    assert snapshot(store) == before


def test_login_form_needs_its_csrf_cookie_token(ws):
    _store, _ids, app = ws
    client = Browser(app)
    client.get("/login")
    refused = client.client.post("/login", data={"name": "ani", "password": _web.PASSWORD, "csrf": "forged"})
    assert refused.status_code == 403 and "patroli_session" not in refused.cookies


@pytest.mark.parametrize("path", GETS)
def test_get_changes_nothing(site, path):
    store, ids, _app, users = site
    admin = users["root"]
    before = snapshot(store)
    response = admin.get(concrete(path, ids))
    assert response.status_code in (200, 303), (path, response.status_code)
    assert snapshot(store) == before


@pytest.mark.parametrize("path", POSTS)
def test_state_changing_routes_refuse_get(site, path):
    _store, ids, _app, users = site
    admin = users["root"]
    if (path, "GET") in RULES:
        return
    assert admin.get(concrete(path, ids)).status_code == 405


@pytest.mark.parametrize(("path", "method"), sorted(RULES))
def test_every_route_refuses_roles_below_its_own(site, path, method):
    store, ids, app, users = site
    needed = RULES[(path, method)]
    if needed is None:
        return
    url = concrete(path, ids)
    before = snapshot(store)
    anonymous = Browser(app)
    response = anonymous.get(url) if method == "GET" else anonymous.post(url, {"csrf": "x"})
    assert response.status_code in (303, 401)
    if method == "GET":
        assert response.headers["location"].startswith("/login?next=")
    for role in ROLES[:ROLES.index(needed)]:
        user = users[lowest_user(role)]
        response = user.get(url) if method == "GET" else user.post(url, {"action": "confirm", "role": "admin",
                                                                         "password": "p" * 12, "name": "x"})
        assert response.status_code == 403, (path, method, role)
    assert snapshot(store)["queue_items"] == before["queue_items"]
    assert snapshot(store)["users"] == before["users"]


@pytest.mark.parametrize(("user", "method", "path", "status"), [
    ("vera", "POST", "/items/{a}/decide", 403), ("vera", "POST", "/next", 403), ("ani", "GET", "/users", 403),
    ("ani", "GET", "/export", 403), ("ani", "POST", "/items/{a}/escalate", 403), ("ani", "POST", "/users", 403),
    ("ani", "POST", "/users/root/role", 403), ("kanit", "POST", "/users/root/password", 403),
    ("ani", "POST", "/items/987654/decide", 404), ("vera", "GET", "/items/987654", 404),
    ("ani", "POST", "/claims-import", 403),
])
def test_guessed_urls_and_ids(site, user, method, path, status):
    store, ids, _app, users = site
    client = users[user]
    before = snapshot(store)
    url = path.replace("{a}", str(ids["3"]))
    response = client.get(url) if method == "GET" else client.post(url, {"action": "confirm", "role": "admin",
                                                                         "password": "p" * 12})
    assert response.status_code == status
    assert snapshot(store)["queue_items"] == before["queue_items"] and snapshot(store)["users"] == before["users"]


def test_analyst_cannot_bulk_dismiss_or_assign(site):
    store, _ids, _app, users = site
    ani = users["ani"]
    before = snapshot(store)
    for action in ("dismiss", "escalate", "assign"):
        response = ani.post("/queue/bulk", {"action": action, "label_arg": "hoax", "assignee_arg": "budi",
                                            "confirm": "yes", "expected": "15"})
        assert response.status_code == 403
    assert snapshot(store)["queue_items"] == before["queue_items"]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.problems.append("inline <script>")
        if tag == "img" and any(n.startswith("on") for n in names):
            self.problems.append("<img> with an event handler")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and value and re.match(r"\s*(javascript|data|vbscript):", value, re.I):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "href":
                self.hrefs.append(value or "")


def _pages(ids: dict[str, int]) -> list[str]:
    return ["/queue", "/queue?q=awas", f"/items/{ids['13']}", "/claims", "/claims/cek-1", "/dashboard",
            "/users", f"/items/{ids['14']}"]


def test_hostile_text_author_claim_title_note_and_links_are_escaped(ws):
    store, ids, app = ws
    admin = Browser(app, "root")
    item = ids["13"]
    assert admin.post(f"/items/{item}/decide", {"verdict_hoax": "yes", "note": XSS}).status_code == 303
    for path in _pages(ids):
        html = admin.get(path).text
        parser = _Tags()
        parser.feed(html)
        assert parser.problems == [], (path, parser.problems)
        assert '<script>alert("x")' not in html and "<img src=x" not in html, path
    page = admin.get(f"/items/{item}").text
    assert page.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") >= 3  # text, author, note, claim title
    assert 'id="post-url">javascript:alert(3)</span>' in page
    assert "javascript:alert(4)" not in page  # the claim link is not even shown as text in a link


def test_csp_and_security_headers_on_every_kind_of_response(ws):
    _store, ids, app = ws
    admin = Browser(app, "root")
    responses = [admin.get("/queue"), admin.get(f"/items/{ids['3']}"), admin.get("/static/app.js"),
                 admin.get("/no-such-page"), Browser(app).get("/queue"), Browser(app).get("/login"),
                 Browser(app, "vera").get("/users"), admin.post("/next", {"csrf": "bad"})]
    for response in responses:
        csp = response.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["script-src"] == "'self'" and directives["default-src"] == "'none'"
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"


def test_session_cookie_flags(ws):
    _store, _ids, app = ws
    client = Browser(app)
    response = client.login("ani", _web.PASSWORD)
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    secure = Browser(create_app(_store, https=True))
    cookie = secure.login("ani", _web.PASSWORD).headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
                                    "\\\\evil.example", "/\t/evil.example", "http:/evil.example", "evil.example"])
def test_no_open_redirect_after_login(ws, target):
    _store, _ids, app = ws
    client = Browser(app)
    response = client.login("ani", _web.PASSWORD, target=target)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert local_path("/items/3?back=status%3Dpending") == "/items/3?back=status%3Dpending"


INJECTIONS = ["' OR '1'='1", "1; DROP TABLE posts; --", "%", "_", "\\", "x' UNION SELECT password_hash FROM users --"]
TEXT_FIELDS = ("platform", "source", "claim", "assignee", "q")


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_sql_injection_in_text_filters_matches_nothing(site, field, value):
    store, _ids, _app, users = site
    viewer = users["vera"]
    response = viewer.get("/queue", params={field: value})
    assert response.status_code == 200
    assert re.search(r'id="total">0<', response.text), (field, value)
    assert "argon2" not in response.text
    assert snapshot(store)["posts"]


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("field", ("status", "label", "score_min", "score_max", "since", "until", "sort", "page"))
def test_sql_injection_in_checked_filters_is_a_clear_error(site, field, value):
    _store, _ids, _app, users = site
    viewer = users["vera"]
    response = viewer.get("/queue", params={field: value})
    assert response.status_code == 400
    assert 'id="filter-error"' in response.text
    assert re.search(r'id="total">16<|id="total">15<', response.text)


def test_free_text_matches_literally(site):
    _store, ids, _app, users = site
    viewer = users["vera"]
    found = viewer.get("/queue", params={"q": "NOMOR 12"}).text
    assert f'href="/items/{ids["12"]}?' in found and re.search(r'id="total">1<', found)


def test_decision_on_an_item_someone_else_holds_is_refused(ws):
    store, ids, app = ws
    ani, budi = Browser(app, "ani"), Browser(app, "budi")
    item = ids["5"]
    assert ani.post(f"/items/{item}/claim").status_code == 303
    before = snapshot(store)
    refused = budi.post(f"/items/{item}/decide", {"verdict_hoax": "no"})
    assert refused.status_code == 409 and "dipegang oleh ani" in refused.text
    assert budi.post(f"/items/{item}/claim").status_code == 409
    assert snapshot(store)["audit_log"] == before["audit_log"]
    page = budi.get(f"/items/{item}").text
    assert 'id="held"' in page and 'id="decide"' not in page
    mine = ani.get(f"/items/{item}").text
    assert 'id="lease"' in mine and 'id="decide"' in mine
    assert ani.post(f"/items/{item}/decide", {"verdict_hoax": "yes"}).status_code == 303


def test_expired_lease_frees_the_item(ws):
    store, ids, app = ws
    item = ids["7"]
    review.claim(store, "ani", item, lease=timedelta(minutes=1), now=utcnow() - timedelta(minutes=10))
    budi = Browser(app, "budi")
    assert 'id="held"' not in budi.get(f"/items/{item}").text
    assert budi.post(f"/items/{item}/decide", {"verdict_hoax": "no"}).status_code == 303
    assert review.item(store, item)["decided_by"] == "budi"


def test_two_analysts_taking_next_at_once_never_get_the_same_item(ws):
    _store, _ids, app = ws
    clients = [Browser(app, "ani"), Browser(app, "budi")]
    got: list[list[str]] = [[], []]

    def take(k: int) -> None:
        for _ in range(6):
            got[k].append(clients[k].post("/next").headers["location"])

    threads = [threading.Thread(target=take, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    items = [loc for locs in got for loc in locs if loc.startswith("/items/")]
    assert len(items) == 12 and len(set(items)) == 12

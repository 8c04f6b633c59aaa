"""Account management (admins only)."""

from __future__ import annotations

from starlette.responses import Response

from pipeline.store.schema import ROLES
from pipeline.web import accounts
from pipeline.web._context import Page, route

NOTICES = ("added", "changed")


@route("/users", role="admin")
def users_list(page: Page) -> Response:
    notice = page.query.get("notice")
    return page.render("users.html", users=accounts.users_frame(page.store).to_dict(orient="records"),
                       roles=ROLES, notice=notice if notice in NOTICES else None)


@route("/users", methods=("POST",), role="admin")
def users_add(page: Page) -> Response:
    accounts.add_user(page.store, page.field("name").strip(), page.field("password"), page.field("role"))
    return page.redirect("/users", notice="added")


@route("/users/{name}/role", methods=("POST",), role="admin")
def users_role(page: Page) -> Response:
    accounts.set_role(page.store, page.request.path_params["name"], page.field("role"))
    return page.redirect("/users", notice="changed")


@route("/users/{name}/active", methods=("POST",), role="admin")
def users_active(page: Page) -> Response:
    accounts.set_active(page.store, page.request.path_params["name"], page.field("active") == "yes")
    return page.redirect("/users", notice="changed")


@route("/users/{name}/password", methods=("POST",), role="admin")
def users_password(page: Page) -> Response:
    accounts.set_password(page.store, page.request.path_params["name"], page.field("password"))
    return page.redirect("/users", notice="changed")

"""`patroli serve` and `patroli users ...`: the web workspace and its accounts (extra `web`; without it these
commands say how to install it)."""

from __future__ import annotations

import click

from pipeline import web
from pipeline.cli._common import DB_OPTION, FORMAT_OPTION, PatroliGroup, render
from pipeline.store.schema import ROLES
from pipeline.web import accounts


@click.command()
@DB_OPTION
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--https", is_flag=True,
              help="Behind a TLS-terminating proxy: mark cookies Secure and trust its X-Forwarded-* headers.")
def serve(db: str | None, host: str, port: int, https: bool) -> None:
    """Serve the analysts' web workspace (queue, review, dashboard, claims) on the same database.

    \b
    Example:
      patroli users add ani --role analyst --db sqlite:///patroli.db
      patroli serve --db sqlite:///patroli.db --port 8000    # then open http://127.0.0.1:8000
    """
    click.echo(f"patroli workspace on http://{host}:{port} (Ctrl+C to stop)", err=True)
    web.serve(db, host=host, port=port, https=https)


@click.group(cls=PatroliGroup)
def users() -> None:
    """Workspace accounts: viewer reads; analyst claims and decides; supervisor also escalates, assigns,
    undoes, bulk-acts, imports claims and exports evidence; admin also manages accounts."""


def _password(confirm: bool = True) -> str:
    return click.prompt("Password", hide_input=True, confirmation_prompt=confirm)


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the account may do.")
@DB_OPTION
def users_add(name: str, role: str, db: str | None) -> None:
    """Add an account; the password (10 characters or more) is prompted for.

    \b
    Example:
      patroli users add ani --role analyst
    """
    accounts.check_name(name)
    accounts.add_user(db, name, _password(), role)
    click.echo(f"user {name} added as {role}")


@users.command("list")
@DB_OPTION
@FORMAT_OPTION
def users_list(db: str | None, fmt: str) -> None:
    """List accounts (never their password hashes).

    \b
    Example:
      patroli users list --format json
    """
    render(accounts.users_frame(db), fmt)


@users.command("disable")
@click.argument("name")
@click.option("--enable", is_flag=True, help="Re-enable the account instead.")
@DB_OPTION
def users_disable(name: str, enable: bool, db: str | None) -> None:
    """Disable an account (its open sessions end at once), or re-enable it with --enable.

    \b
    Example:
      patroli users disable budi
    """
    accounts.set_active(db, name, enable)
    click.echo(f"user {name} {'enabled' if enable else 'disabled'}")


@users.command("passwd")
@click.argument("name")
@DB_OPTION
def users_passwd(name: str, db: str | None) -> None:
    """Set a new password (prompted); ends the account's sessions and lifts a login lock.

    \b
    Example:
      patroli users passwd ani
    """
    accounts.set_password(db, name, _password())
    click.echo(f"password of {name} changed")

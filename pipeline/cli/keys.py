"""`patroli keys ...`: the Ed25519 key that signs the evidence chain's head, kept outside the database."""

from __future__ import annotations

import click

from pipeline.cli._common import PatroliGroup
from pipeline.errors import ConfigError
from pipeline.signing import create_key, key_id, key_path, load_private, public_path


@click.group(cls=PatroliGroup)
def keys() -> None:
    """Manage the key that signs the evidence chain's head in exports, reports and patrol logs."""


@keys.command()
@click.option("--path", default=None, metavar="PATH",
              help="Where to write the private key  [default: $PATROLI_SIGNING_KEY or ~/.config/patroli/signing.key]")
@click.option("--force", is_flag=True, help="Replace an existing key (heads it signed can then only be checked "
                                            "with its .pub file, if you keep one).")
def init(path: str | None, force: bool) -> None:
    """Create a signing key (mode 0600) and its public half (PATH.pub) to give to whoever verifies.

    \b
    Examples:
      patroli keys init
      patroli keys init --path /etc/patroli/signing.key
    """
    written, kid = create_key(path, force=force)
    click.echo(f"signing key {kid} written to {written} (keep it off the database server; back it up)")
    click.echo(f"public key: {public_path(written)}")
    if path is not None:
        click.echo(f"use it: export PATROLI_SIGNING_KEY={written}  (or signing_key in patrol.toml)")


@keys.command()
@click.option("--path", default=None, metavar="PATH", help="The private key  [default: the configured one]")
def show(path: str | None) -> None:
    """Print the configured key's id and where it is.

    \b
    Example:
      patroli keys show --path /etc/patroli/signing.key
    """
    key = load_private(path)
    if key is None:
        raise ConfigError(f"no signing key at {key_path(path)}; create one with `patroli keys init`")
    click.echo(f"{key_id(key.public_key())}  {key_path(path)}")

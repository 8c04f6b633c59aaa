"""Shared CLI plumbing: the group that turns PatroliError into one line and an exit code, the group that imports a
subcommand's module only when that subcommand is used, the options several commands share (each defined once
here), and JSON output. Tables are rendered by `_render`, which only the commands that print tables import:
`patroli --version` and help load neither pandas nor scikit-learn."""

from __future__ import annotations

import getpass
import importlib
import os
from collections.abc import Mapping
from typing import Any

import click

from pipeline.errors import ConfigError, PatroliError
from pipeline.labels import LABELS
from pipeline.values import to_json


class PatroliGroup(click.Group):
    """A click group whose commands report PatroliError as one line on stderr and exit with its code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PatroliError as exc:
            click.echo(f"patroli: error: {exc}", err=True)
            ctx.exit(exc.exit_code)

    def group(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", PatroliGroup)
        return super().group(*args, **kwargs)


class LazyGroup(PatroliGroup):
    """A PatroliGroup whose subcommands named in `lazy_commands` (name -> "module:attribute" of a click command)
    are imported when they run or when help lists them, so a run loads only the module of the command it runs."""

    def __init__(self, *args: Any, lazy_commands: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy_commands:
            return super().get_command(ctx, cmd_name)
        return self.load(cmd_name)

    def load(self, name: str) -> click.Command:
        """The click command `name`, imported from the module `lazy_commands` names."""
        module, _, attribute = self.lazy_commands[name].partition(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command


def default_analyst() -> str:
    """$PATROLI_ANALYST, else the login name."""
    try:
        return os.environ.get("PATROLI_ANALYST") or getpass.getuser()
    except (OSError, KeyError):
        return f"uid{os.getuid()}"


DB_OPTION = click.option("--db", default=None, metavar="URL",
                         help="Database  [default: $PATROLI_DB or sqlite:///patroli.db]")
FORMAT_OPTION = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                             show_default=True, help="Output format.")
MODEL_OPTION = click.option("--model", "model_path", default=None, metavar="DIR",
                            help="Model directory  [default: the shipped model]")
DATA_DIR_OPTION = click.option("--data-dir", default=None, metavar="DIR",
                               help="Third-party datasets  [default: $PATROLI_DATA_DIR]")
ANALYST_OPTION = click.option("--analyst", default=default_analyst, metavar="NAME",
                              help="Who is acting  [default: $PATROLI_ANALYST or your login name]")
NOTE_OPTION = click.option("--note", default=None, help="Free-text note for the audit trail.")
REASON_OPTION = click.option("--reason", "reason", default=None, metavar="CODE",
                             help="Reason code for the audit trail.")
SIGNING_KEY_OPTION = click.option("--signing-key", default=None, metavar="PATH",
                                  help="Ed25519 key to sign the evidence chain's head with  [default: "
                                       "$PATROLI_SIGNING_KEY or ~/.config/patroli/signing.key, if present]")
WORKERS_OPTION = click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
                               help="Score in N worker processes; 1 scores in this process  [default: the "
                                    "machine's cores]")
THRESHOLD_OPTION = click.option("--threshold", "thresholds", multiple=True, metavar="LABEL=X",
                                help="Override a label's threshold (repeatable).")


def parse_thresholds(pairs: tuple[str, ...]) -> dict[str, float]:
    """`--threshold LABEL=X` values as {label: X}; ConfigError for an unknown label or a value that is not a number."""
    out: dict[str, float] = {}
    for pair in pairs:
        label, sep, value = pair.partition("=")
        if not sep or label not in LABELS:
            raise ConfigError(f"--threshold takes LABEL=X with LABEL one of {', '.join(LABELS)}; got {pair!r}")
        try:
            out[label] = float(value)
        except ValueError:
            raise ConfigError(f"--threshold {pair!r}: {value!r} is not a number") from None
    return out


def echo_json(obj: Any) -> None:
    click.echo(to_json(obj, indent=2))

"""The `patroli` command. Commands are thin: parse, call one library function, render.

Each command lives in its own module, imported only when that command runs (or when help lists it): a command
that does not score posts must not pay for loading scikit-learn, and cron starts patroli often.
"""

from __future__ import annotations

import click

from pipeline import __version__
from pipeline.cli._common import LazyGroup
from pipeline.errors import ConfigError

#: command name -> "module:attribute" of its click command.
COMMANDS = {
    "scan": "pipeline.cli.scan:scan",
    "explain": "pipeline.cli.model:explain",
    "train": "pipeline.cli.model:train",
    "evaluate": "pipeline.cli.model:evaluate",
    "run": "pipeline.cli.patrol:run",
    "review": "pipeline.cli.review:review",
    "claims": "pipeline.cli.claims:claims",
    "report": "pipeline.cli.report:report",
    "data": "pipeline.cli.data:data",
    "check": "pipeline.cli.check:check",
    "serve": "pipeline.cli.web:serve",
    "users": "pipeline.cli.web:users",
    "keys": "pipeline.cli.keys:keys",
}

#: commands that need an optional extra -> the extra's name.
EXTRAS = {"serve": "web", "users": "web"}


class PatroliCli(LazyGroup):
    """The top-level group: a command whose module cannot be imported says which optional extra it needs."""

    def load(self, name: str) -> click.Command:
        try:
            return super().load(name)
        except ImportError as err:
            return _missing_extra(name, err)


def _missing_extra(name: str, err: ImportError) -> click.Command:
    """A stand-in for a command whose optional extra is not installed: it says which, and how to add it."""
    extra = EXTRAS.get(name, name)
    message = (f"`patroli {name}` needs the {extra} extra ({err.name} is not installed): "
               f"pip install 'patroli[{extra}]'")

    def fail() -> None:
        raise ConfigError(message)

    return click.Command(name, callback=fail, help=f"(not installed: pip install 'patroli[{extra}]')",
                         context_settings={"ignore_unknown_options": True, "allow_extra_args": True})


@click.group(cls=PatroliCli, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="patroli")
def cli() -> None:
    """patroli: score Indonesian posts for hoax, provocation and SARA hate speech, and review what is flagged."""


def main() -> None:
    cli(prog_name="patroli")

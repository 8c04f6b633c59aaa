"""The exception family: the CLI turns each of these into one clear line and a non-zero exit code."""

from __future__ import annotations

from collections.abc import Callable

#: Receives the one-line description of a malformed record that was skipped.
ProblemHandler = Callable[[str], None]

#: Exit code of a scan or patrol run that did its work but had to leave something out: an input file skipped whole
#: or cut short by damage (scan, patrol), or a failing source while others ran (patrol).
EXIT_PARTIAL = 10


class PatroliError(Exception):
    """Base of every error patroli raises on purpose."""

    exit_code = 1


class ConfigError(PatroliError):
    """A setting, config file or command-line option is wrong or missing."""

    exit_code = 2


class InputError(PatroliError):
    """Input data cannot be read: unreadable file, missing column, bad format."""

    exit_code = 3


class ModelError(PatroliError):
    """A model file is missing, does not match its card, or cannot be used."""

    exit_code = 4


class StoreError(PatroliError):
    """The database cannot be opened, is too new, or refused an operation."""

    exit_code = 5

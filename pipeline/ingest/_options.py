"""Reading and validating an ingestor's keyword options (a TOML table) with clear `ConfigError`s."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import tzinfo
from typing import Any

from pipeline.errors import ConfigError
from pipeline.ingest._time import resolve_tz

_REQUIRED: Any = object()


class OptionReader:
    """Hands out typed options one by one; `finish()` rejects any option nobody asked for (likely a typo)."""

    def __init__(self, kind: str, options: Mapping[str, Any]) -> None:
        self.kind = kind
        self._options = dict(options)
        self._asked: list[str] = []
        source = self._options.get("source")
        self._where = (
            f"source {source!r} (kind {kind!r})" if isinstance(source, str) else f"{kind!r} ingestor"
        )

    def error(self, message: str) -> ConfigError:
        """A ConfigError prefixed with which source it concerns."""
        return ConfigError(f"{self._where}: {message}")

    def has(self, name: str) -> bool:
        return self._options.get(name) is not None

    def _get(self, name: str, default: Any) -> Any:
        self._asked.append(name)
        value = self._options.get(name)
        if value is None:
            if default is _REQUIRED:
                raise self.error(f"option {name!r} is required")
            return default
        return value

    def str(self, name: str, default: Any = _REQUIRED) -> Any:
        value = self._get(name, default)
        if value is not default and (not isinstance(value, str) or not value):
            raise self.error(f"option {name!r} must be a non-empty string, got {value!r}")
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: Any = _REQUIRED) -> Any:
        value = self.str(name, default)
        if value is not default and value not in choices:
            raise self.error(f"option {name!r} must be one of {', '.join(choices)}; got {value!r}")
        return value

    def int(
        self, name: str, default: Any = _REQUIRED, *, minimum: int | None = None, maximum: int | None = None
    ) -> Any:
        value = self._get(name, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"option {name!r} must be an integer, got {value!r}")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise self.error(f"option {name!r} must be between {minimum} and {maximum}, got {value}")
        return value

    def float(self, name: str, default: Any = _REQUIRED, *, minimum: float = 0.0) -> Any:
        value = self._get(name, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise self.error(f"option {name!r} must be a number >= {minimum}, got {value!r}")
        return float(value)

    def bool(self, name: str, default: Any = _REQUIRED) -> Any:
        value = self._get(name, default)
        if value is not default and not isinstance(value, bool):
            raise self.error(f"option {name!r} must be true or false, got {value!r}")
        return value

    def str_list(self, name: str, default: Any = _REQUIRED) -> Any:
        """A list of non-empty strings; a single string is accepted as a one-element list."""
        value = self._get(name, default)
        if value is default:
            return value
        if isinstance(value, str | os.PathLike):
            value = [value]
        if not isinstance(value, list | tuple) or not value:
            raise self.error(
                f"option {name!r} must be a string or a non-empty list of strings, got {value!r}"
            )
        out = [os.fspath(v) if isinstance(v, os.PathLike) else v for v in value]
        if not all(isinstance(v, str) and v for v in out):
            raise self.error(f"option {name!r} must contain only non-empty strings, got {value!r}")
        return out

    def mapping(self, name: str, default: Any = _REQUIRED) -> Any:
        """A table of string keys to scalar values (e.g. headers or query parameters), returned as str -> str."""
        value = self._get(name, default)
        if value is default:
            return value
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            raise self.error(f"option {name!r} must be a table of name = value pairs, got {value!r}")
        bad = [k for k, v in value.items() if not isinstance(v, str | int | float) or isinstance(v, bool)]
        if bad:
            raise self.error(f"option {name!r}: values must be strings or numbers (bad: {', '.join(bad)})")
        return {k: str(v) for k, v in value.items()}

    def callable(self, name: str, default: Any = _REQUIRED) -> Callable[..., Any]:
        """A Python callable: only from code (tests, notebooks), never from a TOML file."""
        value = self._get(name, default)
        if not callable(value):
            raise self.error(f"option {name!r} must be callable, got {value!r}")
        return value

    def timezone(self, name: str, default: Any = _REQUIRED) -> tzinfo:
        value = self.str(name, default)
        try:
            return resolve_tz(value)
        except ValueError as exc:
            raise self.error(str(exc)) from None

    def env_secret(self, name: str, default: Any = _REQUIRED, *, required: bool = True) -> str | None:
        """Read option `name` as the *name* of an environment variable and return that variable's value.

        The secret itself never appears in config files or error messages.
        """
        var = self.str(name, default)
        if var is None:
            return None
        value = os.environ.get(var)
        if not value and required:
            raise self.error(
                f"environment variable {var} (option {name!r}) is not set; export the API token there"
            )
        return value or None

    def finish(self) -> None:
        """Raise ConfigError naming any option that was given but never read."""
        unknown = sorted(set(self._options) - set(self._asked))
        if unknown:
            known = ", ".join(sorted(set(self._asked)))
            raise self.error(f"unknown option(s) {', '.join(unknown)}; known options: {known}")

"""Finding ingestor classes by kind: entry-point group `patroli.ingestors`, built-ins included.

A third-party package registers its ingestor exactly like the built-ins, in its own packaging metadata::

    [options.entry_points]
    patroli.ingestors =
        mastodon = patroli_mastodon:MastodonIngestor

The built-in mapping below is also used directly, so the built-ins work even before the package's entry points are
installed (e.g. a source checkout that was not re-installed).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from pipeline.errors import ConfigError
from pipeline.ingest.base import Ingestor

GROUP = "patroli.ingestors"

BUILTINS: dict[str, str] = {
    "files": "pipeline.ingest.files:FilesIngestor",
    "rss": "pipeline.ingest.rss:RssIngestor",
    "twitter": "pipeline.ingest.twitter:TwitterIngestor",
    "telegram": "pipeline.ingest.telegram:TelegramIngestor",
    "whatsapp": "pipeline.ingest.whatsapp:WhatsAppIngestor",
    "http_json": "pipeline.ingest.http_json:HttpJsonIngestor",
}


def available() -> dict[str, str]:
    """Every known kind -> "module:Class" target, without importing anything (entry points override built-ins)."""
    kinds = dict(BUILTINS)
    for ep in entry_points(group=GROUP):
        kinds[ep.name] = ep.value
    return dict(sorted(kinds.items()))


def get_ingestor(kind: str) -> type[Ingestor]:
    """The ingestor class registered for `kind`; ConfigError naming the known kinds if there is none."""
    kinds = available()
    target = kinds.get(kind)
    if target is None:
        raise ConfigError(f"unknown ingestor kind {kind!r}; known kinds: {', '.join(kinds)}")
    try:
        cls = _load(target)
    except Exception as exc:  # a broken plugin must not look like a patroli crash
        raise ConfigError(f"ingestor kind {kind!r} ({target}) could not be loaded: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Ingestor)):
        raise ConfigError(f"ingestor kind {kind!r} ({target}) is not a subclass of pipeline.ingest.Ingestor")
    return cls


def make_ingestor(name: str, table: Mapping[str, Any]) -> Ingestor:
    """Build the ingestor for source `name` from its config table, e.g. a TOML `[sources.NAME]` table
    {kind = "files", paths = [...], text_column = "text"}: `kind` picks the class, the other keys are its options,
    and `name` becomes every post's `source`. Raises ConfigError for a missing/unknown kind or bad options."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"source {name!r}: expected a table of options, got {type(table).__name__}")
    options = dict(table)
    kind = options.pop("kind", None)
    if not isinstance(kind, str) or not kind:
        raise ConfigError(f"source {name!r}: missing 'kind' (one of: {', '.join(available())})")
    options.setdefault("source", name)
    return get_ingestor(kind)(**options)


def _load(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    obj: Any = importlib.import_module(module_name.strip())
    for part in attr.strip().split(".") if attr.strip() else []:
        obj = getattr(obj, part)
    return obj

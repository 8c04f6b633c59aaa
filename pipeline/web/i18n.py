"""The one message catalogue (messages.toml): Bahasa Indonesia by default, English on request."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("id", "en")
DEFAULT = "id"


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """key -> {language: text}; every key has every language (a test checks it)."""
    raw = tomllib.loads(resources.files("pipeline.web").joinpath("messages.toml").read_text(encoding="utf-8"))
    return {key: dict(texts) for key, texts in raw.items()}


def language(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT


class Translator:
    """`t("key", n=3)`: the key's text in this language, `str.format`-ed with the arguments.

    An unknown key is a KeyError: a typo must fail the tests, not show a raw key to an analyst.
    """

    def __init__(self, lang: str) -> None:
        self.lang = language(lang)
        self._texts = catalogue()

    def __call__(self, key: str, **args: Any) -> str:
        text = self._texts[key][self.lang]
        return text.format(**args) if args else text

"""The label set every score, threshold and flag speaks of."""

from __future__ import annotations

from pipeline.errors import ConfigError

LABELS: tuple[str, ...] = ("hoax", "provocation", "sara", "sara_agama", "sara_ras", "hate_speech", "abusive")

#: Labels that flag a post on their own; the SARA sub-labels refine `sara` and are reported, not flagged separately.
FLAG_LABELS: tuple[str, ...] = ("hoax", "provocation", "sara", "hate_speech", "abusive")


def check_label(label: str) -> str:
    """`label` itself, or a ConfigError naming the known labels."""
    if label not in LABELS:
        raise ConfigError(f"unknown label {label!r}; known labels: {', '.join(LABELS)}")
    return label

"""The label set every score, threshold and flag speaks of."""

from __future__ import annotations

from pipeline.errors import ConfigError

#: SARA sub-labels by target type: a SARA post scores its sub-label for each kind of group it attacks.
SARA_SUBLABELS: dict[str, str] = {"suku": "sara_suku", "agama": "sara_agama", "ras": "sara_ras",
                                  "antargolongan": "sara_antargolongan"}

LABELS: tuple[str, ...] = ("hoax", "provocation", "sara", *SARA_SUBLABELS.values(), "hate_speech", "abusive")

#: Labels learnt from annotated text; the SARA sub-labels are derived from `sara` and the groups a post names.
BASE_LABELS: tuple[str, ...] = tuple(label for label in LABELS if label not in SARA_SUBLABELS.values())

#: Labels that flag a post on their own; the SARA sub-labels refine `sara` and are reported, not flagged separately.
FLAG_LABELS: tuple[str, ...] = ("hoax", "provocation", "sara", "hate_speech", "abusive")


def check_label(label: str) -> str:
    """`label` itself, or a ConfigError naming the known labels."""
    if label not in LABELS:
        raise ConfigError(f"unknown label {label!r}; known labels: {', '.join(LABELS)}")
    return label

#: The sub-labels that name the group a SARA flag targets.
SARA_TARGETS: tuple[str, ...] = ("sara_agama", "sara_ras")


def sara_target(scores: dict[str, float]) -> str | None:
    """The SARA sub-label (target group) that best explains a post's `sara` score, or None when no sub-label
    reaches half of it (the target is then a group the model has no sub-label for, or unclear)."""
    sara = float(scores.get("sara", 0.0))
    best = max(SARA_TARGETS, key=lambda label: float(scores.get(label, 0.0)))
    return best if sara > 0 and float(scores.get(best, 0.0)) >= sara / 2 else None

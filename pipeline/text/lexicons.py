"""The project's own lexicons (data/lexicons/) and, when a data directory is given, ibrohim2019's kamus alay."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from pipeline.config import LEXICON_DIR
from pipeline.errors import InputError

KAMUS_ALAY = Path("ibrohim2019") / "new_kamusalay.csv"


def _read_list(path: Path) -> dict[str, list[str]]:
    """A term-per-line file whose `# section` comment lines group the terms; returns section -> terms."""
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            current = line.lstrip("#").strip().split()[0].rstrip(":").lower() if line.lstrip("#").strip() else ""
            sections.setdefault(current, [])
            continue
        sections.setdefault(current, []).append(line.lower())
    return sections


def _read_pairs(path: Path, encoding: str = "utf-8", header: bool = True) -> dict[str, str]:
    pairs: dict[str, str] = {}
    with path.open(encoding=encoding, newline="") as handle:
        rows = csv.reader(handle)
        if header:
            next(rows, None)
        for row in rows:
            if len(row) >= 2 and row[0].strip():
                pairs.setdefault(row[0].strip().lower(), row[1].strip().lower())
    return pairs


@cache
def terms(name: str) -> frozenset[str]:
    """All terms of a list lexicon (`abusive`, `incitement`, `hoax_cues`, `hostility`, `context`), sections merged."""
    path = LEXICON_DIR / f"{name}.txt"
    if not path.exists():
        raise InputError(f"lexicon {path} is missing")
    return frozenset(t for ts in _read_list(path).values() for t in ts)


@cache
def sections(name: str) -> dict[str, frozenset[str]]:
    """A list lexicon by section (its `# name ...` comment lines), e.g. sections("hostility")["derogation"]."""
    path = LEXICON_DIR / f"{name}.txt"
    if not path.exists():
        raise InputError(f"lexicon {path} is missing")
    return {k: frozenset(v) for k, v in _read_list(path).items() if v}


@cache
def targets() -> tuple[tuple[str, str, str, str], ...]:
    """The SARA target lexicon (data/lexicons/targets.csv) as (term, group, type, kind) rows; `#` lines are comments."""
    path = LEXICON_DIR / "targets.csv"
    if not path.exists():
        raise InputError(f"lexicon {path} is missing")
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    rows = []
    for row in list(csv.reader(lines))[1:]:
        if len(row) != 4:
            raise InputError(f"{path}: expected term,group,type,kind; got {row}")
        rows.append(tuple(cell.strip() for cell in (row[0].lower(), *row[1:])))
    return tuple(rows)  # type: ignore[return-value]


@cache
def obfuscation_map() -> dict[str, str]:
    """Character substitutions used to dodge filters (`4` -> `a`, `@` -> `a`, ...)."""
    return _read_pairs(LEXICON_DIR / "obfuscation.csv")


def slang_map(data_dir: Path | None = None) -> dict[str, str]:
    """Slang/typo form -> formal form: the project's core lexicon, extended by kamus alay when `data_dir` has it.

    The project's own entries win where both define a form, and kamus alay never turns a term of the project's cue
    or target lexicons into a word outside that lexicon: its "aseng" -> "asing" would make a slur for Chinese
    Indonesians the word for "foreign", "bloon" -> "belum" an insult "not yet". It may still spell a term as another
    of the same lexicon ("gblk" -> "goblok", "kapir" -> "kafir").
    """
    mapping: dict[str, str] = {}
    if data_dir is not None:
        path = Path(data_dir) / KAMUS_ALAY
        if path.exists():
            mapping.update(_within_lexicons(_read_pairs(path, encoding="latin-1", header=False)))
    mapping.update(_read_pairs(LEXICON_DIR / "slang.csv"))
    return {k: v for k, v in mapping.items() if k != v}


def _within_lexicons(pairs: dict[str, str]) -> dict[str, str]:
    """The pairs that rewrite no term of a lexicon (every list lexicon, and the targets) into a word outside it."""
    lexicon_terms = [terms(path.stem) for path in sorted(LEXICON_DIR.glob("*.txt"))]
    lexicon_terms.append(frozenset(term for term, *_ in targets()))
    return {form: formal for form, formal in pairs.items()
            if all(form not in words or formal in words for words in lexicon_terms)}

"""Expanding `paths` options (files, globs, directories) into a sorted, de-duplicated list of files."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path

from pipeline.errors import InputError


def expand_paths(patterns: Iterable[str], suffixes: tuple[str, ...]) -> list[Path]:
    """Files named by `patterns`: plain files as given, globs (`**` recursive), and directories (walked recursively,
    keeping files whose name ends with one of `suffixes`, optionally followed by `.gz`).

    A plain path that does not exist raises InputError; a glob matching nothing is simply empty (no new files yet).
    """
    found: dict[str, Path] = {}
    for pattern in patterns:
        expanded = os.path.expanduser(pattern)
        if glob.has_magic(expanded):
            matches = sorted(glob.glob(expanded, recursive=True))
            candidates = [Path(m) for m in matches]
            files = [p for p in candidates if p.is_file()]
            for directory in (p for p in candidates if p.is_dir()):
                files.extend(_walk(directory, suffixes))
        else:
            path = Path(expanded)
            if path.is_dir():
                files = _walk(path, suffixes)
            elif path.is_file():
                files = [path]
            else:
                raise InputError(f"{pattern}: no such file or directory")
        for file in files:
            found.setdefault(str(file.resolve()), file.resolve())
    return [found[key] for key in sorted(found)]


def unmatched_globs(patterns: Iterable[str]) -> list[str]:
    """The glob patterns among `patterns` that match nothing (a mistyped pattern scans nothing, silently)."""
    return [pattern for pattern in patterns if glob.has_magic(expanded := os.path.expanduser(pattern))
            and not glob.glob(expanded, recursive=True)]


def _walk(directory: Path, suffixes: tuple[str, ...]) -> list[Path]:
    out = []
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            lower = name.lower().removesuffix(".gz")
            if not name.startswith(".") and lower.endswith(suffixes):
                out.append(Path(root) / name)
    return out

"""A configured patrol run for cron: sources from a TOML file, a lock, per-source cursors, a summary, an exit code.

Each source's posts are scanned in chunks; a chunk's posts and the source's cursor are committed in one
transaction, so a run killed at any point and started again continues after the last committed chunk, and the
store's uniqueness on (platform, post_id) and content SHA-256 absorbs anything delivered twice.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pipeline.config import DEFAULT_DB_URL
from pipeline.errors import ConfigError, PatroliError
from pipeline.ingest.registry import make_ingestor
from pipeline.scanner import ScanSummary, open_session, scan_items
from pipeline.scoring import Scorer
from pipeline.store import Store

EXIT_OK = 0
EXIT_PARTIAL = 10  # some sources failed, the others were scanned
EXIT_FAILED = 11  # every source failed
EXIT_LOCKED = 75  # another run holds the lock (EX_TEMPFAIL: cron may simply try again later)

_PATROL_KEYS = {"database", "model", "lock_file", "log_file", "chunk_size", "output"}


@dataclass
class PatrolConfig:
    """A parsed patrol.toml. Relative paths are relative to the file's directory."""

    path: Path
    database: str
    sources: dict[str, dict[str, Any]]
    thresholds: dict[str, float] = field(default_factory=dict)
    model: str | None = None
    lock_file: Path | None = None
    log_file: Path | None = None
    output: Path | None = None
    chunk_size: int = 1000


def load_config(path: str | Path) -> PatrolConfig:
    """Read and check a patrol TOML file; any problem is a ConfigError naming the file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read patrol config {path}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    patrol = raw.get("patrol", {})
    unknown = set(patrol) - _PATROL_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown [patrol] keys {sorted(unknown)}; known: {sorted(_PATROL_KEYS)}")
    sources = raw.get("sources")
    if not isinstance(sources, dict) or not sources:
        raise ConfigError(f"{path}: no [sources.NAME] tables")
    base = path.resolve().parent

    def local(value: Any) -> Path | None:
        return None if value is None else (base / str(value))

    for name, table in sources.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [sources.{name}] must be a table")
        if isinstance(table.get("paths"), list):
            # Source files are found relative to the config file, whatever directory cron starts in.
            table["paths"] = [str(base / str(p)) for p in table["paths"]]
    database = str(patrol.get("database", DEFAULT_DB_URL))
    if database.startswith("sqlite:///") and not database.startswith("sqlite:////"):
        database = f"sqlite:///{base / database.removeprefix('sqlite:///')}"
    thresholds = raw.get("thresholds", {})
    if not all(isinstance(v, int | float) for v in thresholds.values()):
        raise ConfigError(f"{path}: [thresholds] values must be numbers")
    return PatrolConfig(path=path, database=database, sources=sources, thresholds=dict(thresholds),
                        model=str(local(patrol["model"])) if "model" in patrol else None,
                        lock_file=local(patrol.get("lock_file", path.with_suffix(".lock").name)),
                        log_file=local(patrol.get("log_file")), output=local(patrol.get("output")),
                        chunk_size=int(patrol.get("chunk_size", PatrolConfig.chunk_size)))


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "event": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        return json.dumps(entry, ensure_ascii=False, default=str)


def _logger(log_file: Path | None, stream: TextIO | None) -> logging.Logger:
    logger = logging.getLogger(f"patroli.patrol.{id(stream)}.{log_file}")
    logger.handlers.clear()
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler(
        stream or sys.stderr)
    handler.setFormatter(_JsonFormatter())
    logger.addHandler(handler)
    return logger


def _log(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    logger.log(level, event, extra={"fields": fields})


@contextmanager
def run_lock(path: Path) -> Iterator[bool]:
    """An exclusive, non-blocking lock on `path`; yields False when another run holds it.

    flock locks die with their process, so a run killed with SIGKILL never leaves a stale lock behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield True
    finally:
        handle.close()


@dataclass
class SourceResult:
    name: str
    ok: bool
    summary: ScanSummary
    error: str | None = None


@dataclass
class PatrolResult:
    """What a patrol run did, per source, with the exit code cron should see."""

    sources: list[SourceResult]
    seconds: float
    dry_run: bool = False
    locked: bool = False

    @property
    def exit_code(self) -> int:
        if self.locked:
            return EXIT_LOCKED
        failed = [s for s in self.sources if not s.ok]
        if not failed:
            return EXIT_OK
        return EXIT_FAILED if len(failed) == len(self.sources) else EXIT_PARTIAL

    def line(self) -> str:
        """The one-line human summary."""
        if self.locked:
            return "patrol: another run is active (lock held); nothing done"
        total = ScanSummary()
        for s in self.sources:
            total.add(s.summary)
        failed = [f"{s.name} ({s.error})" for s in self.sources if not s.ok]
        flags = ", ".join(f"{k} {v}" for k, v in total.flagged.items())
        status = f"{len(self.sources) - len(failed)}/{len(self.sources)} sources ok"
        if failed:
            status += "; failed: " + "; ".join(failed)
        return (f"patrol{' (dry run)' if self.dry_run else ''}: {status}; {total.posts} new posts scored, "
                f"{total.flagged_posts} flagged ({flags}); {total.enqueued} enqueued; {total.duplicates} duplicates, "
                f"{total.problems} malformed records skipped; {self.seconds:.1f} s")


def run_patrol(config: PatrolConfig | str | Path, *, dry_run: bool = False, full_refresh: bool = False,
               only: tuple[str, ...] = (), log_stream: TextIO | None = None) -> PatrolResult:
    """Run every configured source (or `only` those) once; see the module docstring for the guarantees."""
    config = config if isinstance(config, PatrolConfig) else load_config(config)
    unknown = set(only) - set(config.sources)
    if unknown:
        raise ConfigError(f"--source {', '.join(sorted(unknown))}: not in {config.path} "
                          f"(sources: {', '.join(config.sources)})")
    logger = _logger(config.log_file, log_stream)
    start = time.perf_counter()
    lock_path = config.lock_file or config.path.with_suffix(".lock")  # a PatrolConfig built by hand may omit it
    with run_lock(lock_path) as acquired:
        if not acquired:
            _log(logger, "locked", logging.WARNING, lock_file=str(lock_path))
            return PatrolResult([], 0.0, dry_run, locked=True)
        with open_session(model=config.model, db=config.database, thresholds=config.thresholds) as session:
            _log(logger, "run_start", config=str(config.path), dry_run=dry_run, full_refresh=full_refresh,
                 model_version=session.model.version)
            results = [_run_source(name, table, session.scorer, session.store, config, logger, dry_run, full_refresh)
                       for name, table in config.sources.items() if not only or name in only]
        result = PatrolResult(results, time.perf_counter() - start, dry_run)
        _log(logger, "run_end", exit_code=result.exit_code, summary=result.line())
        return result


def _run_source(name: str, table: dict[str, Any], scorer: Scorer, store: Store, config: PatrolConfig,
                logger: logging.Logger, dry_run: bool, full_refresh: bool) -> SourceResult:
    summary = ScanSummary()
    _log(logger, "source_start", source=name, kind=table.get("kind"))

    def problem(message: str) -> None:
        _log(logger, "record_skipped", logging.WARNING, source=name, problem=message)

    try:
        ingestor = make_ingestor(name, table)
        cursor = None if full_refresh else store.get_cursor(name)
        chunks = scan_items(ingestor.iter_posts(cursor), scorer, store=None if dry_run else store, source=name,
                            chunk_size=config.chunk_size, on_problem=problem, summary=summary,
                            skip_known=not dry_run)
        with _output(config.output, dry_run) as out:
            for records in chunks:
                for record in records:
                    if out is not None and record.flags:
                        out.write(record.jsonl())
                _log(logger, "chunk_committed" if not dry_run else "chunk_scored", source=name,
                     posts=len(records), total=summary.posts)
    except Exception as exc:  # one broken source must not stop the others; unexpected errors keep their type
        error = str(exc) if isinstance(exc, PatroliError) else f"{type(exc).__name__}: {exc}"
        _log(logger, "source_failed", logging.ERROR, source=name, error=error)
        return SourceResult(name, False, summary, error)
    _log(logger, "source_done", source=name, posts=summary.posts, flagged=summary.flagged_posts,
         enqueued=summary.enqueued, duplicates=summary.duplicates, problems=summary.problems)
    return SourceResult(name, True, summary)


@contextmanager
def _output(path: Path | None, dry_run: bool) -> Iterator[TextIO | None]:
    if path is None or dry_run:
        yield None
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        yield handle




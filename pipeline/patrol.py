"""A configured patrol run for cron: sources from a TOML file, a lock, per-source cursors, a summary, an exit code.

Each source's posts are scanned in chunks; a chunk's posts and the source's cursor are committed in one
transaction, so a run killed at any point and started again continues after the last committed chunk, and the
store's uniqueness on (platform, post_id) and content SHA-256 absorbs anything delivered twice.

The `output` file of flagged records follows the database exactly: a chunk's records are written and fsynced
before the chunk is committed, and the file's committed length is saved in the same transaction; a run that finds
the file longer than that (killed between the write and the commit) cuts the uncommitted tail off before it
scans again. So after any crash and a re-run, every committed flagged post is in the file exactly once.
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
from pipeline.errors import EXIT_PARTIAL, ConfigError, PatroliError
from pipeline.ingest.registry import make_ingestor
from pipeline.pool import default_workers
from pipeline.records import ScanRecord
from pipeline.scanner import ScanSummary, open_session, scan_items
from pipeline.scoring import Scorer
from pipeline.signing import load_private
from pipeline.store import Store
from pipeline.store.head import chain_head

EXIT_OK = 0
# EXIT_PARTIAL (10): some sources failed or some input files were skipped; the rest was scanned
EXIT_FAILED = 11  # every source failed
EXIT_LOCKED = 75  # another run holds the lock (EX_TEMPFAIL: cron may simply try again later)

_PATROL_KEYS = {"database", "model", "lock_file", "log_file", "chunk_size", "output", "signing_key", "workers"}


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
    signing_key: Path | None = None
    workers: int | None = None  # None: the machine's cores


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
    workers = patrol.get("workers")
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool) or workers < 1):
        raise ConfigError(f"{path}: [patrol] workers must be a whole number of processes, at least 1")
    thresholds = raw.get("thresholds", {})
    if not all(isinstance(v, int | float) for v in thresholds.values()):
        raise ConfigError(f"{path}: [thresholds] values must be numbers")
    return PatrolConfig(path=path, database=database, sources=sources, thresholds=dict(thresholds),
                        model=str(local(patrol["model"])) if "model" in patrol else None,
                        lock_file=local(patrol.get("lock_file", path.with_suffix(".lock").name)),
                        log_file=local(patrol.get("log_file")), output=local(patrol.get("output")),
                        chunk_size=int(patrol.get("chunk_size", PatrolConfig.chunk_size)),
                        signing_key=local(patrol.get("signing_key")), workers=workers)


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
            return EXIT_PARTIAL if any(s.summary.files_skipped for s in self.sources) else EXIT_OK
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
        return (f"patrol{' (dry run)' if self.dry_run else ''}: {status}; {total.posts} new posts "
                f"({total.copies} copies of earlier posts), {total.flagged_posts} flagged ({flags}); "
                f"{total.enqueued} enqueued; {total.duplicates} already stored, {total.problems} malformed records "
                f"skipped" + (f", {total.files_skipped} input files skipped or cut short" if total.files_skipped else "")
                + f"; {self.seconds:.1f} s")


def run_patrol(config: PatrolConfig | str | Path, *, dry_run: bool = False, full_refresh: bool = False,
               only: tuple[str, ...] = (), log_stream: TextIO | None = None,
               workers: int | None = None) -> PatrolResult:
    """Run every configured source (or `only` those) once; see the module docstring for the guarantees.

    `workers` (default: the config's, else the machine's cores) is the number of scoring processes.
    """
    config = config if isinstance(config, PatrolConfig) else load_config(config)
    workers = workers or config.workers or default_workers()
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
        load_private(config.signing_key)  # a configured key that cannot be read fails the run before it starts
        with open_session(model=config.model, db=config.database, thresholds=config.thresholds) as session:
            store = session.store
            assert store is not None
            _log(logger, "run_start", config=str(config.path), dry_run=dry_run, full_refresh=full_refresh,
                 model_version=session.model.version)
            with _output(config.output, store, dry_run, logger) as out:
                results = [_run_source(name, table, session.scorer, store, config, logger, dry_run, full_refresh,
                                       out, workers)
                           for name, table in config.sources.items() if not only or name in only]
            head = None if dry_run else chain_head(store, config.signing_key)
        result = PatrolResult(results, time.perf_counter() - start, dry_run)
        _log(logger, "run_end", exit_code=result.exit_code, summary=result.line(),
             **({"chain_head": head.to_dict()} if head is not None else {}))
        return result


def _run_source(name: str, table: dict[str, Any], scorer: Scorer, store: Store, config: PatrolConfig,
                logger: logging.Logger, dry_run: bool, full_refresh: bool, out: OutputFile | None,
                workers: int) -> SourceResult:
    summary = ScanSummary()
    _log(logger, "source_start", source=name, kind=table.get("kind"))

    def problem(message: str) -> None:
        _log(logger, "record_skipped", logging.WARNING, source=name, problem=message)

    try:
        ingestor = make_ingestor(name, table)
        cursor = None if full_refresh else store.get_cursor(name)
        chunks = scan_items(ingestor.iter_posts(cursor), scorer, store=None if dry_run else store, source=name,
                            chunk_size=config.chunk_size, on_problem=problem, summary=summary,
                            skip_known=not dry_run, before_save=None if out is None else out.write,
                            workers=workers)
        for records in chunks:
            _log(logger, "chunk_committed" if not dry_run else "chunk_scored", source=name,
                 posts=len(records), total=summary.posts)
    except Exception as exc:  # one broken source must not stop the others; unexpected errors keep their type
        error = str(exc) if isinstance(exc, PatroliError) else f"{type(exc).__name__}: {exc}"
        _log(logger, "source_failed", logging.ERROR, source=name, error=error)
        return SourceResult(name, False, summary, error)
    _log(logger, "source_done", source=name, posts=summary.posts, flagged=summary.flagged_posts,
         enqueued=summary.enqueued, copies=summary.copies, duplicates=summary.duplicates,
         problems=summary.problems, files_skipped=summary.files_skipped)
    return SourceResult(name, True, summary)


class OutputFile:
    """The run's file of flagged records (JSON lines), kept in step with the database (see the module docstring).

    Its committed length and inode are saved as the cursor `output:<absolute path>`; `write` returns that mark
    for the caller to commit with the chunk whose records it has just written.
    """

    def __init__(self, path: Path, store: Store, logger: logging.Logger) -> None:
        self.path = path
        self.key = f"output:{path.resolve()}"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            self._repair(store, logger)
        except BaseException:
            os.close(self._fd)
            raise

    def _repair(self, store: Store, logger: logging.Logger) -> None:
        stat = os.fstat(self._fd)
        try:
            mark = json.loads(store.get_cursor(self.key) or "null")
        except ValueError:
            mark = None
        if isinstance(mark, dict) and mark.get("ino") == stat.st_ino and stat.st_size > int(mark.get("size", 0)):
            os.ftruncate(self._fd, int(mark["size"]))
            os.fsync(self._fd)
            _log(logger, "output_repaired", logging.WARNING, output=str(self.path),
                 removed_bytes=stat.st_size - int(mark["size"]),
                 reason="records written by a run that stopped before committing them")
        elif isinstance(mark, dict) and (mark.get("ino") != stat.st_ino or stat.st_size < int(mark.get("size", 0))):
            _log(logger, "output_replaced", output=str(self.path), reason="the file was rotated or replaced")
        # Commit the starting length now: a run killed before its first commit is then repaired like any other.
        store.set_cursor(self.key, self._mark())

    def _mark(self) -> str:
        stat = os.fstat(self._fd)
        return json.dumps({"size": stat.st_size, "ino": stat.st_ino})

    def write(self, records: list[ScanRecord]) -> list[tuple[str, str]]:
        """Append the flagged ones of `records`, durably; return the mark to commit with them."""
        data = "".join(r.jsonl() for r in records if r.flags).encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        if data:
            os.fsync(self._fd)
        return [(self.key, self._mark())]

    def close(self) -> None:
        os.close(self._fd)


@contextmanager
def _output(path: Path | None, store: Store, dry_run: bool, logger: logging.Logger) -> Iterator[OutputFile | None]:
    if path is None or dry_run:
        yield None
        return
    try:
        out = OutputFile(path, store, logger)
    except OSError as err:
        raise ConfigError(f"cannot write the patrol output {path}: {err.strerror or err}") from err
    try:
        yield out
    finally:
        out.close()

"""Soak test: patrol runs every minute against a growing input while analysts claim and decide, on SQLite and on
PostgreSQL at the same time, for a set duration.

    python benchmarks/soak.py --minutes 10        # `make soak` (SOAK_MINUTES=10 by default)

Per database: a feeder appends posts to the patrol's inbox (--rate per minute); `patroli run` starts every
--interval seconds (as cron would: a run still going makes the next one exit 75); --cli-analysts loop over
`patroli review claim` / `patroli review decide` as subprocesses and --api-analysts over `review.claim` /
`review.decide` in their own processes. At the end: lock timeouts (a store error about a lock, busy database or
timeout), lost decisions (a decision an analyst was told was recorded but that the database does not hold), queue
latency (enqueued -> claimed, enqueued -> decided), database size, patrol run times and exit codes, whether the
patrol output holds every flagged post exactly once, and `review verify --against` the last patrol log.
Results go to benchmarks/results/soak.json. Figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "tests"))

import _pg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from pipeline import review  # noqa: E402
from pipeline.config import SAMPLES_DIR  # noqa: E402
from pipeline.errors import StoreError  # noqa: E402
from pipeline.signing import create_key  # noqa: E402
from pipeline.store import Store  # noqa: E402
from pipeline.store.frames import posts_frame  # noqa: E402

PATROLI = str(Path(sys.executable).with_name("patroli"))
LOCK_WORDS = ("lock", "busy", "timeout", "timed out", "deadlock")


def _texts() -> list[str]:
    lines = (SAMPLES_DIR / "posts.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


def _is_lock_problem(message: str) -> bool:
    return any(word in message.lower() for word in LOCK_WORDS)


def _verdict(item: dict[str, Any]) -> dict[str, list[str]]:
    flags = list(item["flags"]) or ["hoax"]
    return {"confirm": flags[:1]} if item["item_id"] % 2 == 0 else {"dismiss": flags}


def api_analyst(url: str, name: str, until: float, log: str) -> None:
    """An analyst working the queue through the Python API until `until` (time.time()); one JSON line per event."""
    store = Store.open(url)
    with open(log, "a", encoding="utf-8") as out:
        while time.time() < until:
            event: dict[str, Any] = {"analyst": name, "via": "api"}
            try:
                item = review.claim(store, name)
                if item is None:
                    time.sleep(1.0)
                    continue
                event.update(item_id=item["item_id"], claimed=time.time())
                done = review.decide(store, item["item_id"], name, **_verdict(item))
                event.update(decided=time.time(), status=done["status"])
            except StoreError as err:
                event.update(error=str(err), lock=_is_lock_problem(str(err)))
            out.write(json.dumps(event) + "\n")
            out.flush()
    store.close()


def cli_analyst(url: str, name: str, until: float, log: str) -> None:
    """An analyst working the queue with `patroli review` commands until `until`."""
    env = {**os.environ, "PATROLI_DB": url, "PATROLI_ANALYST": name}
    with open(log, "a", encoding="utf-8") as out:
        while time.time() < until:
            event: dict[str, Any] = {"analyst": name, "via": "cli"}
            claim = subprocess.run([PATROLI, "review", "claim", "--format", "json"], capture_output=True, text=True,
                                   env=env)
            if claim.returncode != 0:
                event.update(error=claim.stderr.strip(), lock=_is_lock_problem(claim.stderr))
            else:
                item = json.loads(claim.stdout)
                if item is None:
                    time.sleep(1.0)
                    continue
                event.update(item_id=item["item_id"], claimed=time.time())
                verdict = _verdict(item)
                args = [f"--{kind}={label}" for kind, labels in verdict.items() for label in labels]
                decide = subprocess.run([PATROLI, "review", "decide", str(item["item_id"]), *args, "--format", "json"],
                                        capture_output=True, text=True, env=env)
                if decide.returncode != 0:
                    event.update(error=decide.stderr.strip(), lock=_is_lock_problem(decide.stderr))
                else:
                    event.update(decided=time.time(), status=json.loads(decide.stdout)["status"])
            out.write(json.dumps(event) + "\n")
            out.flush()


class Backend:
    """One database's soak: its patrol config, inbox, feeder, patrol loop and analysts."""

    def __init__(self, name: str, url: str, work: Path, key: Path, args: argparse.Namespace) -> None:
        self.name, self.url, self.work, self.args = name, url, work, args
        (work / "inbox").mkdir(parents=True)
        self.config = work / "patrol.toml"
        self.config.write_text(f"""
[patrol]
database = "{url}"
log_file = "patrol.log"
output = "flagged.jsonl"
chunk_size = 2000
signing_key = "{key}"

[sources.inbox]
kind = "files"
paths = ["inbox/*.csv"]
id_column = "id"
platform = "soak"
""", encoding="utf-8")
        self.runs: list[dict[str, Any]] = []
        self.fed = 0
        self.texts = _texts()

    def feed(self, until: float) -> None:
        """Append --rate posts a minute to the inbox, a new file every 5 minutes (as exports rotate)."""
        step = 5.0
        per_step = max(1, round(self.args.rate * step / 60))
        while time.time() < until:
            path = self.work / "inbox" / f"part{int(self.fed // (self.args.rate * 5)):03d}.csv"
            new = not path.exists()
            with path.open("a", encoding="utf-8") as fh:
                if new:
                    fh.write("id,text\n")
                for _ in range(per_step):
                    text = self.texts[self.fed % len(self.texts)].replace('"', "'")
                    fh.write(f's{self.fed},"{text} (#{self.fed})"\n')
                    self.fed += 1
            time.sleep(step)

    def patrol(self, until: float) -> None:
        """`patroli run` every --interval seconds, each in the background like cron starts it."""
        threads = []
        while time.time() < until:
            start = time.time()
            thread = threading.Thread(target=self._one_run)
            thread.start()
            threads.append(thread)
            time.sleep(max(0.0, self.args.interval - (time.time() - start)))
        for thread in threads:
            thread.join()

    def _one_run(self) -> None:
        start = time.time()
        done = subprocess.run([PATROLI, "run", str(self.config)], capture_output=True, text=True)
        self.runs.append({"start": start, "seconds": time.time() - start, "exit": done.returncode,
                          "line": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""})

    def final_run(self) -> None:
        self._one_run()


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    values = sorted(values)
    return {"n": len(values), "p50": round(statistics.median(values), 1),
            "p95": round(values[min(len(values) - 1, int(0.95 * len(values)))], 1), "max": round(values[-1], 1)}


def _db_size(backend: Backend) -> int:
    if backend.url.startswith("sqlite"):
        path = Path(backend.url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    engine = sa.create_engine(backend.url)
    with engine.connect() as conn:
        size = conn.execute(sa.text(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'")).scalar()
    engine.dispose()
    return int(size)


def _analysis(backend: Backend, events: list[dict[str, Any]], key: Path) -> dict[str, Any]:
    decided = [e for e in events if "decided" in e]
    errors = [e for e in events if "error" in e]
    with Store.open(backend.url) as store:
        trail = review.audit_frame(store)
        queue = review.queue_frame(store)
        started = time.perf_counter()
        check = review.check(store, [backend.work / "patrol.log"], key=key)
        verify_seconds = time.perf_counter() - started
        posts = len(posts_frame(store))
    decisions = trail[trail["action"] == "decide"]
    recorded = {(int(r.item_id), r.actor) for r in decisions.itertuples()}
    lost = [e for e in decided if (e["item_id"], e["analyst"]) not in recorded]
    enqueued = trail[trail["action"] == "enqueue"].set_index("item_id")["at"]
    first_claim = trail[trail["action"] == "claim"].groupby("item_id")["at"].min()
    first_decide = decisions.groupby("item_id")["at"].min()
    to_claim = [(first_claim[i] - enqueued[i]).total_seconds() for i in first_claim.index if i in enqueued.index]
    to_decide = [(first_decide[i] - enqueued[i]).total_seconds() for i in first_decide.index if i in enqueued.index]
    out_lines = (backend.work / "flagged.jsonl").read_text(encoding="utf-8").splitlines()
    written = [json.loads(line)["id"] for line in out_lines]
    flagged = set(queue["post_id"])
    runs = backend.runs
    return {
        "posts_fed": backend.fed, "posts_stored": posts, "items": len(queue),
        "backlog": queue["status"].value_counts().to_dict(),
        "decisions": len(decided), "decisions_via_cli": sum(e["via"] == "cli" for e in decided),
        "decisions_via_api": sum(e["via"] == "api" for e in decided), "lost_decisions": len(lost),
        "analyst_errors": len(errors), "lock_timeouts": sum(bool(e.get("lock")) for e in errors)
        + sum(_is_lock_problem(r["line"]) and r["exit"] not in (0, 75) for r in runs),
        "error_samples": sorted({e["error"][:160] for e in errors})[:5],
        "latency_enqueue_to_claim_s": _percentiles(to_claim),
        "latency_enqueue_to_decision_s": _percentiles(to_decide),
        "patrol_runs": len(runs), "patrol_exit_codes": {str(k): sum(r["exit"] == k for r in runs)
                                                        for k in sorted({r["exit"] for r in runs})},
        "patrol_seconds": _percentiles([r["seconds"] for r in runs if r["exit"] != 75]),
        "output_exactly_once": len(written) == len(set(written)) and set(written) == flagged,
        "database_bytes": _db_size(backend),
        "verify": {"intact": check.intact, "rewrite_ruled_out": check.rewrite_ruled_out, "entries": check.length,
                   "seconds": round(verify_seconds, 1)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", 10)))
    parser.add_argument("--interval", type=float, default=60.0, help="Seconds between patrol runs.")
    parser.add_argument("--rate", type=int, default=600, help="Posts appended to the inbox per minute.")
    parser.add_argument("--cli-analysts", type=int, default=1)
    parser.add_argument("--api-analysts", type=int, default=2)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "soak.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="patroli-soak-") as tmp, _maybe_pg(args.no_postgres) as admin:
        work = Path(tmp)
        key, _ = create_key(work / "signing.key")
        backends = [Backend("sqlite", f"sqlite:///{work / 'sqlite' / 'soak.db'}", work / "sqlite", key, args)]
        if admin is not None:
            backends.append(Backend("postgresql", _pg.fresh_database(admin), work / "postgresql", key, args))
        for backend in backends:
            Store.open(backend.url).close()  # create the schema before anyone races to
        until = time.time() + 60 * args.minutes
        print(f"soak: {args.minutes:g} min on {', '.join(b.name for b in backends)}; {args.rate} posts/min, a patrol "
              f"every {args.interval:g} s, {args.cli_analysts} CLI + {args.api_analysts} API analysts each",
              flush=True)
        ctx = multiprocessing.get_context("spawn")
        threads, processes = [], []
        for backend in backends:
            threads += [threading.Thread(target=backend.feed, args=(until,)),
                        threading.Thread(target=backend.patrol, args=(until,))]
            for n in range(args.cli_analysts):
                threads.append(threading.Thread(target=cli_analyst, args=(
                    backend.url, f"cli{n}", until, str(backend.work / f"cli{n}.jsonl"))))
            for n in range(args.api_analysts):
                processes.append(ctx.Process(target=api_analyst, args=(
                    backend.url, f"api{n}", until, str(backend.work / f"api{n}.jsonl"))))
        for worker in [*threads, *processes]:
            worker.start()
        for worker in [*threads, *processes]:
            worker.join()
        results: dict[str, Any] = {"machine": platform.platform(), "cpus": os.cpu_count(),
                                   "load_average": os.getloadavg(), "minutes": args.minutes,
                                   "interval_s": args.interval, "rate_per_min": args.rate,
                                   "cli_analysts": args.cli_analysts, "api_analysts": args.api_analysts}
        for backend in backends:
            backend.final_run()  # what the last interval fed
            events = [json.loads(line) for log in backend.work.glob("*[0-9].jsonl")
                      for line in log.read_text(encoding="utf-8").splitlines()]
            results[backend.name] = _analysis(backend, events, key)
            print(backend.name, json.dumps(results[backend.name], indent=1), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")


class _maybe_pg:  # noqa: N801 (a context manager used like a function)
    def __init__(self, skip: bool) -> None:
        self.skip = skip or _pg.find_binaries()[0] is None
        self._server: Any = None

    def __enter__(self) -> str | None:
        if self.skip:
            print("soak: no PostgreSQL server binaries (or --no-postgres): SQLite only", flush=True)
            return None
        self._server = _pg.server()
        return self._server.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.__exit__(*exc)


if __name__ == "__main__":
    main()

"""Workspace latency with a large queue: the queue page (default and filtered) and the item page, on SQLite and on
PostgreSQL (a throwaway server, as the tests start one), median and p95 over repeated requests.

    python benchmarks/bench_web.py --items 100000 [--backend sqlite --backend postgresql] [--json out.json]

The queue is built from the project's own sample sentences (benchmarks/corpus.py), with seeded random flags,
scores, reach, claim matches and a share of claimed and decided items. Requests go through the whole ASGI app
in-process (routing, session lookup, SQL, templates), without a network hop.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")

import _pg  # noqa: E402
from corpus import PLATFORMS, _labelled_samples, _sentences  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from pipeline.labels import FLAG_LABELS  # noqa: E402
from pipeline.records import ScanRecord  # noqa: E402
from pipeline.store import Store  # noqa: E402
from pipeline.store.frames import posts_frame  # noqa: E402
from pipeline.store.queue_search import QueueQuery  # noqa: E402
from pipeline.web import accounts, bulk  # noqa: E402
from pipeline.web.app import create_app  # noqa: E402

PASSWORD = "bench-password-123"
SOURCES = ("patrol-rss", "patrol-twitter", "tips-whatsapp", "telegram-export", "http-json")
T0 = datetime(2026, 10, 1, tzinfo=UTC)
QUEUE_PAGES = {
    "default (priority)": "/queue",
    "status=pending": "/queue?status=pending",
    "label=hoax": "/queue?label=hoax",
    "label=sara_agama": "/queue?label=sara_agama",
    "platform+source": "/queue?platform=twitter&source=patrol-rss",
    "score 0.8-0.9, label": "/queue?label=provocation&score_min=0.8&score_max=0.9",
    "date range": "/queue?since=2026-10-10&until=2026-10-12",
    "claim": "/queue?claim=claim-7",
    "assignee": "/queue?assignee=analyst1",
    "free text": "/queue?q=kafir",
    "sort=time": "/queue?sort=time",
    "page 40": "/queue?page=40",
}


def records(n: int, seed: int = 0) -> list[ScanRecord]:
    rng = random.Random(seed)
    sentences = _sentences([t for t, _harmful in _labelled_samples()])
    out = []
    for i in range(n):
        text = ". ".join(rng.sample(sentences, rng.randint(1, 3))) + f" {i}"
        flags = rng.sample(FLAG_LABELS, rng.choice((1, 1, 1, 2, 2, 3)))
        scores = {label: round(rng.uniform(0.05, 0.4), 4) for label in
                  ("hoax", "provocation", "sara", "sara_agama", "sara_ras", "hate_speech", "abusive")}
        scores.update({label: round(rng.uniform(0.55, 0.99), 4) for label in flags})
        if "sara" in flags:
            scores[rng.choice(("sara_agama", "sara_ras"))] = round(scores["sara"] * rng.uniform(0.6, 1.0), 4)
        words = [w for w in text.split() if len(w) > 4][:6]
        evidence: dict[str, Any] = {label: [[w, 0.3] for w in rng.sample(words, min(3, len(words)))] for label in flags}
        if "hoax" in flags and rng.random() < 0.2:
            evidence["claim"] = {"claim_id": f"claim-{rng.randrange(200)}", "title": "judul klaim", "similarity": 0.8,
                                 "url": "https://cek.example/x"}
        created = T0 + timedelta(minutes=i * 0.6)
        out.append(ScanRecord(
            platform=rng.choice(PLATFORMS), post_id=f"b{i}", text=text, author=f"akun{rng.randrange(20000)}",
            url=f"https://example.org/p/{i}", created_at=created, captured_at=created + timedelta(minutes=5),
            shares=rng.randrange(5000), views=rng.randrange(10**6), followers=rng.randrange(10**6),
            source=rng.choice(SOURCES), raw={}, scores=scores, flags=flags, evidence=evidence,
            model_version="bench", priority=round(rng.uniform(0, 100), 4),
        ))
    return out


def build(store: Store, n: int) -> float:
    """Fill the store with `n` flagged posts, some claimed and decided; return the seconds it took."""
    start = time.perf_counter()
    accounts.set_hash_cost(time_cost=1, memory_cost=1024, parallelism=1)
    for name, role in (("viewer", "viewer"), ("analyst1", "analyst"), ("kanit", "supervisor")):
        accounts.add_user(store, name, PASSWORD, role)
    store.add_claims([{"claim_id": f"claim-{k}", "title": f"klaim {k}"} for k in range(200)])
    all_records = records(n)
    for part in range(0, n, 5000):
        store.save_scan(all_records[part:part + 5000])
    ids = sorted(posts_frame(store)["id"].tolist())
    rng = random.Random(1)
    bulk.run(store, QueueQuery(ids=tuple(rng.sample(ids, n // 20))), "claim", "analyst1")
    bulk.run(store, QueueQuery(ids=tuple(rng.sample(ids, n // 10))), "dismiss", "kanit", label="abusive")
    if store.dialect == "postgresql":
        # What autovacuum does soon after a bulk load: planner statistics and the visibility map (so the counts
        # can read the covering index alone).
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    return time.perf_counter() - start


def timed(client: TestClient, path: str, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return out


def summary(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {"requests": len(ms), "median_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1)}


def measure(url: str, n: int, repeat: int) -> dict[str, Any]:
    with Store.open(url) as store:
        built = build(store, n)
        client = TestClient(create_app(store), follow_redirects=False)
        token = client.get("/login").cookies.get("patroli_csrf") or client.cookies.get("patroli_csrf")
        login = client.post("/login", data={"name": "viewer", "password": PASSWORD, "csrf": token, "next": "/queue"})
        assert login.status_code == 303, login.text[:300]
        for path in QUEUE_PAGES.values():  # warm caches and the connection pool
            timed(client, path, 1)
        per_page = {name: summary(timed(client, path, repeat)) for name, path in QUEUE_PAGES.items()}
        every = [ms for name, path in QUEUE_PAGES.items() for ms in timed(client, path, repeat)]
        rng = random.Random(2)
        ids = posts_frame(store)["id"].tolist()
        items = [ms for item in rng.sample(ids, 10 * repeat) for ms in timed(client, f"/items/{item}", 1)]
    return {"items": n, "build_seconds": round(built, 1), "queue_page": summary(every), "item_page": summary(items),
            "queue_page_by_filter": per_page}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20, help="Requests per queue page variant.")
    parser.add_argument("--backend", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument("--json", default=None, help="Also write the results here.")
    args = parser.parse_args()
    results: dict[str, Any] = {"machine_note": "2 shared cores; indicative figures", "at": datetime.now(UTC).isoformat()}
    for backend in args.backend or ["sqlite", "postgresql"]:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(prefix="patroli-bench-") as tmp:
                results[backend] = measure(f"sqlite:///{Path(tmp) / 'bench.db'}", args.items, args.repeat)
        else:
            bindir, why = _pg.find_binaries()
            if bindir is None:
                print(f"skipping PostgreSQL: {why}", file=sys.stderr)
                continue
            with _pg.server() as admin:
                results[backend] = measure(_pg.fresh_database(admin), args.items, args.repeat)
        r = results[backend]
        print(f"{backend}: {r['items']:,} items (built in {r['build_seconds']} s); queue page median "
              f"{r['queue_page']['median_ms']} ms, p95 {r['queue_page']['p95_ms']} ms; item page median "
              f"{r['item_page']['median_ms']} ms, p95 {r['item_page']['p95_ms']} ms", flush=True)
        for name, s in r["queue_page_by_filter"].items():
            print(f"    {name:24s} median {s['median_ms']:7.1f} ms   p95 {s['p95_ms']:7.1f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

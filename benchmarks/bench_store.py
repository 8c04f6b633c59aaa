"""Store benchmark: the cost of saving scan chunks (2,000 posts per transaction, as scans do) with the evidence
chain, and how fast `review.verify` streams through the stored evidence, on SQLite and PostgreSQL.

    python benchmarks/bench_store.py --posts 40000 [--no-postgres]

Results are printed and written to benchmarks/results/store.json. Speed depends on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "tests"))

import _pg  # noqa: E402

from pipeline import review  # noqa: E402
from pipeline.records import ScanRecord  # noqa: E402
from pipeline.store import Store  # noqa: E402

CHUNK = 2000


def _records(start: int, n: int) -> list[ScanRecord]:
    base = datetime(2024, 6, 1, tzinfo=UTC)
    out = []
    for i in range(start, start + n):
        flagged = i % 5 == 0
        out.append(ScanRecord(
            platform="bench", post_id=str(i), text=f"postingan uji nomor {i} tentang kabar yang sedang ramai dibagikan",
            scores={"hoax": 0.9 if flagged else 0.1, "provocation": 0.2, "sara": 0.05},
            flags=["hoax"] if flagged else [], evidence={"hoax": [["kabar", 0.4], ["ramai", 0.2]]} if flagged else {},
            priority=float(i % 97), model_version="bench-1", captured_at=base + timedelta(seconds=i),
            author=f"akun{i % 500}", url=f"https://example.org/p/{i}", created_at=base - timedelta(minutes=i),
            shares=i % 50, views=i % 5000, followers=1000, source="bench", raw={"id": i, "lang": "id"}))
    return out


def bench(url: str, posts: int) -> dict[str, float]:
    with Store.open(url) as store:
        seconds = []
        for start in range(0, posts, CHUNK):
            records = _records(start, min(CHUNK, posts - start))
            begin = time.perf_counter()
            store.save_scan(records)
            seconds.append(time.perf_counter() - begin)
        begin = time.perf_counter()
        problems = review.verify(store)
        verify_seconds = time.perf_counter() - begin
    assert problems.empty, problems.head()
    seconds.sort()
    return {"posts": posts, "chunks": len(seconds), "median_ms_per_chunk": round(1000 * seconds[len(seconds) // 2], 1),
            "posts_per_s_saved": round(posts / sum(seconds)), "verify_seconds": round(verify_seconds, 1),
            "verify_posts_per_s": round(posts / verify_seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=40000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    results: dict[str, object] = {"machine": platform.platform(), "python": platform.python_version()}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = bench(f"sqlite:///{tmp}/bench.db", args.posts)
        print("sqlite", results["sqlite"], flush=True)
    if not args.no_postgres and _pg.find_binaries()[0] is not None:
        with _pg.server() as admin:
            results["postgresql"] = bench(_pg.fresh_database(admin), args.posts)
            print("postgresql", results["postgresql"], flush=True)
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "store.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

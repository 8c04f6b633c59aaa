"""The Dask engine on a local cluster of two worker processes against a single-process scan of the same files.

    .venv/bin/python benchmarks/bench_dask.py [--posts 2000000] [--single-posts 100000] [--workers 2] [--copies 0.25]
        [--to-queue] [--json benchmarks/results/dask.json]

Writes a Parquet corpus of real text (corpus.generate_real: two real texts per post, 50,000-row row groups, a
`--copies` share of the posts repeating an earlier post's text under another id, as forwarded posts do in an
archive) to a temporary directory, scores it with `pipeline.distributed.score_dataset` on a
LocalCluster(n_workers=2, threads_per_worker=1, processes=True) while sampling each worker process's resident
memory twice a second, and scans the first `--single-posts` posts with `patroli scan --workers 1 --no-db` for the
single-process rate. Reports the first pass (finding the copies) apart: its time and share of the job's.
With `--to-queue`, also loads the flagged dataset into a fresh SQLite review queue (`load_flagged`, on the driver, as
`patroli scan --engine dask --to-queue` does) and then loads it again, which must add nothing: both timed.
Writes benchmarks/results/dask.json (or `--json`). Needs `patroli[dask]` and the third-party data (PATROLI_DATA_DIR).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import psutil  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from dask.distributed import Client, LocalCluster  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import generate_real  # noqa: E402

from pipeline.config import require_data_dir  # noqa: E402
from pipeline.distributed import Columns, score_dataset  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PATROLI = Path(sys.executable).with_name("patroli")


class MemorySampler(threading.Thread):
    """Samples the resident memory of some processes twice a second: peak and a time series per process."""

    def __init__(self, pids: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.series: dict[str, list[tuple[float, int]]] = {name: [] for name in pids}
        self.stop = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        while not self.stop.wait(0.5):
            for name, process in self.processes.items():
                try:
                    self.series[name].append((time.monotonic() - start, process.memory_info().rss))
                except psutil.Error:
                    pass

    def summary(self) -> dict[str, dict[str, float]]:
        out = {}
        for name, points in self.series.items():
            rss = [r for _, r in points] or [0]
            quarters = [rss[min(len(rss) - 1, len(rss) * q // 4)] for q in (1, 2, 3, 4)]
            out[name] = {"peak_mb": round(max(rss) / 2**20), "at_quarters_mb": [round(r / 2**20) for r in quarters]}
        return out


def single_process(corpus: Path, n: int, tmp: Path) -> dict[str, float]:
    table = pq.read_table(corpus).slice(0, n)
    part = tmp / "single.parquet"
    pq.write_table(table, part)
    start = time.perf_counter()
    proc = subprocess.run([str(PATROLI), "scan", str(part), "--id-column", "id", "--no-db", "--out",
                           str(tmp / "single.jsonl"), "--workers", "1", "--no-progress"], capture_output=True,
                          text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    return {"posts": table.num_rows, "seconds": round(seconds, 1), "posts_per_s": round(table.num_rows / seconds)}


#: Loads a flagged dataset into a queue twice, in a fresh process as the CLI's driver would: prints both runs as JSON.
LOAD_TWICE = """
import json, sys, time
from pipeline.distributed import load_flagged
runs = []
for _ in range(2):
    start, cpu = time.perf_counter(), time.process_time()
    posts, copies, enqueued = load_flagged(sys.argv[1], sys.argv[2])
    runs.append({"posts": posts, "copies": copies, "enqueued": enqueued,
                 "seconds": round(time.perf_counter() - start, 1), "cpu_seconds": round(time.process_time() - cpu, 1)})
print(json.dumps(runs))
"""


def to_queue(flagged: str, n: int, tmp: Path) -> dict[str, object]:
    """Load the flagged dataset into a fresh SQLite queue, then again (a re-run must add nothing), in a process of
    its own as the CLI's driver is, without this one's cluster and corpus leftovers: rates and counts."""
    proc = subprocess.run([sys.executable, "-c", LOAD_TWICE, flagged, f"sqlite:///{tmp / 'queue.db'}"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    first, again = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"flagged": n, "first": first, "again": again, "flagged_per_s": round(n / first["seconds"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=2_000_000)
    parser.add_argument("--single-posts", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--copies", type=float, default=0.25, help="share of posts that repeat an earlier text")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--to-queue", action="store_true", help="also time loading the flagged posts into a queue")
    parser.add_argument("--json", type=Path, default=RESULTS / "dask.json", help="where to write the results")
    args = parser.parse_args()
    data_dir = require_data_dir(args.data_dir)
    # The local cluster's scheduler runs in this process and logs every shuffle it starts and ends as a warning.
    logging.getLogger("distributed.shuffle").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        corpus = generate_real(tmp / "corpus.parquet", args.posts, data_dir, seed=3, copies=args.copies)
        single = single_process(corpus, min(args.single_posts, args.posts), tmp)
        print(json.dumps({"single_process": single}), flush=True)
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0")
        with Client(cluster) as client:
            sampler = MemorySampler(client.run(os.getpid))
            sampler.start()
            result = score_dataset(str(corpus), str(tmp / "out"), columns=Columns(id="id"), client=client)
            sampler.stop.set()
            sampler.join()
        cluster.close()
        dask = {"workers": args.workers, "posts": result.posts, "copies": result.copies,
                "partitions": result.partitions, "seconds": round(result.seconds, 1),
                "posts_per_s": round(result.posts / result.seconds),
                "first_pass_seconds": result.first_pass_seconds,
                "first_pass_share": round(result.first_pass_seconds / result.seconds, 3),
                "memory_per_worker": sampler.summary()}
        print(json.dumps({"dask": dask}), flush=True)
        queue = to_queue(result.flagged, result.flagged_posts, tmp) if args.to_queue else None
    results = {"single_process": single, "dask": dask,
               "speedup": round(dask["posts_per_s"] / single["posts_per_s"], 2), "load": os.getloadavg()}
    if queue is not None:
        results["to_queue"] = queue
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

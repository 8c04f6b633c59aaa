"""Benchmarks: stemming speed against stock Sastrawi, and scan throughput and peak memory on a generated corpus.

Run `make bench` (or `python benchmarks/run.py --posts 300000`). Results are printed and written to
benchmarks/results/bench.json with the machine they came from.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import generate  # noqa: E402

from pipeline.config import data_dir  # noqa: E402
from pipeline.text import FastStemmer  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def _corpus_words() -> list[str]:
    directory = data_dir()
    if directory is not None and (directory / "ibrohim2019" / "re_dataset.csv").exists():
        import pandas as pd

        tweets = pd.read_csv(directory / "ibrohim2019" / "re_dataset.csv", encoding="latin-1")["Tweet"]
        return sorted({w for t in tweets for w in re.findall(r"[a-z]+", t.lower())})
    from corpus import _sample_texts

    return sorted({w for t in _sample_texts() for w in re.findall(r"[a-z]+", t.lower())})


def bench_stemming(stock_sample: int) -> dict[str, float]:
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    words = _corpus_words()
    start = time.perf_counter()
    fast = FastStemmer()
    fast_stems = [fast.stem(w) for w in words]
    fast_seconds = time.perf_counter() - start
    sample = random.Random(0).sample(words, min(stock_sample, len(words)))
    stock = StemmerFactory().create_stemmer()
    start = time.perf_counter()
    stock_stems = [stock.stem(w) for w in sample]
    stock_seconds = time.perf_counter() - start
    lookup = dict(zip(words, fast_stems, strict=True))
    identical = sum(lookup[w] == s for w, s in zip(sample, stock_stems, strict=True))
    fast_rate, stock_rate = len(words) / fast_seconds, len(sample) / stock_seconds
    return {"unique_words": len(words), "fast_words_per_s": round(fast_rate), "fast_seconds": round(fast_seconds, 2),
            "stock_sample": len(sample), "stock_words_per_s": round(stock_rate, 1),
            "speedup": round(fast_rate / stock_rate), "identical_on_sample": f"{identical}/{len(sample)}"}


def bench_scan(posts: int, claims: int = 0) -> dict[str, float]:
    """`patroli scan` of a generated CSV into a fresh SQLite queue (with `claims` generated known claims), on one
    core, as a subprocess: wall time, posts/s and the subprocess's peak resident memory."""
    with tempfile.TemporaryDirectory() as tmp:
        corpus = generate(Path(tmp) / "corpus.csv", posts)
        db = f"sqlite:///{tmp}/bench.db"
        if claims:
            from bench_claims import synthetic

            from pipeline.claims import import_claims

            frame, _ = synthetic(claims, 0)
            frame.to_csv(f"{tmp}/claims.csv", index=False)
            import_claims(f"{tmp}/claims.csv", db)
        patroli = Path(sys.executable).with_name("patroli")
        cmd = [str(patroli), "scan", str(corpus), "--id-column", "id", "--db", db, "--out", f"{tmp}/out.jsonl",
               "--no-progress"]
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        stderr = proc.stderr.read() if proc.stderr else ""
        # wait4 reaps the child itself, so its resource usage (peak RSS) is this scan's alone.
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"scan failed: {stderr[-2000:]}")
        summary = stderr.strip().splitlines()[-1]
    return {"posts": posts, "claims": claims, "wall_seconds": round(seconds, 1),
            "posts_per_s_wall": round(posts / seconds), "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "summary": summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=300_000)
    parser.add_argument("--stock-sample", type=int, default=300)
    parser.add_argument("--claims", type=int, default=100_000, help="known claims in the second scan")
    parser.add_argument("--claim-posts", type=int, default=50_000, help="posts in the scan with claims")
    args = parser.parse_args()
    machine = {"machine": platform.machine(), "processor": platform.processor() or platform.machine(),
               "cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    results = {"machine": machine, "stemming": bench_stemming(args.stock_sample), "scan": bench_scan(args.posts),
               "scan_with_claims": bench_scan(args.claim_posts, args.claims)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""Scan speed on real text, side by side in one run: patroli against the naive pipeline, where the time goes,
`patroli scan --workers 1` against `--workers 2` end to end, with 100,000 known claims (the first scan after their
import, which builds the claim index, and a later one, which loads it), start-up and model load.

    .venv/bin/python benchmarks/bench_scan.py [--posts 100000] [--core-posts 20000] [--claims 100000]

Needs the third-party data (`--data-dir` or PATROLI_DATA_DIR): the corpus joins two real texts per post (tweets,
comments, chain messages; see corpus.generate_real), written to a temporary directory, never to the repository.
Writes benchmarks/results/scan.json (a part skipped with `--skip` keeps the figures of the last run that measured
it). The machine's load matters: compare the ratios taken in one run.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import cProfile  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import pstats  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import generate_real  # noqa: E402
from naive import trained  # noqa: E402

from pipeline.classify.artifact import load_model  # noqa: E402
from pipeline.config import require_data_dir  # noqa: E402
from pipeline.scoring import Scorer  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PATROLI = Path(sys.executable).with_name("patroli")
CHUNK = 2000

#: Profile stages: (name, functions whose cumulative time is the stage's). Shares of the profiled scoring time.
STAGES = (
    ("normalise (clean, slang, obfuscation)", ("normalize.py(tokens)",), ("tokenize.py(tokenize)",)),
    ("tokenise (TweetTokenizer's patterns)", ("tokenize.py(tokenize)",), ()),
    ("stem (Sastrawi, unseen words)", ("stem.py(_stem_uncached)",), ()),
    ("word n-gram features", ("_features.py(word_matrix)",), ()),
    ("char n-gram features", ("_features.py(char_matrix)",), ()),
    ("lexicon and target cues", ("_features.py(cue_hits)",), ()),
    ("probabilities", ("fitted.py(proba_from_features)",), ()),
    ("claims", ("index.py(best_matches)",), ()),
    ("explanations", ("explain.py(explain_rows)",), ()),
)


def texts_of(path: Path) -> list[tuple[str, tuple[int | None, None, None]]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [(r["text"], (r.get("shares"), None, None)) for r in rows]


def per_core(corpus: Path, data_dir: Path) -> dict[str, object]:
    """Posts/s on one core, in this process, on the same texts: patroli's `Scorer.assess` (all labels, flags,
    evidence) and the naive pipeline (one label), each starting from its model file's state. The two take turns,
    chunk by chunk, so that a change in the machine's load over the run weighs on both alike."""
    posts = texts_of(corpus)
    naive = trained(data_dir)
    scorer = Scorer(load_model())
    naive_seconds = patroli_seconds = 0.0
    for i in range(0, len(posts), CHUNK):
        chunk = posts[i:i + CHUNK]
        texts = [t for t, _ in chunk]
        start = time.process_time()
        naive.score(texts)
        middle = time.process_time()
        scorer.assess(texts, [r for _, r in chunk])
        naive_seconds, patroli_seconds = naive_seconds + middle - start, patroli_seconds + time.process_time() - middle
    return {"posts": len(posts), "naive_posts_per_cpu_s": round(len(posts) / naive_seconds),
            "patroli_posts_per_cpu_s": round(len(posts) / patroli_seconds),
            "ratio": round(naive_seconds / patroli_seconds, 2)}


def profile(corpus: Path, n: int) -> dict[str, float]:
    """Where a fresh scorer's time goes on the first `n` posts (shares of the profiled `assess` time)."""
    posts = texts_of(corpus)[:n]
    scorer = Scorer(load_model())
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(0, len(posts), CHUNK):
        chunk = posts[i:i + CHUNK]
        scorer.assess([t for t, _ in chunk], [r for _, r in chunk])
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def cumulative(patterns: tuple[str, ...]) -> float:
        found = 0.0
        for (file, _, name), (_, _, _, ct, _) in stats.items():
            where = f"{Path(file).name}({name})"
            if any(p in where for p in patterns):
                found = max(found, ct)
        return found

    total = cumulative(("scoring.py(assess)",))
    shares = {}
    for name, patterns, minus in STAGES:
        seconds = cumulative(patterns) - (cumulative(minus) if minus else 0.0)
        shares[name] = round(100 * seconds / total, 1)
    shares["other (records, numpy glue)"] = round(100 - sum(shares.values()), 1)
    return shares


def cli_scan(corpus: Path, workers: int, db: str, out: Path) -> dict[str, object]:
    """`patroli scan` as a subprocess: JSONL in, JSONL and a fresh SQLite queue out."""
    cmd = [str(PATROLI), "scan", str(corpus), "--id-column", "id", "--out", str(out), "--db", db, "--workers",
           str(workers), "--no-progress"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"scan failed: {proc.stderr[-2000:]}")
    posts = sum(1 for _ in out.open(encoding="utf-8"))
    return {"workers": workers, "posts": posts, "wall_seconds": round(seconds, 1),
            "posts_per_s": round(posts / seconds), "summary": proc.stderr.strip().splitlines()[-1]}


def import_claims(n: int, db: str, tmp: Path) -> None:
    from bench_claims import synthetic

    from pipeline.claims import import_claims as load

    frame, _ = synthetic(n, 0)
    frame.to_csv(tmp / "claims.csv", index=False)
    load(tmp / "claims.csv", db)


FRESH_LOAD = "from pipeline.classify.artifact import load_model; load_model()"


def wall(cmd: list[str], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 3)


def startup(tmp: Path, corpus: Path) -> dict[str, float]:
    db = f"sqlite:///{tmp / 'startup.db'}"
    subprocess.run([str(PATROLI), "review", "list", "--db", db], capture_output=True, check=True)
    few = tmp / "few.jsonl"
    few.write_text("".join(corpus.read_text(encoding="utf-8").splitlines(keepends=True)[:20]), encoding="utf-8")
    load = []
    for _ in range(3):
        start = time.perf_counter()
        load_model()
        load.append(time.perf_counter() - start)
    return {"patroli --version": wall([str(PATROLI), "--version"]),
            "patroli review list": wall([str(PATROLI), "review", "list", "--db", db]),
            "python -c pass": wall([sys.executable, "-c", "pass"]),
            # What any command that reads the database must load: the floor under `review list`.
            "python -c 'import click, sqlalchemy'": wall([sys.executable, "-c", "import click, sqlalchemy"]),
            "load_model()": round(statistics.median(load), 3),
            # What a cron run or a worker pays: the libraries the model needs, then the model.
            "load_model() in a fresh process": wall([sys.executable, "-c", FRESH_LOAD]),
            # A small cron batch end to end: start, load the model, score 20 posts, write them.
            "patroli scan of 20 posts (--workers 1, --no-db)": wall([str(PATROLI), "scan", str(few), "--out",
                                                                     str(tmp / "few-out.jsonl"), "--no-db",
                                                                     "--workers", "1"]),
            "python -c 'import numpy, scipy.sparse'": wall([sys.executable, "-c", "import numpy, scipy.sparse"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=100_000, help="posts in the end-to-end scans")
    parser.add_argument("--core-posts", type=int, default=20_000, help="posts in the per-core comparison")
    parser.add_argument("--profile-posts", type=int, default=8_000)
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--skip", nargs="*", default=[], choices=["core", "profile", "cli", "claims", "startup"])
    args = parser.parse_args()
    data_dir = require_data_dir(args.data_dir)
    # Parts skipped in this run keep their figures from the last run that measured them.
    kept = json.loads((RESULTS / "scan.json").read_text()) if (RESULTS / "scan.json").exists() else {}
    results: dict[str, object] = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                              "platform": platform.platform(), "load": os.getloadavg()}}
    for part, name in (("core", "per_core"), ("profile", "profile_percent"), ("cli", "cli"),
                       ("claims", "cli_with_claims"), ("startup", "startup_seconds")):
        if part in args.skip and name in kept:
            results[name] = kept[name]
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        core = generate_real(tmp / "core.jsonl", args.core_posts, data_dir, seed=1)
        corpus = generate_real(tmp / "corpus.jsonl", args.posts, data_dir, seed=2)
        if "core" not in args.skip:
            results["per_core"] = per_core(core, data_dir)
            print(json.dumps(results["per_core"]), flush=True)
        if "profile" not in args.skip:
            results["profile_percent"] = profile(core, args.profile_posts)
            print(json.dumps(results["profile_percent"]), flush=True)
        if "cli" not in args.skip:
            runs = []
            for workers in (1, 2, 1, 2):
                db = f"sqlite:///{tmp / f'w{workers}-{len(runs)}.db'}"
                runs.append(cli_scan(corpus, workers, db, tmp / "out.jsonl"))
                print(json.dumps(runs[-1]), flush=True)
            best = {w: max(r["posts_per_s"] for r in runs if r["workers"] == w) for w in (1, 2)}
            results["cli"] = {"runs": runs, "best_posts_per_s": best, "speedup": round(best[2] / best[1], 2)}
        if "claims" not in args.skip:
            # The first scan after an import builds the claim index and keeps it (in this run's own cache
            # directory); a later scan of another database copy with the same claims loads it.
            os.environ["PATROLI_CACHE_DIR"] = str(tmp / "cache")
            import_claims(args.claims, f"sqlite:///{tmp / 'claims.db'}", tmp)
            shutil.copy(tmp / "claims.db", tmp / "claims-later.db")
            first = cli_scan(corpus, 2, f"sqlite:///{tmp / 'claims.db'}", tmp / "out.jsonl")
            later = cli_scan(corpus, 2, f"sqlite:///{tmp / 'claims-later.db'}", tmp / "out.jsonl")
            results["cli_with_claims"] = {"claims": args.claims, "first_scan_after_import": first,
                                          "later_scan": later}
            print(json.dumps(results["cli_with_claims"]), flush=True)
        if "startup" not in args.skip:
            results["startup_seconds"] = startup(tmp, corpus)
            print(json.dumps(results["startup_seconds"]), flush=True)
    results["machine"]["load_after"] = os.getloadavg()  # type: ignore[index]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scan.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

"""The package as a user installs it: `python -m build` makes an sdist and a wheel (built from the sdist), and the
wheel, installed into a fresh virtual environment outside the checkout, scans with its own model and lexicons."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pipeline

ROOT = Path(pipeline.__file__).resolve().parent.parent


def run(*args: str | Path, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PATROLI_DATA_DIR")}
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)
    assert proc.returncode == 0, f"{args}: {proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


def test_wheel_installs_outside_the_checkout_and_scans_with_the_shipped_model(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    # No build isolation: the build tools come from the test environment, so no network is needed.
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, ROOT, cwd=tmp_path)
    (wheel,) = dist.glob("patroli-*.whl")
    (sdist,) = dist.glob("patroli-*.tar.gz")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("pipeline/classify/__init__.py", "pipeline/models/default/model.pkl.gz",
                   "pipeline/models/default/model_card.json", "pipeline/data/lexicons/slang.csv",
                   "pipeline/data/samples/posts.csv", "pipeline/data/checks/cases.jsonl"):
        assert needed in names, needed

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path)
                .strip())
    # The dependencies (and pip) come from the test environment's site-packages, added after the venv's own: only
    # patroli itself is installed from the wheel.
    (site / "test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(python, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", wheel, cwd=tmp_path)

    where = run(python, "-c", "import pipeline, pipeline.config as c; print(pipeline.__file__); "
                "print(c.SAMPLES_DIR)", cwd=tmp_path).splitlines()
    assert all(line.startswith(str(venv)) for line in where), where
    samples = Path(where[1])
    patroli = venv / "bin" / "patroli"
    assert "patroli, version" in run(patroli, "--version", cwd=tmp_path)
    out = tmp_path / "out.jsonl"
    log = run(patroli, "scan", samples / "posts.csv", "--id-column", "id", "--out", out, "--db",
              f"sqlite:///{tmp_path / 'q.db'}", "--workers", "1", cwd=tmp_path)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 74 and "74 posts scanned" in log
    assert sum(bool(r["flags"]) for r in records) >= 10
    assert all(r["model_version"] for r in records)
    assert sdist.stat().st_size > 1_000_000  # it carries the model too

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from _http import Reply, serve
from click.testing import CliRunner

from pipeline import datasets
from pipeline.cli import cli

DATA_DIR = Path(os.environ.get("PATROLI_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))


def test_shipped_manifest_lists_every_training_file() -> None:
    paths = {entry["path"] for entry in datasets.manifest()}
    assert {"ibrohim2019/re_dataset.csv", "ibrohim2019/new_kamusalay.csv", "hoax_news2020/data_latih.csv"} <= paths
    assert all(len(entry["sha256"]) == 64 for entry in datasets.manifest())


@pytest.mark.skipif(not (DATA_DIR / "ibrohim2019").exists(), reason=f"no dataset in {DATA_DIR}")
def test_check_against_the_real_data_directory() -> None:
    table = datasets.check(DATA_DIR)
    assert (table["status"] == "ok").all(), table
    result = CliRunner().invoke(cli, ["data", "check", "--data-dir", str(DATA_DIR)])
    assert result.exit_code == 0 and "ok" in result.stdout


def test_fetch_keeps_only_files_with_the_manifest_hash(tmp_path: Path) -> None:
    good, bad = b"isi yang benar\n", b"isi yang lain\n"
    bodies = {"/good.csv": good, "/bad.csv": bad}
    with serve(lambda request: Reply(200, bodies[request.path])) as server:
        manifest = tmp_path / "sources.toml"
        manifest.write_text(
            "[demo.files]\n"
            f'"demo/good.csv" = {{ url = "{server.url("/good.csv")}", sha256 = "{hashlib.sha256(good).hexdigest()}" }}\n'
            f'"demo/bad.csv" = {{ url = "{server.url("/bad.csv")}", sha256 = "{hashlib.sha256(good).hexdigest()}" }}\n'
            f'"demo/manual.csv" = {{ url = "", sha256 = "{"0" * 64}" }}\n'
        )
        result = datasets.fetch(tmp_path / "data", manifest).set_index("path")["status"]
    assert result["demo/good.csv"] == "fetched" and (tmp_path / "data" / "demo" / "good.csv").read_bytes() == good
    assert "different SHA-256" in result["demo/bad.csv"] and not (tmp_path / "data" / "demo" / "bad.csv").exists()
    assert "by hand" in result["demo/manual.csv"]
    assert datasets.check(tmp_path / "data", manifest).set_index("path")["status"].to_dict() == {
        "demo/good.csv": "ok", "demo/bad.csv": "missing", "demo/manual.csv": "missing"}

"""The notebooks run top to bottom on the project's own samples and the shipped model, and draw their figures."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from pipeline.config import DEFAULT_MODEL_DIR

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: Figures each notebook must draw (one per plotting cell).
FIGURES = {"01_scan_explore.ipynb": 4, "02_review_queue.ipynb": 3, "03_train_evaluate.ipynb": 4}
NEEDS_MODEL = {"01_scan_explore.ipynb", "02_review_queue.ipynb"}


def test_every_notebook_is_listed_and_committed_without_outputs():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(FIGURES)
    for name in FIGURES:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all(not c.outputs and c.execution_count is None for c in code), f"{name}: clear outputs"


class ThisPythonKernelManager(KernelManager):
    """Starts the python3 kernel with this interpreter (the venv with patroli installed), whichever python a
    `python3` kernel spec found elsewhere on the machine names."""

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        return [sys.executable, *cmd[1:]] if "ipykernel_launcher" in cmd else cmd


def _run(name: str, workdir: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(workdir)}},
                            kernel_manager_class=ThisPythonKernelManager)
    try:
        client.execute()
    except CellExecutionError as err:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(err))  # the traceback without terminal colours
        pytest.fail(f"{name} failed:\n{plain[-3000:]}")
    return nb


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_notebook_runs_and_draws(name, tmp_path):
    if name in NEEDS_MODEL and not (DEFAULT_MODEL_DIR / "model_card.json").exists():
        pytest.skip(f"no shipped model in {DEFAULT_MODEL_DIR} (run `make train`)")
    nb = _run(name, tmp_path)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr" and "Traceback" in o.text]
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(figures) >= FIGURES[name], f"{name}: {len(figures)} figures drawn"
    tables = [o for o in outputs if "text/html" in o.get("data", {}) and "<table" in o["data"]["text/html"]]
    assert tables, f"{name}: shows no DataFrame"
    if name == "02_review_queue.ipynb":
        printed = "".join(o.text for o in outputs if o.output_type == "stream")
        page = Path(re.search(r"^wrote (.+report\.html)$", printed, re.MULTILINE)[1]).read_text(encoding="utf-8")
        assert page.count('<img class="chart"') == 3 and page.count('class="post"') == 10

"""Headless Chromium for tests: screenshots and serialised DOMs of local pages, nothing fetched from the network."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

NAMES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--force-color-profile=srgb",
         "--run-all-compositor-stages-before-draw", "--virtual-time-budget=5000")


def find() -> tuple[str | None, str]:
    """(path of a Chromium binary, or None with why not)."""
    for name in NAMES:
        path = shutil.which(name)
        if path:
            return path, ""
    return None, f"no headless browser on PATH (looked for {', '.join(NAMES)}); .ci/services installs chromium"


def _run(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    binary, why = find()
    if binary is None:
        raise RuntimeError(why)
    with tempfile.TemporaryDirectory(prefix="patroli-chromium-") as profile:
        result = subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                                text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"chromium exited {result.returncode}: {result.stderr[-2000:]}")
    return result


def screenshot(page: Path, png: Path, width: int = 1280, height: int = 2000) -> Path:
    """Render the local file `page` at width x height and write a PNG screenshot to `png`."""
    _run([f"--screenshot={png}", f"--window-size={width},{height}", page.resolve().as_uri()])
    if not png.exists():
        raise RuntimeError(f"chromium wrote no screenshot to {png}")
    return png


def dump_dom(page: Path) -> str:
    """The DOM of the local file `page` after its scripts ran, serialised as HTML."""
    return _run(["--dump-dom", page.resolve().as_uri()]).stdout

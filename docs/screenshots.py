"""Screenshots of the workspace for the README (docs/img/queue.png, docs/img/item.png).

The project's own samples (data/samples) are scanned into a temporary database, the workspace is served on a
loopback port, and headless Chromium (Debian's binary, driven by Playwright as in the browser tests) takes the
pictures. Run: `make screenshots`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import _web  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from pipeline import scan  # noqa: E402
from pipeline.claims import import_claims  # noqa: E402
from pipeline.config import SAMPLES_DIR  # noqa: E402
from pipeline.store import Store  # noqa: E402
from pipeline.web import accounts  # noqa: E402

OUT = ROOT / "docs" / "img"
VIEWPORT = {"width": 1180, "height": 640}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="patroli-shots-") as tmp, Store.open(f"sqlite:///{tmp}/demo.db") as store:
        import_claims(SAMPLES_DIR / "claims.csv", store)
        scan([SAMPLES_DIR / "posts.csv", SAMPLES_DIR / "posts.jsonl"], db=store)
        accounts.add_user(store, "ani", _web.PASSWORD, "analyst")
        with _web.served(store) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox",
                                                 "--disable-gpu", "--disable-background-networking",
                                                 "--disable-component-update", "--disable-sync", "--no-first-run"])
            page = browser.new_page(base_url=base, viewport=VIEWPORT)
            page.goto("/login")
            page.fill("input[name=name]", "ani")
            page.fill("input[name=password]", _web.PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/queue")
            page.screenshot(path=OUT / "queue.png")
            page.click("#next")
            page.wait_for_selector("#lease")
            page.keyboard.press("3")
            page.screenshot(path=OUT / "item.png")
            browser.close()
    for name in ("queue.png", "item.png"):
        print(f"{OUT / name}: {(OUT / name).stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()

"""The workspace in real headless Chromium (Debian's binary driven by Playwright), on SQLite and PostgreSQL:
log in, filter, open an item, set verdicts with the keyboard, confirm, see the audit entry, bulk-dismiss a
filtered set after the confirmation, and a viewer refused."""

from __future__ import annotations

import re
import shutil

import _web
import pytest
from _web import PASSWORD

from pipeline import review
from pipeline.store import Store

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-extensions"]


@pytest.fixture(scope="module")
def chromium():
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no {CHROMIUM}; .ci/services installs chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def site(db_url, chromium):
    with Store.open(db_url) as store:
        ids = _web.seed(store)
        with _web.served(store) as base:
            yield store, ids, base


def open_as(chromium, base: str, name: str):
    """A fresh browser context logged in as `name`; console errors (CSP violations, script errors) collected."""
    context = chromium.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto("/queue")
    assert "/login" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/queue$"))
    return context, page


def test_analyst_reviews_with_the_keyboard_and_a_viewer_is_refused(site, chromium):
    store, ids, base = site
    context, page = open_as(chromium, base, "ani")
    page.select_option("#f-label", "sara")
    page.click("#apply")
    page.wait_for_url(re.compile(r"label=sara"))
    assert page.inner_text("#total") == "2"
    page.click(".item-link >> nth=0")
    page.wait_for_url(re.compile(rf"/items/{ids['15']}\?back="))
    assert page.locator("#post-text mark").count() == 0 or page.locator("#post-text").inner_text()
    assert "SARA: agama" in page.inner_text("#sara-target")
    page.keyboard.press("3")          # sara: — -> yes
    page.keyboard.press("4")          # hate_speech: — -> yes
    page.keyboard.press("4")          # hate_speech: yes -> no
    assert page.inner_text("#decision-summary") == "Akan dicatat: sara ✓, hate_speech ✗"
    page.keyboard.press("c")
    page.wait_for_selector("#notice")
    assert "Keputusan disimpan" in page.inner_text("#notice")
    last = page.locator("#audit .audit-row").last
    assert last.locator(".actor").inner_text() == "ani" and "decide" in last.inner_text()
    assert "sara ✓" in last.inner_text() and "hate_speech ✗" in last.inner_text()
    assert review.item(store, ids["15"])["verdicts"] == {"sara": True, "hate_speech": False}
    page.keyboard.press("j")          # the next item of the filtered list
    page.wait_for_url(re.compile(rf"/items/{ids['14']}\?"))
    page.keyboard.press("?")
    assert page.is_visible("#help")
    assert page.errors == []
    context.close()

    context, page = open_as(chromium, base, "vera")
    assert page.locator("#next").count() == 0 and page.locator("#bulk").count() == 0
    page.goto(f"/items/{ids['3']}")
    assert page.locator("#decide").count() == 0
    token = page.get_attribute("input[name=csrf]", "value")
    forged = page.request.post(f"/items/{ids['3']}/decide", form={"csrf": token, "verdict_hoax": "yes"})
    assert forged.status == 403
    page.goto("/users")
    assert "peran admin" in page.inner_text("#error-message")
    assert review.item(store, ids["3"])["status"] == "pending"
    context.close()


def test_supervisor_bulk_dismisses_a_filtered_set(site, chromium):
    store, ids, base = site
    context, page = open_as(chromium, base, "kanit")
    page.goto("/queue?label=abusive&platform=facebook")
    assert page.inner_text("#total") == "6"
    page.select_option("#bulk-action", "dismiss")
    page.select_option("#bulk-label", "abusive")
    page.click("#bulk-go")
    assert "6 item" in page.inner_text("#bulk-question")
    page.click("#bulk-confirm")
    page.wait_for_selector("#notice")
    assert "6 item diproses, 0 dilewati" in page.inner_text("#notice")
    assert {review.item(store, ids[str(i)])["status"] for i in (2, 4, 6, 8, 10, 12)} == {"dismissed"}
    page.goto("/queue?label=abusive&status=pending")
    assert page.inner_text("#total") == "0"
    assert page.errors == []
    context.close()

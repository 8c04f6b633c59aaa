"""The workspace's pages in-process: login, queue filters and counts, the review loop, bulk actions, dashboard,
report and evidence downloads, the claims library, account management, languages."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import _web
import pytest
from _web import PASSWORD, Browser

from pipeline import review
from pipeline.labels import LABELS
from pipeline.store import STATUSES, Store
from pipeline.store.queue_stats import AGES
from pipeline.store.schema import ROLES
from pipeline.web import accounts, bulk
from pipeline.web.app import create_app
from pipeline.web.i18n import LANGUAGES, catalogue
from pipeline.web.routes import item, users


@pytest.fixture
def ws(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'web.db'}") as store:
        ids = _web.seed(store)
        yield store, ids, create_app(store)


def total(html: str) -> int:
    return int(re.search(r'id="total">([\d.]+)<', html).group(1).replace(".", ""))


def item_links(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="item-link">(\d+)<', html)]


def test_login_logout_and_wrong_password(ws):
    _store, _ids, app = ws
    client = Browser(app)
    assert client.get("/queue").headers["location"] == "/login?next=%2Fqueue"
    wrong = client.login("ani", "salah-sekali-123")
    assert wrong.status_code == 401 and "salah" in wrong.text
    assert client.login("tidakada", PASSWORD).text == wrong.text.replace('value="ani"', 'value="tidakada"')
    ok = client.login("ani", PASSWORD, target="/dashboard")
    assert ok.status_code == 303 and ok.headers["location"] == "/dashboard"
    client.csrf = _web.csrf_of(client.get("/queue").text)
    assert client.get("/queue").status_code == 200
    assert client.post("/logout").headers["location"] == "/login"
    assert client.get("/queue").status_code == 303


def test_failed_logins_lock_the_account(ws):
    store, _ids, app = ws
    client = Browser(app)
    for _ in range(accounts.LOCK_AFTER):
        assert client.login("budi", "tebakan-salah-1").status_code == 401
    locked = client.login("budi", PASSWORD)
    assert locked.status_code == 429 and "dikunci" in locked.text
    accounts.set_password(store, "budi", "sandi-baru-yang-panjang")
    assert client.login("budi", "sandi-baru-yang-panjang").status_code == 303


def test_disabling_an_account_ends_its_session(ws):
    store, _ids, app = ws
    ani = Browser(app, "ani")
    accounts.set_active(store, "ani", False)
    assert ani.get("/queue").status_code == 303
    assert "dinonaktifkan" in Browser(app).login("ani", PASSWORD).text


def test_queue_filters_counts_and_pages(ws):
    _store, ids, app = ws
    vera = Browser(app, "vera")
    everything = vera.get("/queue").text
    assert total(everything) == 15
    assert item_links(everything)[:3] == [ids["15"], ids["14"], ids["13"]]  # priority order
    assert 'value="pending" checked' not in everything and "menunggu <span class=\"n\">15</span>" in everything
    cases = {
        "label=abusive": 6, "label=hoax": 7, "label=sara_agama": 2, "platform=facebook": 7, "source=rss-berita": 5,
        "status=pending&status=in_review": 15, "status=confirmed": 0, "claim=cek-1": 1, "q=kampung": 2,
        "q=AKUN3": 1, "since=2026-11-20&until=2026-11-20": 13, "since=2026-11-21": 2,
        "score_min=0.7&label=hoax": 2, "score_max=0.62": 2,
        "assignee=-": 15, "label=hoax&platform=twitter": 7,
    }
    for query, expected in cases.items():
        assert total(vera.get(f"/queue?{query}").text) == expected, query
    by_time = item_links(vera.get("/queue?sort=time").text)
    assert by_time[:2] == [ids["15"], ids["14"]] and by_time[-1] == ids["1"]
    labelled = vera.get("/queue?label=hoax").text
    assert "kata kasar (6)" in labelled and "hoaks (7)" in labelled


def test_pagination(ws, monkeypatch):
    _store, ids, app = ws
    monkeypatch.setattr("pipeline.web.routes.queue.PER_PAGE", 4)
    vera = Browser(app, "vera")
    pages = [item_links(vera.get(f"/queue?page={n}").text) for n in (1, 2, 3, 4, 99)]
    assert [len(p) for p in pages] == [4, 4, 4, 3, 3]
    assert sorted(sum(pages[:4], [])) == sorted(ids[str(i)] for i in range(1, 16))
    assert "Halaman 2 dari 4" in vera.get("/queue?page=2").text


def test_review_loop_decides_only_the_labels_touched(ws):
    store, ids, app = ws
    ani = Browser(app, "ani")
    location = ani.post("/next").headers["location"]
    assert location == f"/items/{ids['15']}"
    page = ani.get(location).text
    assert 'id="lease"' in page and "Anda memegang item ini sampai" in page
    assert 'id="sara-target">Sasaran SARA: <b>SARA: agama</b>' in page
    assert f'href="/items/{ids["14"]}"' in page  # the repost is listed as a copy
    done = ani.post(f"/items/{ids['15']}/decide", {"verdict_sara": "yes", "note": "jelas menyasar agama",
                                                   "reason": "other", "back": "label=sara"})
    assert done.status_code == 303 and "notice=decided" in done.headers["location"]
    item = review.item(store, ids["15"])
    assert item["verdicts"] == {"sara": True} and item["status"] == "confirmed" and item["decided_by"] == "ani"
    trail = ani.get(f"/items/{ids['15']}").text
    assert re.search(r'class="actor">ani</td><td>decide</td>', trail) and "jelas menyasar agama [other]" in trail


@pytest.mark.parametrize(("action", "verdicts", "status"), [
    ("confirm", {"sara": True, "hate_speech": True}, "confirmed"),
    ("dismiss", {"sara": False, "hate_speech": False}, "dismissed"),
])
def test_untouched_form_applies_the_button_to_flagged_labels(ws, action, verdicts, status):
    store, ids, app = ws
    ani = Browser(app, "ani")
    assert ani.post(f"/items/{ids['14']}/decide", {"action": action}).status_code == 303
    item = review.item(store, ids["14"])
    assert (item["verdicts"], item["status"]) == (verdicts, status)


def test_unflagged_label_can_be_added(ws):
    store, ids, app = ws
    ani = Browser(app, "ani")
    ani.post(f"/items/{ids['1']}/decide", {"verdict_provocation": "yes", "verdict_hoax": "no"})
    assert review.item(store, ids["1"])["verdicts"] == {"provocation": True, "hoax": False}


def test_supervisor_escalates_undoes_assigns_and_exports(ws):
    store, ids, app = ws
    kanit, ani = Browser(app, "kanit"), Browser(app, "ani")
    ani.post(f"/items/{ids['3']}/decide", {"verdict_hoax": "yes"})
    assert kanit.post(f"/items/{ids['3']}/escalate").status_code == 303
    assert review.item(store, ids["3"])["status"] == "escalated"
    download = kanit.get("/export")
    assert download.status_code == 200 and download.headers["x-patroli-items"] == "1"
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert sorted(names) == ["evidence.csv", "evidence.html", "evidence.jsonl", "evidence.sha256"]
    assert kanit.post(f"/items/{ids['3']}/undo").status_code == 303
    assert review.item(store, ids["3"])["status"] == "confirmed"
    assert kanit.post(f"/items/{ids['5']}/assign", {"assignee": "budi"}).status_code == 303
    held = review.item(store, ids["5"])
    assert (held["status"], held["claimed_by"]) == ("in_review", "budi")
    assert kanit.post(f"/items/{ids['5']}/assign", {"assignee": "vera"}).status_code == 400


def test_bulk_dismiss_asks_with_the_count_then_applies(ws):
    store, ids, app = ws
    kanit = Browser(app, "kanit")
    review.claim(store, "budi", ids["2"])  # held by someone else: skipped
    form = {"label": "abusive", "action": "dismiss", "label_arg": "abusive"}
    ask = kanit.post("/queue/bulk", form)
    assert ask.status_code == 200 and "Terapkan \"tolak satu label\" ke 6 item?" in ask.text.replace("&#34;", '"')
    assert all(review.item(store, ids[str(i)])["status"] != "dismissed" for i in (2, 4, 6))
    stale = kanit.post("/queue/bulk", {**form, "confirm": "yes", "expected": "5"})
    assert stale.status_code == 200 and "berubah" in stale.text
    done = kanit.post("/queue/bulk", {**form, "confirm": "yes", "expected": "6"})
    assert done.status_code == 303 and "done=5" in done.headers["location"] and "skipped=1" in done.headers["location"]
    statuses = {i: review.item(store, ids[str(i)])["status"] for i in (2, 4, 6, 8, 10, 12)}
    assert statuses == {2: "in_review", 4: "dismissed", 6: "dismissed", 8: "dismissed", 10: "dismissed",
                        12: "dismissed"}
    assert review.item(store, ids["4"])["verdicts"] == {"abusive": False}


def test_bulk_claim_by_an_analyst(ws):
    store, ids, app = ws
    ani = Browser(app, "ani")
    done = ani.post("/queue/bulk", {"platform": "facebook", "action": "claim", "confirm": "yes", "expected": "7"})
    assert "done=7" in done.headers["location"]
    assert {review.item(store, ids[str(i)])["claimed_by"] for i in (2, 4, 6)} == {"ani"}


def test_dashboard_and_report(ws):
    store, ids, app = ws
    ani = Browser(app, "ani")
    ani.post(f"/items/{ids['13']}/decide", {"verdict_hoax": "yes", "verdict_provocation": "no"})
    page = ani.get("/dashboard").text
    assert re.search(r"<td>ani</td><td class=\"n\">1</td>", page)
    assert '<svg class="trend"' in page and 'href="/queue?claim=cek-1"' in page
    assert re.search(r'hoaks</a></td><td class="n">1</td><td class="n">1</td><td class="n">100%', page)
    report = ani.get("/report", params={"since": "2026-11-01"})
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    assert "<!DOCTYPE html>" in report.text and "Laporan patroli" in report.text
    assert ani.get("/report", params={"since": "kemarin"}).status_code == 400


def test_claims_library_search_detail_and_import(ws, tmp_path):
    store, ids, app = ws
    kanit = Browser(app, "kanit")
    listing = kanit.get("/claims").text
    assert "cek-1" in listing and "cek-2" in listing
    assert "cek-1" not in kanit.get("/claims?q=vaksin").text
    detail = kanit.get("/claims/cek-1").text
    assert f'href="/items/{ids["13"]}"' in detail
    assert kanit.get("/claims/tidak-ada").status_code == 404
    upload = "claim_id,title,url\ncek-3,Air rebusan bawang sembuhkan virus,https://cek.example/3\n,tanpa id,\n"
    done = kanit.post("/claims-import", files={"file": ("klaim.csv", upload.encode(), "text/csv")})
    assert done.status_code == 303 and "new=1" in done.headers["location"], done.text[:300]
    assert "Air rebusan bawang" in kanit.get("/claims?q=bawang").text
    bad = kanit.post("/claims-import", files={"file": ("klaim.exe", b"MZ", "application/octet-stream")})
    assert bad.status_code == 400


def test_admin_manages_accounts(ws):
    store, _ids, app = ws
    root = Browser(app, "root")
    assert root.post("/users", {"name": "dewi", "role": "analyst", "password": "sandi-dewi-12345"}).status_code == 303
    assert root.post("/users", {"name": "dewi", "role": "analyst", "password": "sandi-dewi-12345"}).status_code == 400
    assert root.post("/users", {"name": "eko", "role": "analyst", "password": "pendek"}).status_code == 400
    assert root.post("/users/dewi/role", {"role": "supervisor"}).status_code == 303
    assert root.post("/users/dewi/active", {"active": "no"}).status_code == 303
    frame = accounts.users_frame(store).set_index("name")
    assert (frame.loc["dewi", "role"], bool(frame.loc["dewi", "active"])) == ("supervisor", False)
    assert "dewi" in root.get("/users").text


def test_english_on_request(ws):
    _store, _ids, app = ws
    ani = Browser(app, "ani")
    assert "Antrean tinjauan" in ani.get("/queue").text
    switched = ani.post("/lang", {"lang": "en", "next": "/queue?label=hoax"})
    assert switched.headers["location"] == "/queue?label=hoax"
    page = ani.get("/queue").text
    assert "Review queue" in page and "Antrean tinjauan" not in page and '<html lang="en">' in page


def test_catalogue_has_every_language_and_every_key_used():
    texts = catalogue()
    assert all(set(v) == set(LANGUAGES) and all(v.values()) for v in texts.values())
    root = Path(__file__).resolve().parent.parent / "pipeline" / "web"
    used = set()
    for path in [*root.glob("templates/*.html"), *root.glob("routes/*.py"), root / "_context.py", root / "app.py"]:
        used.update(re.findall(r"""\bt\(["']([a-z0-9_]+)["']\s*[,)]""", path.read_text(encoding="utf-8")))
    assert used and used <= set(texts), sorted(used - set(texts))


def test_catalogue_covers_every_value_shown_by_prefix():
    keys = set(catalogue())
    wanted = ({f"role_{r}" for r in ROLES} | {f"status_{s}" for s in STATUSES} | {f"label_{lab}" for lab in LABELS}
              | {f"age_{name}" for _bound, name in AGES} | {f"reason_{r}" for r in item.REASONS}
              | {f"item_notice_{n}" for n in item.NOTICES} | {f"users_{n}" for n in users.NOTICES}
              | {f"bulk_{a}" for a in bulk.ACTIONS})
    assert wanted <= keys, sorted(wanted - keys)

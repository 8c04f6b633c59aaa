"""pipeline.report: the numbers (checked against the scan that filled the store), dates, escaping, formats, CLI."""

from __future__ import annotations

import base64
import html
import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from html.parser import HTMLParser

import _browser
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import pipeline
from pipeline import report
from pipeline.classify.artifact import Model
from pipeline.classify.data import sample_labels
from pipeline.classify.estimator import PatroliClassifier
from pipeline.cli import cli
from pipeline.errors import InputError, StoreError
from pipeline.ingest.samples import sample_posts
from pipeline.labels import FLAG_LABELS
from pipeline.posts import Post
from pipeline.store import Store

WIB = timezone(timedelta(hours=7))
XSS = "<script>alert(1)</script> Bakar gerejanya!! usir mereka <img src=x onerror=alert(2)> & \"kafir\""
FORMULA = "=HYPERLINK(\"http://evil.example\") bakar gereja mereka, usir kafir!!"
ADVERSARIAL = [
    Post("twitter", "xss", XSS, author="<b>pelaku</b>", url="javascript:alert(3)",
         created_at=datetime(2026, 11, 20, 9, 0, tzinfo=WIB), shares=10**6, views=10**8, followers=10**7),
    Post("facebook", "formula", FORMULA, author="=cmd", created_at=datetime(2026, 11, 21, 23, 30, tzinfo=WIB),
         shares=10**5, followers=10**6),
]


@pytest.fixture(scope="module")
def model() -> Model:
    """A tiny model trained on the labelled samples: the report's numbers are checked against its own scan."""
    truth = sample_labels()
    clf = PatroliClassifier(min_df=1, calibration_folds=3).fit(truth["text"].tolist(), truth)
    return Model(clf, {"version": "report-test"})


@pytest.fixture(scope="module")
def scanned(model, tmp_path_factory) -> tuple[str, pd.DataFrame]:
    """(database URL, scan frame): the samples plus two adversarial posts, scanned into a fresh SQLite file."""
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'patroli.db'}"
    frame = pipeline.scan(sample_posts() + ADVERSARIAL, model=model, db=url)
    flagged = frame.set_index("post_id")["flags"]
    assert flagged["xss"] and flagged["formula"], "the adversarial posts must be flagged to reach the report"
    return url, frame


def _has(flags: pd.Series, label: str) -> pd.Series:
    return flags.map(lambda f: label in f)


def test_report_data_counts_match_the_scan(scanned):
    url, frame = scanned
    data = report.report_data(url)
    assert set(data) == set(report.TABLES)
    flagged = frame["flags"].map(bool)
    s = data["summary"].iloc[0]
    assert (s["posts"], s["flagged_posts"], s["enqueued"]) == (len(frame), flagged.sum(), flagged.sum())
    assert s["claim_matches"] == 0 and s["model_versions"] == "report-test"
    labels = data["labels"].set_index("label")
    assert list(labels.index) == list(FLAG_LABELS)
    for label in FLAG_LABELS:
        assert labels.loc[label, "flagged"] == _has(frame["flags"], label).sum() > 0
        assert labels.loc[label, "mean_score"] == pytest.approx(frame[label].mean())
    by_platform = data["by_platform"].set_index("platform")
    expected = frame.groupby("platform").agg(posts=("post_id", "size"), flagged=("flags", lambda f: f.map(bool).sum()))
    assert by_platform[["posts", "flagged"]].to_dict() == expected.to_dict()
    by_source = data["by_source"].set_index("source")
    assert by_source["posts"].to_dict() == frame["source"].fillna("(none)").value_counts().to_dict()
    assert by_source["hoax"].sum() == _has(frame["flags"], "hoax").sum()
    queue = data["queue"].set_index("status")["items"]
    assert queue["pending"] == flagged.sum() and queue.drop("pending").sum() == 0


def test_daily_trend_counts_days_in_jakarta(scanned):
    url, frame = scanned
    daily = report.report_data(url, by="created_at")["daily"]
    days = frame["created_at"].dropna().dt.tz_convert("Asia/Jakarta").dt.date
    assert str(daily["day"].dt.tz) == "Asia/Jakarta"
    assert daily["day"].dt.date.tolist() == [days.min() + timedelta(days=i) for i in range(len(daily))]
    counted = dict(zip(daily["day"].dt.date, daily["posts"], strict=True))
    assert {day: n for day, n in counted.items() if n} == days.value_counts().to_dict()
    # The formula post was written at 23:30 WIB on the 21st: 16:30 UTC, counted on the 21st, not the 22nd.
    assert daily["posts"].sum() == frame["created_at"].notna().sum()
    assert daily["flagged"].sum() == frame.loc[frame["created_at"].notna(), "flags"].map(bool).sum()


def test_top_flagged_posts_by_priority_with_evidence(scanned):
    url, frame = scanned
    top = report.report_data(url, top=5)["top_flagged"]
    expected = frame[frame["flags"].map(bool)].sort_values("priority", ascending=False).head(5)
    assert top["rank"].tolist() == [1, 2, 3, 4, 5]
    assert top["post_id"].tolist() == expected["post_id"].tolist()
    assert top["priority"].tolist() == pytest.approx(expected["priority"].tolist())
    first, source = top.iloc[0], expected.iloc[0]
    assert first["post_id"] == "xss" and first["text"] == XSS
    assert first["evidence"] == {label: [tuple(t) for t in source["evidence"][label]] for label in source["flags"]}
    assert first["scores"] == pytest.approx({label: source[label] for label in source["flags"]})
    assert first["created_at"].tzinfo is not None and first["queue_status"] == "pending"


@pytest.mark.parametrize(("since", "until", "first_day", "last_day"), [
    ("2026-11-10", "2026-11-12", date(2026, 11, 10), date(2026, 11, 12)),
    ("2026-11-21", "2026-11-21", date(2026, 11, 21), date(2026, 11, 21)),
    (date(2026, 11, 25), None, date(2026, 11, 25), date(2026, 11, 30)),
    (None, "2026-11-03", date(2026, 11, 1), date(2026, 11, 3)),
])
def test_date_filter_by_created_at(scanned, since, until, first_day, last_day):
    url, frame = scanned
    data = report.report_data(url, since=since, until=until, by="created_at")
    days = frame["created_at"].dt.tz_convert("Asia/Jakarta").dt.date
    inside = frame[days.between(first_day, last_day)]
    assert 0 < data["summary"].iloc[0]["posts"] == len(inside)
    assert data["summary"].iloc[0]["flagged_posts"] == inside["flags"].map(bool).sum()
    assert data["daily"]["posts"].sum() == len(inside)


def test_date_filter_by_captured_at(scanned):
    url, frame = scanned
    today = datetime.now(WIB).date()
    assert report.report_data(url, since=today - timedelta(days=1))["summary"].iloc[0]["posts"] == len(frame)
    empty = report.report_data(url, since=today + timedelta(days=2))
    assert empty["summary"].iloc[0]["posts"] == 0
    assert empty["top_flagged"].empty and empty["daily"].empty and empty["claims"].empty
    assert empty["labels"]["flagged"].sum() == 0


@pytest.mark.parametrize(("value", "end", "expected"), [
    ("2026-11-10", False, datetime(2026, 11, 10, tzinfo=WIB)),
    ("2026-11-10", True, datetime(2026, 11, 11, tzinfo=WIB)),
    ("2026-11-10T08:30", False, datetime(2026, 11, 10, 8, 30, tzinfo=WIB)),
    ("2026-11-10T08:30", True, datetime(2026, 11, 10, 8, 30, tzinfo=WIB)),
    ("2026-11-10T08:30:00Z", False, datetime(2026, 11, 10, 8, 30, tzinfo=UTC)),
    ("2026-11-10 08:30+09:00", False, datetime(2026, 11, 9, 23, 30, tzinfo=UTC)),
    (date(2026, 11, 10), True, datetime(2026, 11, 11, tzinfo=WIB)),
    (datetime(2026, 11, 10, 1, 2), False, datetime(2026, 11, 10, 1, 2, tzinfo=WIB)),
    (None, False, None),
])
def test_parse_when(value, end, expected):
    parsed = report.parse_when(value, end=end)
    assert parsed == expected
    assert parsed is None or parsed.tzinfo is not None


@pytest.mark.parametrize("value", ["2026-13-01", "yesterday", "10/11/2026", "2026-11-1"])
def test_parse_when_rejects_non_dates(value):
    with pytest.raises(InputError, match="since: .* is not a date"):
        report.parse_when(value, "since")


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"since": "2026-11-12", "until": "2026-11-10"}, InputError, "must be before until"),
    ({"by": "updated_at"}, InputError, "by must be one of"),
    ({"store_or_url": "sqlite:////nonexistent/dir/patroli.db"}, StoreError, "no database at"),
    ({"store_or_url": "mysql://x@localhost/db"}, StoreError, "unsupported database"),
])
def test_report_data_rejects_bad_input(scanned, kwargs, error, message):
    kwargs = {"store_or_url": scanned[0], **kwargs}
    with pytest.raises(error, match=message):
        report.report_data(**kwargs)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "div", "b", "br", "table",
                "thead", "tbody", "tr", "th", "td", "img", "mark"}


def test_html_escapes_every_post(scanned, tmp_path):
    url, frame = scanned
    out = tmp_path / "report.html"
    report.write_report(out, url, top=200)
    page = out.read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(page)
    assert {tag for tag, _ in parser.tags} <= ALLOWED_TAGS
    for tag, attrs in parser.tags:
        assert not any(name.startswith("on") or name == "href" for name in attrs), (tag, attrs)
        if tag == "img":
            assert attrs["src"].startswith("data:image/png;base64,")
    assert "<script" not in page.lower() and "javascript:alert(3)" in page  # the URL shown as text, not a link
    assert "&lt;b&gt;pelaku&lt;/b&gt;" in page
    assert html.escape(XSS, quote=True) in _strip_marks(page)
    assert html.escape(FORMULA, quote=True) in _strip_marks(page)
    assert page.count('class="post"') == frame["flags"].map(bool).sum()


def _strip_marks(page: str) -> str:
    """The page with highlight tags removed (their content kept), to find a post's escaped text in one piece."""
    return re.sub(r'<mark title="[^"<>]*">|</mark>', "", page)


@pytest.mark.parametrize(("text", "terms", "expected"), [
    ("Dasar b.a.b.i!", {"sara": ["babi"]}, 'Dasar <mark title="sara">b.a.b.i</mark>!'),
    ("ustadz k4f1r", {"sara": ["kafir"]}, 'ustadz <mark title="sara">k4f1r</mark>'),
    ("usir a s e n g", {"sara": ["aseng"]}, 'usir <mark title="sara">a s e n g</mark>'),
    ("<b>babi</b>", {"x": ["babi"]}, '&lt;b&gt;<mark title="x">babi</mark>&lt;/b&gt;'),
    ("<script>", {"x": ["script"]}, '&lt;<mark title="x">script</mark>&gt;'),
    ("a < b lt", {"x": ["lt"]}, 'a &lt; b <mark title="x">lt</mark>'),
    ("a & amp", {"x": ["amp"]}, 'a &amp; <mark title="x">amp</mark>'),
    ("Bakar GEREJA!!", {"p": ["bakar", "gereja"], "s": ["gereja", "!"]},
     '<mark title="p">Bakar</mark> <mark title="p, s">GEREJA</mark><mark title="s">!!</mark>'),
    ("turun ke jalan", {"p": ["turun ke jalan", "jalan"]}, '<mark title="p">turun ke jalan</mark>'),
    ("mengkafirkan", {"x": ["kafir"]}, "mengkafirkan"),
    # the words a hashtag is read as, in CamelCase or one case; not a word inside another one
    ("#UsirMadura #bakargereja #SarapanPagi", {"s": ["usir", "sara"], "p": ["madura", "gereja"]},
     '#<mark title="s">Usir</mark><mark title="p">Madura</mark> #bakar<mark title="p">gereja</mark> #SarapanPagi'),
    ("x \"y\" 'z'", {"x": ["q"]}, "x &quot;y&quot; &#x27;z&#x27;"),
])
def test_highlight_escapes_then_marks(text, terms, expected):
    from pipeline.report.html import highlight

    assert highlight(text, terms) == expected


def test_json_format(scanned, tmp_path):
    url, frame = scanned
    out = tmp_path / "sub" / "report.json"
    report.write_report(out, url, fmt="json", top=3)
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert set(payload) == {*report.TABLES, "chain_head"}
    assert payload["summary"]["posts"] == len(frame)
    assert payload["summary"]["since"] is None and payload["summary"]["by"] == "captured_at"
    assert datetime.fromisoformat(payload["summary"]["generated_at"]).tzinfo is not None
    assert [r["label"] for r in payload["labels"]] == list(FLAG_LABELS)
    top = payload["top_flagged"]
    assert len(top) == 3 and top[0]["text"] == XSS and isinstance(top[0]["evidence"], dict)
    assert payload["claims"] == []


def test_csv_format(scanned, tmp_path):
    url, frame = scanned
    out = tmp_path / "csv"
    data = report.write_report(out, url, fmt="csv", top=200)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}.csv" for name in (*report.TABLES, "chain_head"))
    labels = pd.read_csv(out / "labels.csv")
    assert labels["flagged"].tolist() == data["labels"]["flagged"].tolist()
    top = pd.read_csv(out / "top_flagged.csv", dtype=str, keep_default_na=False).set_index("post_id")
    assert top.loc["xss", "text"] == XSS
    # A spreadsheet would run these as formulas: the exact text stays in the JSON format.
    assert top.loc["formula", "text"] == "'" + FORMULA and top.loc["formula", "author"] == "'=cmd"
    assert len(top) == frame["flags"].map(bool).sum()
    assert pd.read_csv(out / "claims.csv").empty


def test_unknown_format_and_unwritable_path(scanned, tmp_path):
    url, _ = scanned
    with pytest.raises(InputError, match="unknown report format"):
        report.write_report(tmp_path / "r.pdf", url, fmt="pdf")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="cannot write report"):
        report.write_report(tmp_path / "file" / "r.html", url)
    with pytest.raises(InputError, match="cannot write report"):
        report.write_report(tmp_path / "file", url, fmt="csv")


def test_most_matched_known_hoaxes(db_url, tmp_path, make_record):
    url = db_url

    def claim(claim_id, similarity, title=None):
        found = {"claim_id": claim_id, "similarity": similarity, "url": f"https://cek.example/{claim_id}"}
        return found | ({"title": title} if title else {})

    with Store.open(url) as store:
        store.add_claims([{"claim_id": "C2", "title": "Vaksin <b>berisi</b> chip", "url": "https://cek.example/C2"}])
        store.save_scan([
            make_record(1, evidence={"hoax": [["sebarkan", 1.0]], "claim": claim("C1", 0.9, "Air sandal")}),
            make_record(2, evidence={"hoax": [["sebarkan", 1.0]], "claim": claim("C1", 0.7, "Air sandal")}),
            make_record(3, flags=(), scores={}, evidence={"claim": claim("C2", 0.6)}),
            make_record(4, flags=("abusive",)),
        ])
    data = report.report_data(url)
    claims = data["claims"]
    assert claims["claim_id"].tolist() == ["C1", "C2"]
    c1, c2 = claims.iloc[0], claims.iloc[1]
    assert (c1["posts"], c1["flagged_hoax"], c1["title"]) == (2, 2, "Air sandal")
    assert (c1["max_similarity"], c1["mean_similarity"]) == pytest.approx((0.9, 0.8))
    assert c1["first_seen"] < c1["last_seen"] and c1["first_seen"].tzinfo is not None
    assert (c2["posts"], c2["flagged_hoax"], c2["title"]) == (1, 0, "Vaksin <b>berisi</b> chip")
    assert data["summary"].iloc[0]["claim_matches"] == 3
    out = tmp_path / "r.html"
    report.write_report(out, url)
    page = out.read_text(encoding="utf-8")
    assert "Vaksin &lt;b&gt;berisi&lt;/b&gt; chip" in page and "known claim</b> C1: Air sandal" in page


@pytest.mark.parametrize("fmt", ["html", "json", "csv"])
def test_cli_writes_each_format(scanned, tmp_path, fmt):
    url, frame = scanned
    out = tmp_path / f"report.{fmt}"
    result = CliRunner().invoke(cli, ["report", "--db", url, "--out", str(out), "--format", fmt,
                                      "--since", "2026-11-01", "--until", "2026-11-30", "--by", "created_at"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    dated = frame[frame["created_at"].notna()]
    assert result.stdout.strip() == (f"{fmt} report written to {out}: {len(dated)} posts, "
                                     f"{dated['flags'].map(bool).sum()} flagged, "
                                     f"{dated['flags'].map(bool).sum()} enqueued")
    assert (out / "summary.csv").exists() if fmt == "csv" else out.stat().st_size > 1000


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--since", "2026-02-30"], 3, "since: '2026-02-30' is not a date"),
    (["--until", "kemarin"], 3, "until: 'kemarin' is not a date"),
    (["--db", "sqlite:///{tmp}/missing.db"], 5, "no database at"),
    (["--db", "oracle://scott@db/x"], 5, "unsupported database"),
    (["--out", "{tmp}/blocker/report.html"], 3, "cannot write report to"),
])
def test_cli_errors_are_one_line(scanned, tmp_path, args, code, message):
    (tmp_path / "blocker").write_text("a file, not a directory")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    base = {"--db": scanned[0], "--out": str(tmp_path / "r.html")}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    result = CliRunner().invoke(cli, ["report", *(x for kv in base.items() for x in kv)])
    assert result.exit_code == code
    assert result.stderr.startswith("patroli: error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_cli_end_to_end_subprocess(scanned, tmp_path):
    out = tmp_path / "r.json"
    done = subprocess.run([sys.executable, "-c", "from pipeline.cli import main; main()", "report", "--db",
                           scanned[0], "--out", str(out), "--format", "json"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["posts"] == len(scanned[1])
    bad = subprocess.run([sys.executable, "-c", "from pipeline.cli import main; main()", "report", "--db",
                          scanned[0], "--out", str(out), "--since", "soon"], capture_output=True, text=True,
                         timeout=120, check=False)
    assert bad.returncode == 3 and bad.stderr.strip().splitlines() == [
        "patroli: error: since: 'soon' is not a date (YYYY-MM-DD) or an ISO 8601 time"]


@pytest.fixture(scope="module")
def chromium() -> str:
    binary, why = _browser.find()
    if binary is None:
        pytest.skip(why)
    return binary


def _near(pixels: np.ndarray, color: str, tolerance: int = 6) -> int:
    """How many pixels (an H x W x 3 array) have `color` (#rrggbb), give or take `tolerance` per channel."""
    target = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(pixels.astype(int) - target) <= tolerance).all(axis=-1).sum())


def test_report_renders_in_chromium(scanned, tmp_path, chromium):
    from PIL import Image

    from pipeline.report.charts import FLAGGED_COLOR, SCANNED_COLOR

    url, _ = scanned
    out = tmp_path / "report.html"
    report.write_report(out, url, by="created_at")
    shot = _browser.screenshot(out, tmp_path / "report.png", 1280, 4000)
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 4000)
    pixels = np.asarray(image)
    # The bars of the charts are the only large areas in these two colours: the charts were drawn.
    assert _near(pixels, FLAGGED_COLOR) > 20_000 and _near(pixels, SCANNED_COLOR) > 20_000
    packed = (pixels[..., 0].astype(np.int32) << 16) | (pixels[..., 1].astype(np.int32) << 8) | pixels[..., 2]
    assert len(np.unique(packed)) > 200, "a real page: text, tables and charts, not a blank or error page"
    dom = _browser.dump_dom(out)
    assert "<script" not in dom.lower() and "onerror" not in re.sub(r"&lt;img src=x onerror=", "", dom)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in _strip_marks(dom)


def test_report_charts_decode_in_chromium(scanned, tmp_path, chromium):
    url, _ = scanned
    out = tmp_path / "report.html"
    report.write_report(out, url, by="created_at")
    sources = re.findall(r'<img class="chart" alt="[^"]*" src="(data:image/png;base64,[^"]+)"', out.read_text())
    assert len(sources) == 3
    sizes = []
    for src in sources:
        header = base64.b64decode(src.split(",", 1)[1][:64])
        sizes.append(f"{int.from_bytes(header[16:20], 'big')}x{int.from_bytes(header[20:24], 'big')}")
    # The report forbids scripts (CSP), so a separate page loads the same images and records what decoded.
    probe = tmp_path / "probe.html"
    probe.write_text("<!DOCTYPE html><html><body>" + "".join(f'<img src="{s}">' for s in sources) +
                     "<script>window.addEventListener('load', () => { for (const img of document.images) "
                     "img.setAttribute('data-decoded', img.naturalWidth + 'x' + img.naturalHeight); });"
                     "</script></body></html>", encoding="utf-8")
    decoded = re.findall(r'data-decoded="(\d+x\d+)"', _browser.dump_dom(probe))
    assert decoded == sizes and all(not s.startswith("0x") for s in sizes)

"""The "rss" ingestor against a real loopback HTTP server: RSS/Atom, conditional GET, resume, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from _http import Reply, Request, drain, serve

from pipeline.ingest import SourceError, make_ingestor

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
RSS = (FIXTURES / "feed_rss.xml").read_text(encoding="utf-8")
ATOM = (FIXTURES / "feed_atom.xml").read_text(encoding="utf-8")
NEW_ITEM = """<item>
      <title>Klarifikasi Dinas: Tidak Ada Pungutan Daftar Ulang Sekolah</title>
      <link>https://kabar-nusantara.contoh.id/pendidikan/klarifikasi</link>
      <guid isPermaLink="false">kn-30004</guid>
      <pubDate>Thu, 05 Nov 2026 09:00:00 +0700</pubDate>
      <description>Pesan berantai soal pungutan daftar ulang dipastikan hoaks.</description>
    </item>
    <item>"""


class ConditionalFeed:
    """Serves a feed with an ETag and Last-Modified; answers 304 when the client sends the current ones back."""

    def __init__(self, body: str, etag: str = '"v1"') -> None:
        self.body, self.etag = body, etag
        self.modified = "Wed, 04 Nov 2026 03:00:00 GMT"

    def __call__(self, request: Request) -> Reply:
        if request.path != "/rss":
            return Reply(404, "tidak ditemukan")
        if request.headers.get("if-none-match") == self.etag:
            return Reply(304)
        return Reply(
            200,
            self.body,
            {
                "Content-Type": "application/rss+xml; charset=utf-8",
                "ETag": self.etag,
                "Last-Modified": self.modified,
            },
        )


def rss(url: str, **options: object):
    return make_ingestor("kabar-nusantara", {"kind": "rss", "url": url, **options})


def test_rss_entries_oldest_first_with_text_author_time() -> None:
    with serve(ConditionalFeed(RSS)) as server:
        result = drain(rss(server.url("/rss")))
    assert [p.post_id.split(":")[-1] for p in result.posts] == ["kn-30001", "kn-30002", "kn-30003"]
    assert result.posts[0].post_id == "127.0.0.1:kn-30001"  # bare guids are scoped to the feed's host
    hoax = result.posts[2]
    assert hoax.text == (
        "[HOAKS] Foto Jembatan Ambruk di Kalimantan Ternyata dari Negara Lain\n\n"
        "Sebuah foto jembatan ambruk beredar di media sosial dengan klaim terjadi di Kalimantan Timur.\n"
        "Penelusuran menunjukkan foto itu diambil di luar negeri pada 2019."
    )
    assert (hoax.author, hoax.platform, hoax.source) == ("Tim Cek Fakta", "rss", "kabar-nusantara")
    assert hoax.url == "https://kabar-nusantara.contoh.id/cek-fakta/jembatan-ambruk"
    assert hoax.created_at == datetime(2026, 11, 4, 3, 0, tzinfo=UTC)
    assert hoax.created_at.utcoffset() == timedelta(hours=7)
    assert hoax.raw["feed_title"] == "Kabar Nusantara Contoh"
    assert result.problems == []


def test_conditional_get_304_yields_nothing_and_new_entries_only_after_a_change() -> None:
    feed = ConditionalFeed(RSS)
    with serve(feed) as server:
        first = drain(rss(server.url("/rss")))
        second = drain(rss(server.url("/rss")), first.cursor)
        feed.body, feed.etag = RSS.replace("<item>", NEW_ITEM, 1), '"v2"'
        third = drain(rss(server.url("/rss")), first.cursor)
        requests = server.requests
    assert len(first.posts) == 3
    assert requests[1].headers["if-none-match"] == '"v1"'
    assert requests[1].headers["if-modified-since"] == "Wed, 04 Nov 2026 03:00:00 GMT"
    assert second.cursors == [] and second.posts == []
    assert [p.post_id for p in third.posts] == ["127.0.0.1:kn-30004"]
    assert third.posts[0].text.startswith("Klarifikasi Dinas: Tidak Ada Pungutan")
    assert "v2" in third.cursor


def test_a_run_stopped_mid_feed_resumes_without_losing_entries() -> None:
    with serve(ConditionalFeed(RSS)) as server:
        items = list(rss(server.url("/rss")).iter_posts(None))
        assert '"v1"' not in items[0].cursor  # the new ETag is only saved once every entry was handed over
        resumed = drain(rss(server.url("/rss")), items[0].cursor)
    assert [p.post_id[-8:] for p in resumed.posts] == ["kn-30002", "kn-30003"]


def test_atom_feed() -> None:
    with serve(lambda r: Reply(200, ATOM, {"Content-Type": "application/atom+xml"})) as server:
        result = drain(rss(server.url("/atom"), platform="blog"))
    assert [p.post_id for p in result.posts] == [
        "tag:literasi.contoh.id,2026:post-76",
        "tag:literasi.contoh.id,2026:post-77",
    ]
    latest = result.posts[1]
    assert (latest.platform, latest.author) == ("blog", "Dewi Lestari Putri")
    assert latest.text == (
        "Cara Mengenali Pesan Berantai Palsu di WhatsApp\n\n"
        "Periksa sumber, tanggal, dan jangan langsung meneruskan pesan yang memancing emosi."
    )
    assert latest.created_at.utcoffset() == timedelta(hours=8) and latest.created_at.hour == 12


def test_rate_limited_feed_is_retried_after_retry_after() -> None:
    replies = [Reply(429, "terlalu banyak permintaan", {"Retry-After": "7"}), Reply(200, RSS)]
    waits: list[float] = []
    with serve(lambda r: replies.pop(0)) as server:
        result = drain(rss(server.url("/rss"), sleep=waits.append))
    assert waits == [7.0]
    assert len(result.posts) == 3


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(500, "Internal Server Error"), r"rss feed http://127\.0\.0\.1:\d+/rss: HTTP 500 from .*/rss"),
        (
            Reply(
                200,
                "<html><body><h1>Beranda</h1><p>Bukan feed</p></body></html>",
                {"Content-Type": "text/html"},
            ),
            r"the response is not an RSS/Atom feed",
        ),
    ],
)
def test_broken_feeds_raise_source_error(reply: Reply, message: str) -> None:
    with serve(lambda r: reply) as server, pytest.raises(SourceError, match=message):
        drain(rss(server.url("/rss")))


def test_unreachable_feed_is_a_source_error() -> None:
    with serve(lambda r: Reply(200, RSS)) as server:
        url = server.url("/rss")
    with pytest.raises(SourceError, match="cannot reach"):
        drain(rss(url, timeout=2.0))

"""The "http_json" ingestor against a loopback API: page and cursor pagination, high-water mark, errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from _http import Reply, Request, drain, serve

from pipeline.ingest import SourceError, decode_cursor, make_ingestor

ITEMS = [
    {
        "uid": 101,
        "isi": "Beredar kabar gempa 9 SR akan terjadi malam ini. BMKG: gempa tidak bisa diprediksi.",
        "waktu": "2026-11-08 19:00 WIB",
        "akun": {"nama": "warga_cilacap", "pengikut": "1,2rb"},
        "statistik": {"dibagikan": 340, "dilihat": 21000},
        "tautan": "https://forum.contoh.id/t/101",
    },
    {
        "uid": 102,
        "isi": "Ajakan boikot toko milik suku tertentu beredar di grup, ini jelas provokasi SARA.",
        "waktu": "2026-11-08 20:15 WITA",
        "akun": {"nama": "pemuda_damai", "pengikut": 560},
        "statistik": {"dibagikan": 12, "dilihat": 800},
    },
    {"uid": 103, "waktu": "2026-11-08 21:00 WIB", "akun": {"nama": "tanpa_isi"}},
    {
        "uid": 104,
        "isi": "Pengumuman resmi: layanan KTP elektronik tetap buka hari Sabtu.",
        "waktu": "2026-11-09 08:00 WIT",
        "akun": {"nama": "dukcapil_contoh", "pengikut": 99000},
    },
    {
        "uid": 105,
        "isi": "Foto kerusuhan itu hasil editan, sumber aslinya video konser 2019.",
        "waktu": 1794200000,
        "akun": {"nama": "cekfakta_warga", "pengikut": 5400},
    },
]
MAPPING = {
    "items_path": "data.items",
    "id_field": "uid",
    "text_field": "isi",
    "time_field": "waktu",
    "author_field": "akun.nama",
    "followers_field": "akun.pengikut",
    "shares_field": "statistik.dibagikan",
    "views_field": "statistik.dilihat",
    "url_field": "tautan",
}


def paged(request: Request) -> Reply:
    page = int(request.query.get("page", "1"))
    since = int(request.query.get("since_id", "0"))
    items = [i for i in ITEMS if i["uid"] > since][(page - 1) * 2 : page * 2]
    return Reply(200, {"status": "ok", "data": {"items": items, "halaman": page}})


def forum(url: str, **options: object):
    return make_ingestor("forum-warga", {"kind": "http_json", "url": url, **MAPPING, **options})


def test_page_pagination_maps_fields_and_reports_bad_items() -> None:
    with serve(paged) as server:
        result = drain(forum(server.url("/api/posts"), pagination="page", params={"q": "hoaks"}))
        pages = [r.query["page"] for r in server.requests]
        assert all(r.query["q"] == "hoaks" for r in server.requests)
    assert pages == ["1", "2", "3", "4"]  # page 4 is empty: the end
    assert [p.post_id for p in result.posts] == ["101", "102", "104", "105"]
    first = result.posts[0]
    assert (first.author, first.followers, first.shares, first.views) == ("warga_cilacap", 1200, 340, 21000)
    assert (first.url, first.platform, first.source) == (
        "https://forum.contoh.id/t/101",
        "http_json",
        "forum-warga",
    )
    assert first.created_at.utcoffset() == timedelta(hours=7) and first.created_at.hour == 19
    assert result.posts[1].created_at.utcoffset() == timedelta(hours=8)
    assert result.posts[3].created_at.timestamp() == 1794200000
    assert len(result.problems) == 1
    assert result.problems[0].endswith("(page=2) item #1: no 'isi' field; skipped")


def test_cursor_pagination_with_headers_and_bearer_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORUM_TOKEN", "rahasia-forum")

    def api(request: Request) -> Reply:
        if (
            request.headers.get("authorization") != "Bearer rahasia-forum"
            or request.headers.get("x-klien") != "patroli"
        ):
            return Reply(403, {"message": "akses ditolak"})
        start = int(request.query.get("after", "0"))
        chunk = ITEMS[start : start + 3]
        meta = {"next": str(start + 3)} if start + 3 < len(ITEMS) else {"next": None}
        return Reply(200, {"data": {"items": chunk}, "meta": meta})

    with serve(api) as server:
        ingestor = forum(
            server.url("/v2/feed"),
            pagination="cursor",
            next_cursor_path="meta.next",
            cursor_param="after",
            bearer_token_env="FORUM_TOKEN",
            headers={"X-Klien": "patroli"},
        )
        result = drain(ingestor)
        assert [r.query.get("after") for r in server.requests] == [None, "3"]
        monkeypatch.setenv("FORUM_TOKEN", "salah")
        with pytest.raises(SourceError, match=r"HTTP 403 from .*/v2/feed: akses ditolak"):
            drain(
                forum(
                    server.url("/v2/feed"),
                    pagination="cursor",
                    next_cursor_path="meta.next",
                    cursor_param="after",
                    bearer_token_env="FORUM_TOKEN",
                    headers={"X-Klien": "patroli"},
                )
            )
    assert [p.post_id for p in result.posts] == ["101", "102", "104", "105"]


def test_high_water_mark_sends_since_and_skips_seen_items() -> None:
    with serve(paged) as server:
        first = drain(forum(server.url("/api/posts"), pagination="page", since_param="since_id"))
        ITEMS.append(
            {"uid": 106, "isi": "Kabar terbaru: jembatan sudah dibuka kembali.", "waktu": "2026-11-10 07:00"}
        )
        try:
            second = drain(
                forum(server.url("/api/posts"), pagination="page", since_param="since_id"), first.cursor
            )
        finally:
            ITEMS.pop()
        assert server.requests[-1].query["since_id"] == "105"
    assert decode_cursor("http_json", first.cursor) == {"since": 105, "high": None, "position": None}
    assert [p.post_id for p in second.posts] == ["106"]


def test_client_side_since_filter_when_the_api_ignores_it() -> None:
    with serve(lambda r: Reply(200, {"data": {"items": ITEMS}})) as server:
        first = drain(forum(server.url("/semua"), since_field="uid"))
        second = drain(forum(server.url("/semua"), since_field="uid"), first.cursor)
    assert len(first.posts) == 4 and second.posts == [] and second.problems == []


def test_interrupted_paging_resumes_at_the_page_reached() -> None:
    with serve(paged) as server:
        items = list(forum(server.url("/api/posts"), pagination="page", max_pages=1).iter_posts(None))
        assert decode_cursor("http_json", items[-1].cursor)["position"] == 2
        rest = drain(forum(server.url("/api/posts"), pagination="page"), items[-1].cursor)
        assert server.requests[1].query["page"] == "2"
    assert [p.post_id for p in rest.posts] == ["104", "105"]


def test_rate_limit_then_success() -> None:
    replies = [Reply(429, {"message": "pelan-pelan"}, {"Retry-After": "2"})]
    waits: list[float] = []
    with serve(lambda r: replies.pop(0) if replies else Reply(200, {"data": {"items": ITEMS[:2]}})) as server:
        result = drain(forum(server.url("/x"), sleep=waits.append))
    assert waits == [2.0] and [p.post_id for p in result.posts] == ["101", "102"]


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            Reply(200, {"hasil": []}),
            r"the response has no 'data.items' \(top-level keys: hasil\); check items_path",
        ),
        (
            Reply(200, "<html>bukan json</html>", {"Content-Type": "text/html"}),
            r"did not return JSON \(text/html\)",
        ),
        (Reply(502, "Bad Gateway"), r"HTTP 502 from .*/x: Bad Gateway"),
    ],
)
def test_bad_responses_raise_source_error(reply: Reply, message: str) -> None:
    with serve(lambda r: reply) as server, pytest.raises(SourceError, match=message):
        drain(forum(server.url("/x")))

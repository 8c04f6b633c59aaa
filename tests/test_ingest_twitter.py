"""The "twitter" ingestor: saved X API v2 responses, and live search against a loopback server (pagination,
since_id cursor, HTTP 429 back-off)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from _http import Reply, Request, drain, serve

from pipeline.errors import ConfigError
from pipeline.ingest import SourceError, decode_cursor, make_ingestor

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
PAGE1, PAGE2, NEWER = (
    json.loads((FIXTURES / f"x_search_{n}.json").read_text(encoding="utf-8"))
    for n in ("page1", "page2", "new")
)
TOKEN = "uji-token-rahasia-123"
NEWEST = "1988000000000000003"


class SearchApi:
    """A small stand-in for GET /2/tweets/search/recent: pages by next_token, newer results by since_id."""

    def __init__(self) -> None:
        self.before: list[Reply] = []  # replies served first (e.g. a 429), in order

    def __call__(self, request: Request) -> Reply:
        if request.path != "/2/tweets/search/recent":
            return Reply(404, {"title": "Not Found Error"})
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return Reply(401, {"title": "Unauthorized", "detail": "Unauthorized", "status": 401})
        if self.before:
            return self.before.pop(0)
        since, token = request.query.get("since_id"), request.query.get("next_token")
        if token == PAGE1["meta"]["next_token"]:
            return Reply(200, PAGE2)
        if since == NEWEST:
            return Reply(200, NEWER)
        if since:
            return Reply(200, {"meta": {"result_count": 0}})
        return Reply(200, PAGE1)


def live(base_url: str, **options: object):
    return make_ingestor(
        "x-pemilu",
        {"kind": "twitter", "query": "(hoaks OR provokasi) pemilu lang:id", "base_url": base_url, **options},
    )


@pytest.fixture(autouse=True)
def bearer_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)


def test_live_search_paginates_and_maps_reach() -> None:
    with serve(SearchApi()) as server:
        result = drain(live(server.base_url))
        first, second = server.requests
    assert [p.post_id for p in result.posts] == [
        "1988000000000000003",
        "1988000000000000002",
        "1988000000000000001",
    ]
    top = result.posts[0]
    assert (top.platform, top.author, top.source) == ("twitter", "infomadura_now", "x-pemilu")
    assert (top.shares, top.views, top.followers) == (210 + 35, 98000, 45210)
    assert top.url == "https://x.com/infomadura_now/status/1988000000000000003"
    assert top.created_at == datetime(2026, 11, 7, 13, 20, tzinfo=UTC)
    assert top.raw["author"]["name"] == "Info Madura Terkini"
    assert first.query["query"] == "(hoaks OR provokasi) pemilu lang:id"
    assert first.query["max_results"] == "100" and "since_id" not in first.query
    assert "public_metrics" in first.query["tweet.fields"] and first.query["expansions"] == "author_id"
    assert second.query["next_token"] == "b26v89c19zqg8o3fpe0k"
    assert decode_cursor("twitter", result.cursor) == {
        "since_id": NEWEST,
        "next_token": None,
        "newest_id": None,
    }


def test_since_id_cursor_fetches_only_newer_posts() -> None:
    with serve(SearchApi()) as server:
        first = drain(live(server.base_url))
        second = drain(live(server.base_url), first.cursor)
        third = drain(live(server.base_url), second.cursor)
        requests = server.requests
    assert requests[2].query["since_id"] == NEWEST
    assert [p.post_id for p in second.posts] == ["1988000000000000010"]
    assert requests[3].query["since_id"] == "1988000000000000010"
    assert third.posts == [] and decode_cursor("twitter", third.cursor)["since_id"] == "1988000000000000010"


def test_http_429_waits_for_the_rate_limit_reset_then_succeeds() -> None:
    api = SearchApi()
    reset = int(time.time()) + 30
    api.before = [
        Reply(
            429,
            {"title": "Too Many Requests"},
            {"x-rate-limit-reset": str(reset), "x-rate-limit-remaining": "0"},
        )
    ]
    waits: list[float] = []
    with serve(api) as server:
        result = drain(live(server.base_url, sleep=waits.append))
        assert len(server.requests) == 3
    assert len(waits) == 1 and 25 <= waits[0] <= 32
    assert len(result.posts) == 3


def test_rate_limit_longer_than_max_wait_stops_and_the_next_run_continues_the_pagination() -> None:
    api = SearchApi()
    waits: list[float] = []
    with serve(api) as server:
        ingestor = live(server.base_url, sleep=waits.append, max_wait=60.0)
        items = []
        gen = ingestor.iter_posts(None)
        items.append(next(gen))
        items.append(next(gen))  # page 1 done; page 2 will be rate limited for an hour
        api.before = [Reply(429, {"title": "Too Many Requests"}, {"retry-after": "3600"})]
        with pytest.raises(SourceError, match=r"rate limited .* for 3600 s, longer than max_wait = 60 s"):
            next(gen)
        assert waits == []
        resumed = drain(live(server.base_url), items[-1].cursor)
        assert server.requests[-1].query["next_token"] == "b26v89c19zqg8o3fpe0k"
    assert [p.post_id for p in resumed.posts] == ["1988000000000000001"]
    assert decode_cursor("twitter", resumed.cursor)["since_id"] == NEWEST


def test_rejected_token_is_a_source_error_without_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN", "token-salah")
    with serve(SearchApi()) as server:
        ingestor = live(server.base_url)
        with pytest.raises(
            SourceError, match=r"HTTP 401 from .*/2/tweets/search/recent: Unauthorized"
        ) as info:
            drain(ingestor)
    assert "token-salah" not in str(info.value)


def test_missing_bearer_token_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("X_BEARER_TOKEN")
    with pytest.raises(ConfigError, match=r"environment variable X_BEARER_TOKEN .* is not set"):
        live("http://127.0.0.1:9")
    monkeypatch.setenv("TOKEN_LAIN", TOKEN)
    with serve(SearchApi()) as server:
        assert len(drain(live(server.base_url, bearer_token_env="TOKEN_LAIN")).posts) == 3


def test_paths_and_query_are_exclusive() -> None:
    with pytest.raises(ConfigError, match="either 'paths'"):
        make_ingestor("x", {"kind": "twitter", "paths": "a.json", "query": "hoaks"})


def test_saved_responses_json_and_jsonl(tmp_path: Path) -> None:
    saved = tmp_path / "respons"
    saved.mkdir()
    (saved / "a_pencarian.json").write_text(
        (FIXTURES / "x_saved.json").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (saved / "b_halaman.jsonl").write_text(
        json.dumps(PAGE1) + "\n{rusak\n" + json.dumps(PAGE2) + "\n", encoding="utf-8"
    )
    ingestor = make_ingestor("arsip-x", {"kind": "twitter", "paths": [str(saved)]})
    result = drain(ingestor)
    assert [p.post_id[-2:] for p in result.posts] == ["21", "20", "03", "02", "01"]
    thread = result.posts[0]
    assert thread.text.endswith(
        "Foto yang beredar adalah mainan anak."
    )  # the full note_tweet, not the cut text
    assert (thread.author, thread.shares, thread.views, thread.followers) == (
        "dok_literasi",
        80,
        22000,
        67000,
    )
    assert len(result.problems) == 1 and result.problems[0].startswith("b_halaman.jsonl:2: invalid JSON")
    assert drain(ingestor, result.cursor).posts == []
    (saved / "c_baru.json").write_text(json.dumps(NEWER), encoding="utf-8")
    assert [p.post_id for p in drain(ingestor, result.cursor).posts] == ["1988000000000000010"]

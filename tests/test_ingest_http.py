"""The remote ingestors' HTTP GET: waiting out 429/503 as the headers say, backing off, giving up clearly."""

from __future__ import annotations

from email.utils import formatdate

import pytest
from _http import Reply, serve

from pipeline.ingest._http import Fetcher
from pipeline.ingest.base import SourceError

NOW = 1_793_689_500.0


def fetcher(waits: list[float], **options: object) -> Fetcher:
    return Fetcher("uji", sleep=waits.append, clock=lambda: NOW, **options)


@pytest.mark.parametrize(
    ("status", "headers", "wait"),
    [
        (429, {"Retry-After": "12"}, 12.0),
        (429, {"Retry-After": formatdate(NOW + 120, usegmt=True)}, 120.0),
        (429, {"Retry-After": "0"}, 1.0),
        (429, {"x-rate-limit-reset": str(int(NOW) + 30)}, 31.0),
        (503, {"Retry-After": "12"}, 12.0),
        (503, {"Retry-After": formatdate(NOW + 120, usegmt=True)}, 120.0),
    ],
)
def test_the_wait_comes_from_the_headers(status: int, headers: dict[str, str], wait: float) -> None:
    replies = [Reply(status, "tunggu", headers), Reply(200, {"ok": True})]
    waits: list[float] = []
    with serve(lambda r: replies.pop(0)) as server, fetcher(waits) as http:
        response = http.get(server.url("/api"))
    assert response.json() == {"ok": True} and waits == [wait]


def test_without_headers_it_backs_off_exponentially_then_gives_up() -> None:
    waits: list[float] = []
    with serve(lambda r: Reply(429, "terlalu banyak")) as server, fetcher(waits, max_retries=3) as http:
        with pytest.raises(
            SourceError, match=r"^uji: still rate limited by http://127\.0\.0\.1:\d+/api after 3 retries$"
        ):
            http.get(server.url("/api?token=rahasia"))
        assert len(server.requests) == 4
    assert waits == [5.0, 10.0, 20.0]


def test_503_without_retry_after_is_an_error_at_once() -> None:
    waits: list[float] = []
    with serve(lambda r: Reply(503, "Service Unavailable")) as server, fetcher(waits) as http:
        with pytest.raises(SourceError, match=r"HTTP 503 from .*/api: Service Unavailable"):
            http.get(server.url("/api"))
        assert len(server.requests) == 1
    assert waits == []

"""Test helpers for the ingest tests: a real HTTP server on 127.0.0.1 and draining an ingestor.

`serve(handler)` runs `http.server` in a thread on an ephemeral loopback port; `handler(request)` returns a `Reply`.
Every request is recorded, so tests can assert on the headers and query parameters the ingestor really sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pipeline.ingest import Ingestor
from pipeline.posts import Post


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Loopback:
    base_url: str
    requests: list[Request]

    def url(self, path: str) -> str:
        return self.base_url + path


@contextmanager
def serve(handler: Callable[[Request], Reply]) -> Iterator[Loopback]:
    """Serve `handler` on http://127.0.0.1:<free port> for the duration of the with-block."""
    requests: list[Request] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            request = Request(
                parts.path,
                {k: v[-1] for k, v in parse_qs(parts.query).items()},
                {k.lower(): v for k, v in self.headers.items()},
            )
            requests.append(request)
            try:
                reply = handler(request)
            except Exception as exc:  # surface handler bugs as a 599 the test will notice
                reply = Reply(599, f"test handler failed: {exc!r}")
            body = reply.body
            headers = dict(reply.headers)
            if isinstance(body, dict | list):
                body = json.dumps(body, ensure_ascii=False).encode()
                headers.setdefault("Content-Type", "application/json")
            elif isinstance(body, str):
                body = body.encode()
            self.send_response(reply.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if reply.status != 304:
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield Loopback(f"http://127.0.0.1:{server.server_address[1]}", requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class Drained:
    posts: list[Post]
    problems: list[str]
    cursor: str | None
    cursors: list[str | None]


def drain(ingestor: Ingestor, cursor: str | None = None) -> Drained:
    """Run `iter_posts(cursor)` to the end, as the framework would: the saved cursor is the last non-None one."""
    posts, problems, cursors = [], [], []
    last = cursor
    for item in ingestor.iter_posts(cursor):
        if item.post is not None:
            posts.append(item.post)
        if item.problem is not None:
            problems.append(item.problem)
        cursors.append(item.cursor)
        if item.cursor is not None:
            last = item.cursor
    return Drained(posts, problems, last, cursors)

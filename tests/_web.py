"""Helpers for the workspace tests: a seeded store with one account per role, logged-in test clients, and the
app served by uvicorn on a loopback port in a thread (for the browser tests)."""

from __future__ import annotations

import re
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")

import uvicorn  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from pipeline.records import ScanRecord  # noqa: E402
from pipeline.store import Store  # noqa: E402
from pipeline.store.frames import posts_frame  # noqa: E402
from pipeline.web import accounts  # noqa: E402
from pipeline.web.app import create_app  # noqa: E402
from pipeline.web.routes.auth import reset_client_throttle  # noqa: E402

PASSWORD = "kata-sandi-uji-123"
# Cheap hashes: the tests log in hundreds of times; what they check does not depend on the cost.
accounts.set_hash_cost(time_cost=1, memory_cost=1024, parallelism=1)
#: One account per role (and a second analyst).
USERS = {"root": "admin", "kanit": "supervisor", "ani": "analyst", "budi": "analyst", "vera": "viewer"}
XSS = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'
T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def record(i: int, flags: tuple[str, ...] = ("hoax",), **overrides: Any) -> ScanRecord:
    scores = overrides.pop("scores", None) or {label: 0.6 + 0.01 * (i % 30) for label in flags}
    out = {
        "platform": "twitter" if i % 2 else "facebook", "post_id": str(i),
        "text": f"postingan nomor {i} tentang isu yang ramai", "author": f"akun{i}",
        "url": f"https://example.org/{i}", "created_at": T0 + timedelta(hours=i), "shares": 10 * i,
        "views": 100 * i, "followers": 1000, "source": "patroli-uji" if i % 3 else "rss-berita", "raw": {"id": i},
        "captured_at": T0 + timedelta(hours=i, minutes=5), "scores": scores, "flags": list(flags),
        "evidence": {label: [["isu", 0.5]] for label in flags}, "model_version": "test-1", "priority": float(i),
    }
    out.update(overrides)
    return ScanRecord(**out)


def seed(store: Store) -> dict[str, int]:
    """Accounts for USERS and a small queue; returns post_id -> item_id.

    1-12: alternating hoax / abusive flags; 13: hostile text, author, link and matched claim; 14: SARA aimed
    at a religion; 15: a repost of 14 differing in case and punctuation; 16: not flagged.
    """
    for name, role in USERS.items():
        accounts.add_user(store, name, PASSWORD, role)
    store.add_claims([{"claim_id": "cek-1", "title": XSS, "url": "javascript:alert(2)", "text": "klaim palsu"},
                      {"claim_id": "cek-2", "title": "Vaksin mengandung chip", "url": "https://cek.example/2"}])
    records = [record(i, ("hoax",) if i % 2 else ("abusive",)) for i in range(1, 13)]
    records.append(record(13, ("hoax", "provocation"), text=f"awas {XSS} isu", author=XSS, url="javascript:alert(3)",
                          evidence={"hoax": [["isu", 0.5]], "claim": {"claim_id": "cek-1", "title": XSS,
                                                                     "url": "javascript:alert(4)", "similarity": 0.9}}))
    sara = {"sara": 0.9, "sara_agama": 0.8, "sara_ras": 0.1, "hate_speech": 0.85}
    records.append(record(14, ("sara", "hate_speech"), scores=sara, text="Kaum itu harus diusir dari kampung!"))
    records.append(record(15, ("sara", "hate_speech"), scores=sara, text="kaum itu HARUS diusir dari kampung"))
    records.append(record(16, (), priority=0.0))
    store.save_scan(records)
    frame = posts_frame(store)
    return dict(zip(frame["post_id"], frame["id"], strict=True))


class Browser:
    """A TestClient logged in as one user; `post` adds the session's CSRF token."""

    def __init__(self, app: Any, name: str | None = None, password: str = PASSWORD) -> None:
        self.client = TestClient(app, base_url="http://testserver", follow_redirects=False)
        self.csrf = ""
        if name is not None:
            reset_client_throttle()
            response = self.login(name, password)
            assert response.status_code == 303, response.text[:500]
            self.csrf = csrf_of(self.get("/queue").text)

    def login(self, name: str, password: str, target: str = "/queue") -> Any:
        token = csrf_of(self.client.get("/login").text)
        return self.client.post("/login", data={"name": name, "password": password, "csrf": token, "next": target})

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, csrf: bool = True, **kwargs: Any) -> Any:
        payload = dict(data or {})
        if csrf:
            payload.setdefault("csrf", self.csrf)
        return self.client.post(path, data=payload, **kwargs)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def app_for(store: Store) -> Any:
    return create_app(store)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(store: Store) -> Iterator[str]:
    """The workspace under uvicorn on 127.0.0.1:<free port> in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start in 20 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)

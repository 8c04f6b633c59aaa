"""Ingestor kind "twitter": X API v2 posts, from saved response files or live `GET /2/tweets/search/recent`.

Saved responses (`paths`): JSON files holding one API response (`data`, `includes.users`), a list of responses, or
JSON lines of responses. Live search (`query`)::

    query = "(hoaks OR provokasi) lang:id -is:retweet"
    bearer_token_env = "X_BEARER_TOKEN"   # the token is read from this environment variable, never from config
    base_url = "https://api.x.com"
    max_results = 100                      # per page, 10..100
    max_pages = 10                         # per run; the cursor continues an unfinished pagination next run
    max_wait = 900.0                       # longest HTTP 429 back-off (x-rate-limit-reset / retry-after)
    timeout = 30.0

shares = retweet_count + quote_count, views = impression_count, followers = the author's followers_count. The live
cursor holds `since_id` (the newest id of the last finished search) and, mid-pagination, the `next_token` to go on.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.ingest._fields import as_text, parse_count
from pipeline.ingest._http import Fetcher, json_body
from pipeline.ingest._options import OptionReader
from pipeline.ingest._paths import expand_paths
from pipeline.ingest._time import parse_time
from pipeline.ingest.base import Ingestor, Item, SourceError, decode_cursor, encode_cursor
from pipeline.posts import Post

_TWEET_FIELDS = (
    "created_at,author_id,public_metrics,lang,conversation_id,referenced_tweets,entities,note_tweet"
)
_USER_FIELDS = "username,name,public_metrics,verified,location"


class TwitterIngestor(Ingestor):
    """X/Twitter API v2 posts; give exactly one of `paths` (saved responses) or `query` (live search)."""

    name = "twitter"

    def configure(self, opts: OptionReader) -> None:
        self.paths: list[str] | None = opts.str_list("paths", None)
        self.query: str | None = opts.str("query", None)
        if (self.paths is None) == (self.query is None):
            raise opts.error(
                "give either 'paths' (saved API responses) or 'query' (live search), not both or neither"
            )
        self.platform: str = opts.str("platform", "twitter")
        self.base_url: str = opts.str("base_url", "https://api.x.com").rstrip("/")
        self.max_results: int = opts.int("max_results", 100, minimum=10, maximum=100)
        self.max_pages: int = opts.int("max_pages", 10, minimum=1)
        self.max_wait: float = opts.float("max_wait", 900.0)
        self.timeout: float = opts.float("timeout", 30.0, minimum=0.1)
        self.sleep = opts.callable("sleep", time.sleep)
        token_env_default = "X_BEARER_TOKEN" if self.query is not None else None
        self._token = opts.env_secret("bearer_token_env", token_env_default, required=self.query is not None)

    def iter_posts(self, cursor: str | None) -> Iterator[Item]:
        state = decode_cursor(self.name, cursor)
        if self.paths is not None:
            yield from self._from_files(self.paths, dict(state.get("files") or {}))
        else:
            yield from self._search(state)

    def _from_files(self, patterns: list[str], files: dict[str, Any]) -> Iterator[Item]:
        for path in expand_paths(patterns, (".json", ".jsonl")):
            key, data = str(path), path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()[:32]
            old = files.get(key) if isinstance(files.get(key), dict) else {}
            if old.get("sha") == digest and old.get("done"):
                continue
            skip = old.get("n", 0) if old.get("sha") == digest else 0
            consumed = 0
            for where, body in _responses(data, path):
                if isinstance(body, str):
                    yield Item(problem=f"{where}: {body}", cursor=None)
                    continue
                yield from self._api_errors(where, body)
                users = _users(body)
                for tweet in body.get("data") or []:
                    consumed += 1
                    if consumed > skip:
                        files[key] = {"sha": digest, "n": consumed, "done": False}
                        yield self._item(where, tweet, users, encode_cursor(self.name, {"files": files}))
            files[key] = {"sha": digest, "n": consumed, "done": True}
            yield Item(cursor=encode_cursor(self.name, {"files": files}))

    def _search(self, state: dict[str, Any]) -> Iterator[Item]:
        since, token, newest = state.get("since_id"), state.get("next_token"), state.get("newest_id")
        where = f"twitter search {self.query!r}"
        url = f"{self.base_url}/2/tweets/search/recent"
        with Fetcher(
            where,
            headers={"Authorization": f"Bearer {self._token}"},
            timeout=self.timeout,
            max_wait=self.max_wait,
            sleep=self.sleep,
        ) as fetcher:
            for _ in range(self.max_pages):
                params: dict[str, Any] = {
                    "query": self.query,
                    "max_results": self.max_results,
                    "tweet.fields": _TWEET_FIELDS,
                    "expansions": "author_id",
                    "user.fields": _USER_FIELDS,
                }
                if since:
                    params["since_id"] = since
                if token:
                    params["next_token"] = token
                body = json_body(fetcher.get(url, params=params), where)
                if not isinstance(body, dict):
                    raise SourceError(f"{where}: unexpected response (not a JSON object)")
                meta = body.get("meta") or {}
                newest = _max_id(newest, meta.get("newest_id"))
                next_token = meta.get("next_token")
                # Mid-page items resume by re-reading this page (the framework de-duplicates); the page's last item
                # resumes at the next page, or, when the search is complete, at the new since_id.
                mid = encode_cursor(self.name, {"since_id": since, "next_token": token, "newest_id": newest})
                if next_token:
                    after = encode_cursor(
                        self.name, {"since_id": since, "next_token": next_token, "newest_id": newest}
                    )
                else:
                    after = encode_cursor(
                        self.name, {"since_id": newest or since, "next_token": None, "newest_id": None}
                    )
                yield from self._api_errors(where, body)
                users, tweets = _users(body), body.get("data") or []
                for index, tweet in enumerate(tweets):
                    yield self._item(where, tweet, users, after if index == len(tweets) - 1 else mid)
                if not tweets:
                    yield Item(cursor=after)
                if not next_token:
                    return
                token = next_token

    def _api_errors(self, where: str, body: dict[str, Any]) -> Iterator[Item]:
        # Partial errors (e.g. one deleted author) come with data and are harmless; without data they explain why.
        if not body.get("data"):
            for error in body.get("errors") or []:
                detail = error.get("detail") or error.get("title") if isinstance(error, dict) else error
                yield Item(problem=f"{where}: X API error: {detail}")

    def _item(self, where: str, tweet: Any, users: dict[Any, Any], cursor: str) -> Item:
        post = self._post(tweet, users)
        if isinstance(post, str):
            return Item(problem=f"{where}: {post}", cursor=cursor)
        return Item(post=post, cursor=cursor)

    def _post(self, tweet: Any, users: dict[Any, Any]) -> Post | str:
        if not isinstance(tweet, dict) or not as_text(tweet.get("id")):
            return "no tweet id; skipped"
        text = as_text((tweet.get("note_tweet") or {}).get("text")) or as_text(tweet.get("text"))
        if text is None:
            return f"tweet {tweet['id']} has no text; skipped"
        user = users.get(tweet.get("author_id")) or {}
        username = as_text(user.get("username"))
        metrics = tweet.get("public_metrics") or {}
        share_parts = [parse_count(metrics.get(k)) for k in ("retweet_count", "quote_count")]
        try:
            created_at = parse_time(tweet.get("created_at"), self.tz)
        except ValueError:
            created_at = None
        tweet_id = str(tweet["id"])
        return Post(
            platform=self.platform,
            post_id=tweet_id,
            text=text,
            author=username or as_text(tweet.get("author_id")),
            url=f"https://x.com/{username}/status/{tweet_id}"
            if username
            else f"https://x.com/i/web/status/{tweet_id}",
            created_at=created_at,
            shares=sum(p for p in share_parts if p is not None)
            if any(p is not None for p in share_parts)
            else None,
            views=parse_count(metrics.get("impression_count")),
            followers=parse_count((user.get("public_metrics") or {}).get("followers_count")),
            source=self.source,
            raw={**tweet, "author": user} if user else dict(tweet),
        )


def _users(body: dict[str, Any]) -> dict[Any, Any]:
    users = (body.get("includes") or {}).get("users") or []
    return {user.get("id"): user for user in users if isinstance(user, dict)}


def _responses(data: bytes, path: Path) -> Iterator[tuple[str, dict[str, Any] | str]]:
    """(location, response object or problem text) for each saved response in a .json / .jsonl file."""
    name = path.name
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield name, f"invalid UTF-8 at byte {exc.start}; file skipped"
        return
    if name.lower().endswith(".jsonl"):
        chunks = [
            (f"{name}:{number}", line) for number, line in enumerate(text.splitlines(), 1) if line.strip()
        ]
    else:
        chunks = [(name, text)]
    for where, chunk in chunks:
        try:
            value = json.loads(chunk)
        except ValueError as exc:
            yield where, f"invalid JSON ({exc}); skipped"
            continue
        for body in value if isinstance(value, list) else [value]:
            yield where, body if isinstance(body, dict) else "not an X API response object; skipped"


def _max_id(a: str | None, b: str | None) -> str | None:
    # Tweet ids are 64-bit snowflakes: compare as integers, keep as strings.
    values = [v for v in (a, b) if v and str(v).isdigit()]
    return str(max(values, key=int)) if values else None

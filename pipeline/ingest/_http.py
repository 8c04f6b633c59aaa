"""HTTP GET for the remote ingestors (httpx): clear `SourceError`s, and waiting out HTTP 429 (tenacity) for as long
as the response's headers say.

tenacity rather than stamina: each client takes its own `sleep` (tests and notebooks record the waits instead of
sleeping), where stamina only offers a process-wide test mode.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import tenacity

from pipeline.ingest.base import SourceError

USER_AGENT = "patroli/0.1 (Indonesian cyber-patrol monitoring)"
# Without a header that says how long: 5 s, then 10, 20, ... (attempt 1 is the first request).
_BACKOFF = tenacity.wait_exponential(multiplier=5, exp_base=2)


class Fetcher:
    """GETs with a shared client; 429 (and 503 with Retry-After) are waited out, other errors raise SourceError.

    `sleep` and `clock` are injectable so tests can run a real 429 without really waiting. A wait longer than
    `max_wait` seconds raises instead of sleeping: the next run resumes from the cursor.
    """

    def __init__(
        self,
        where: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        max_wait: float = 900.0,
        max_retries: int = 5,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.where = where
        self.max_wait, self.max_retries = max_wait, max_retries
        self.clock = clock
        self.client = httpx.Client(
            timeout=timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT, **(headers or {})}
        )
        self._retrying = tenacity.Retrying(
            retry=tenacity.retry_if_result(_rate_limited),
            wait=self._wait,
            stop=tenacity.stop_after_attempt(max_retries + 1),
            # Checked before sleeping, not in `wait`: tenacity works out a wait after the last attempt too, and
            # that attempt must end as "still rate limited".
            before_sleep=self._refuse_long_waits,
            retry_error_callback=self._give_up,
            sleep=sleep,
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def get(
        self, url: str, *, params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """The response (2xx or 304); raises SourceError for anything else, naming the URL without its query."""
        response = self._retrying(self._get_once, url, params, headers)
        if response.status_code >= 400:
            raise SourceError(
                f"{self.where}: HTTP {response.status_code} from {_shown(url)}: {_detail(response)}"
            )
        return response

    def _get_once(
        self, url: str, params: Mapping[str, Any] | None, headers: Mapping[str, str] | None
    ) -> httpx.Response:
        try:
            return self.client.get(url, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise SourceError(
                f"{self.where}: cannot reach {_shown(url)}: {exc or type(exc).__name__}"
            ) from None

    def _wait(self, state: tenacity.RetryCallState) -> float:
        response = state.outcome.result()  # type: ignore[union-attr]
        told = rate_limit_wait(response.headers, self.clock())
        return told if told is not None else _BACKOFF(state)

    def _refuse_long_waits(self, state: tenacity.RetryCallState) -> None:
        wait = state.next_action.sleep  # type: ignore[union-attr]
        if wait > self.max_wait:
            raise SourceError(
                f"{self.where}: rate limited by {_shown(state.args[0])} for {wait:.0f} s, longer than "
                f"max_wait = {self.max_wait:.0f} s; the next run resumes where this one stopped"
            )

    def _give_up(self, state: tenacity.RetryCallState) -> httpx.Response:
        raise SourceError(
            f"{self.where}: still rate limited by {_shown(state.args[0])} after {self.max_retries} retries"
        )


def _rate_limited(response: httpx.Response) -> bool:
    return response.status_code == 429 or (response.status_code == 503 and "retry-after" in response.headers)


def _shown(url: str) -> str:
    return url.split("?", 1)[0]


def rate_limit_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait after a 429 as the headers say: Retry-After (seconds or HTTP date), else X's
    `x-rate-limit-reset` (epoch seconds); never less than 1 s. None when they say nothing usable."""
    retry_after = headers.get("retry-after")
    if retry_after:
        try:
            return max(1.0, float(retry_after))
        except ValueError:
            try:
                return max(1.0, parsedate_to_datetime(retry_after).timestamp() - now)
            except (TypeError, ValueError):
                pass
    reset = headers.get("x-rate-limit-reset")
    if reset:
        try:
            # One extra second: the reset epoch is truncated to whole seconds.
            return max(1.0, float(reset) - now + 1.0)
        except ValueError:
            pass
    return None


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())
        return text[:200] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("detail", "title", "message", "error"):
            if isinstance(body.get(key), str):
                return body[key][:200]
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            return str(first.get("message") or first.get("detail") or first.get("title"))[:200]
    return str(body)[:200]


def json_body(response: httpx.Response, where: str) -> Any:
    """The decoded JSON body, or SourceError saying what came back instead."""
    try:
        return response.json()
    except ValueError:
        kind = response.headers.get("content-type", "unknown content type")
        raise SourceError(
            f"{where}: {str(response.url).split('?', 1)[0]} did not return JSON ({kind})"
        ) from None

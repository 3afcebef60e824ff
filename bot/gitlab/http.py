"""HTTP under python-gitlab: a request-rate budget and bounded retries for every request.

python-gitlab's own retries are switched off; this adapter, mounted on its requests Session,
is the single place that decides when to wait and try again, so list pages, creates and
deletes all follow the same budget.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry 429/5xx/connection failures until `total_seconds` would be exceeded."""

    total_seconds: float = 30.0
    max_attempts: int = 6
    first_backoff: float = 0.2
    max_backoff: float = 5.0

    def backoff(self, attempt: int) -> float:
        return float(min(self.max_backoff, self.first_backoff * (2**attempt)))


class RateBudget:
    """At most `per_second` request starts per second across all threads (a token bucket).

    The default burst of 1 paces requests evenly, so no one-second window ever holds more
    than `per_second` starts; a larger burst trades that guarantee for latency.
    """

    def __init__(
        self,
        per_second: float,
        *,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.per_second = per_second
        self.capacity = float(burst if burst is not None else 1)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = threading.Lock()
        self.requests = 0

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(
                    self.capacity, self._tokens + (now - self._updated) * self.per_second
                )
                self._updated = now
                # A tolerance: float rounding can leave 0.999..., whose wait would be too
                # small to move the clock, and the loop would spin.
                if self._tokens >= 1 - 1e-9:
                    self._tokens = max(0.0, self._tokens - 1)
                    self.requests += 1
                    return
                wait = (1 - self._tokens) / self.per_second
            self._sleep(wait)


class BudgetedAdapter(HTTPAdapter):
    """Every attempt waits for the rate budget; retryable failures are retried in time."""

    def __init__(
        self,
        *,
        budget: RateBudget | None,
        retry: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
        pool_maxsize: int = 32,
    ) -> None:
        super().__init__(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)
        self._budget = budget
        self._retry = retry
        self._sleep = sleep

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        deadline = time.monotonic() + self._retry.total_seconds
        attempt = 0
        while True:
            if self._budget is not None:
                self._budget.acquire()
            try:
                response = super().send(request, **kwargs)
            except (requests.ConnectionError, requests.Timeout):
                wait = self._retry.backoff(attempt)
                if not self._may_retry(attempt, wait, deadline):
                    raise
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                after = _retry_after(response.headers)
                wait = after if after is not None else self._retry.backoff(attempt)
                if not self._may_retry(attempt, wait, deadline):
                    return response
                response.close()
            self._sleep(wait)
            attempt += 1

    def _may_retry(self, attempt: int, wait: float, deadline: float) -> bool:
        return attempt + 1 < self._retry.max_attempts and time.monotonic() + wait <= deadline


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP-date: fall back to our own backoff

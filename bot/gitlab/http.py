"""HTTP under python-gitlab: a request-rate budget and bounded retries for every request.

python-gitlab's own retries are switched off; this adapter, mounted on its requests Session,
is the single place that decides when to wait and try again, so list pages, creates and
deletes all follow the same budget.

Observers (`observe_outcomes`, for metrics) hear the outcome of each request after retries:
the HTTP status of its response (a response hook on the session, see `client.py`), or
`timeout` / `connection_error` when it ended without one (this adapter).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from bot.gitlab.read_memo import MEMO_HIT, current_memo, is_read
from bot.gitlab.server_pace import ServerPace

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A POST or PATCH is repeated only when GitLab certainly did nothing: it throttled the request
# (429) or failed in the application (500: Rails rolled back). A 502/503/504 from the proxy, a
# read timeout or a connection dropped after sending may hide a finished request; repeating a
# create or rotate then would make a second token whose secret nobody holds.
UNSAFE_METHODS = frozenset({"POST", "PATCH"})
UNSAFE_RETRY_STATUSES = frozenset({429, 500})

OutcomeObserver = Callable[[str, str], None]
"""Told of each request's final outcome: its method, and the HTTP status (`"404"`) or
`"timeout"` / `"connection_error"`. It runs on the requesting thread and must not raise."""
_observers: tuple[OutcomeObserver, ...] = ()
_observers_lock = threading.Lock()


def observe_outcomes(observer: OutcomeObserver) -> Callable[[], None]:
    """Tell `observer` the outcome of every GitLab request from now on; returns an undo."""
    global _observers  # noqa: PLW0603 - one list per process, like logging's handlers
    with _observers_lock:
        _observers = (*_observers, observer)

    def stop() -> None:
        global _observers  # noqa: PLW0603
        with _observers_lock:
            _observers = tuple(o for o in _observers if o is not observer)

    return stop


def report_response(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
    """A requests response hook: tells the observers the status of a finished request."""
    if getattr(response, MEMO_HIT, False):
        return  # answered from the interaction's read memo: GitLab was not asked
    for observer in _observers:
        observer((response.request.method or "GET").upper(), str(response.status_code))


def _report_failure(request: requests.PreparedRequest, exc: Exception) -> None:
    outcome = "timeout" if isinstance(exc, requests.Timeout) else "connection_error"
    for observer in _observers:
        observer((request.method or "GET").upper(), outcome)


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
    """At most `per_second` request starts in any one-second window, across all threads.

    Two steps: each caller first reserves the next pacing slot (slots are 1/per_second apart)
    and sleeps until it outside the lock, so capacity is not lost while threads wake; then a
    sliding window of actual starts is checked under the lock, so a thread that overslept its
    slot cannot bunch up with the next one and break the limit. The window is one second plus
    `jitter` (the spread between a start here and its arrival at GitLab), so requests arriving
    at GitLab within any one second stay within the budget too.
    """

    def __init__(
        self,
        per_second: float,
        *,
        jitter: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self._window = 1.0 + jitter
        self.per_second = per_second
        self._interval = 1.0 / per_second
        self._cap = max(1, int(per_second))
        self._clock = clock
        self._sleep = sleep
        self._next = clock()
        self._recent: deque[float] = deque()
        self._lock = threading.Lock()
        self.requests = 0

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            slot = max(self._next, now)
            self._next = slot + self._interval
        if slot > now:
            self._sleep(slot - now)
        while True:
            with self._lock:
                now = self._clock()
                # The epsilon: a wait rounded to nothing could not move the clock on.
                while self._recent and self._recent[0] <= now - self._window + 1e-9:
                    self._recent.popleft()
                if len(self._recent) < self._cap:
                    self._recent.append(now)
                    self.requests += 1
                    return
                wait = self._recent[0] + self._window - now
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
        pace: ServerPace | None = None,
    ) -> None:
        super().__init__(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)
        self._budget = budget
        self._retry = retry
        self._sleep = sleep
        self._pace = pace  # GitLab's own RateLimit-* quota, below the budget's ceiling

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        """One request, answered from the interaction's read memo where it can be."""
        memo = current_memo()
        if memo is None:
            return self._send(request, **kwargs)
        if not is_read(request):
            memo.forget()  # a change: what was read before may no longer hold
            try:
                return self._send(request, **kwargs)
            finally:
                memo.forget()  # a read that ran beside it may have seen the old state
        replayed = memo.replay(request)
        if replayed is not None:
            setattr(replayed, MEMO_HIT, True)
            return replayed
        response = self._send(request, **kwargs)
        memo.keep(request, response)
        return response

    def _send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        deadline = time.monotonic() + self._retry.total_seconds
        attempt = 0
        while True:
            if self._pace is not None:
                self._pace.wait()
            if self._budget is not None:
                self._budget.acquire()
            unsafe = (request.method or "GET").upper() in UNSAFE_METHODS
            try:
                response = super().send(request, **kwargs)
                if self._pace is not None:
                    self._pace.observe(response.headers)
            except (requests.ConnectionError, requests.Timeout) as exc:
                wait = self._retry.backoff(attempt)
                if (unsafe and not never_sent(exc)) or not self._may_retry(attempt, wait, deadline):
                    _report_failure(request, exc)
                    raise
            else:
                statuses = UNSAFE_RETRY_STATUSES if unsafe else RETRY_STATUSES
                if response.status_code not in statuses:
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


def never_sent(exc: Exception) -> bool:
    """True when the request cannot have reached GitLab (no connection was made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP-date: fall back to our own backoff
